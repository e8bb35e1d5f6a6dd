using Provisioner.Rendering;

namespace Provisioner.Deploy;

/// <summary>
/// The names of the rendered files the steps pick out (Provisioner.Rendering's <c>NodeFiles</c>) and the paths on a
/// node where netlab installs what is not rendered (its binaries and the node components' documents).
/// </summary>
public static class NodeFileNames
{
    public const string UserData = NodeFiles.UserData;
    public const string KubeadmInit = NodeFiles.KubeadmInit;
    public const string KubeadmJoin = NodeFiles.KubeadmJoin;
    public const string Conflist = NodeFiles.Conflist;
    public static readonly string WaitForCloudInit = NodeFiles.Script(NodeFiles.WaitForCloudInit);
    public static readonly string NodeIp = NodeFiles.Script(NodeFiles.NodeIp);
    public static readonly string InstallCni = NodeFiles.Script(NodeFiles.InstallCni);
    public static readonly string KubeadmInitScript = NodeFiles.Script(NodeFiles.KubeadmInitScript);
    public static readonly string PrintJoinCommand = NodeFiles.Script(NodeFiles.PrintJoinCommand);
    public static readonly string KubeadmJoinScript = NodeFiles.Script(NodeFiles.KubeadmJoinScript);

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
