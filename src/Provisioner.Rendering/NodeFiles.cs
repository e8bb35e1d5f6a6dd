namespace Provisioner.Rendering;

/// <summary>The names of a node's rendered files (relative to its folder), for callers that pick one out.</summary>
public static class NodeFiles
{
    public const string UserData = "user-data";
    public const string KubeadmInit = "kubeadm/init.yaml";
    public const string KubeadmJoin = "kubeadm/join.yaml";
    public const string Conflist = "cni/10-netlab.conflist";

    public const string PrepareNode = "prepare-node.sh";
    public const string WaitForCloudInit = "wait-for-cloud-init.sh";
    public const string NodeIp = "node-ip.sh";
    public const string KubeadmInitScript = "kubeadm-init.sh";
    public const string PrintJoinCommand = "print-join-command.sh";
    public const string KubeadmJoinScript = "kubeadm-join.sh";
    public const string InstallCni = "install-cni.sh";

    /// <summary>The systemd unit that re-applies the fabric and Service rules at boot.</summary>
    public const string NodeServiceName = "netlab-node.service";
    public const string NodeService = $"systemd/{NodeServiceName}";

    public static string Script(string name) => $"scripts/{name}";

    /// <summary>The template of a script: <c>templates/scripts/NAME.sbn</c>.</summary>
    public static string ScriptTemplate(string name) => $"scripts/{name}.sbn";

    public const string UserDataTemplate = "cloud-init/user-data.yaml.sbn";
    public const string KubeadmInitTemplate = "kubeadm/init.yaml.sbn";
    public const string KubeadmJoinTemplate = "kubeadm/join.yaml.sbn";
    public const string ConflistTemplate = "cni/10-netlab.conflist.sbn";
    public const string NodeServiceTemplate = $"systemd/{NodeServiceName}.sbn";
}
