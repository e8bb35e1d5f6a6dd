namespace Provisioner.Deploy;

/// <summary>
/// The names of the rendered files the steps pick out (Provisioner.Rendering's <c>NodeFiles</c>) and the paths on a
/// node where netlab installs what is not rendered (its binaries and the node components' documents).
/// </summary>
public static class NodeFileNames
{
    public const string UserData = "user-data";
    public const string KubeadmInit = "kubeadm/init.yaml";
    public const string KubeadmJoin = "kubeadm/join.yaml";
    public const string Conflist = "cni/10-netlab.conflist";
    public const string WaitForCloudInit = "scripts/wait-for-cloud-init.sh";
    public const string NodeIp = "scripts/node-ip.sh";
    public const string InstallCni = "scripts/install-cni.sh";
    public const string KubeadmInitScript = "scripts/kubeadm-init.sh";
    public const string PrintJoinCommand = "scripts/print-join-command.sh";
    public const string KubeadmJoinScript = "scripts/kubeadm-join.sh";

    /// <summary>Local names of the node components' documents (written next to the rendered files).</summary>
    public const string FabricDocument = "fabric.json";
    public const string ServicesDocument = "services.json";

    /// <summary>On the node.</summary>
    public const string NodeBinDir = "/opt/netlab/bin";
    public const string NodeNetlab = NodeBinDir + "/netlab";
    public const string NodeStagedCni = "/var/lib/netlab/stage/netlab-cni";
    public const string NodeFabricDocument = "/etc/netlab/fabric.json";
    public const string NodeServicesDocument = "/etc/netlab/services.json";

    /// <summary>Where files land on the node before <c>sudo install</c> moves them into place (the VM's user owns it).</summary>
    public const string NodeStageDir = "/tmp/netlab-stage";
}
