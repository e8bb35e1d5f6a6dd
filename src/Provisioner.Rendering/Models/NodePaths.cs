namespace Provisioner.Rendering.Models;

/// <summary>Where netlab's files live on a node, in one place (templates read them as <c>paths.*</c>).</summary>
public sealed record NodePaths
{
    public static NodePaths Default { get; } = new();

    /// <summary>netlab's scripts.</summary>
    public string BinDir { get; init; } = "/opt/netlab/bin";

    /// <summary>netlab's configuration on the node (kubeadm configs, the staged conflist).</summary>
    public string ConfigDir { get; init; } = "/etc/netlab";

    /// <summary>State: markers ("prepared"), runtime copies of configs, logs.</summary>
    public string StateDir { get; init; } = "/var/lib/netlab";

    /// <summary>Where the transferred netlab-cni binary waits for install-cni.sh.</summary>
    public string StagedCniBinary { get; init; } = "/var/lib/netlab/stage/netlab-cni";

    public string CniBinDir { get; init; } = "/opt/cni/bin";
    public string CniConfDir { get; init; } = "/etc/cni/net.d";
    public string CniConflistName { get; init; } = "10-netlab.conflist";

    /// <summary>The CNI IPAM's data (allocated addresses) on a VM.</summary>
    public string CniDataDir { get; init; } = "/var/lib/netlab/cni";

    public string KubernetesKeyring { get; init; } = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";

    /// <summary>systemd-resolved's real upstream list; its 127.0.0.53 stub in /etc/resolv.conf loops inside pods.</summary>
    public string KubeletResolvConf { get; init; } = "/run/systemd/resolve/resolv.conf";

    public string ContainerdSocket { get; init; } = "unix:///run/containerd/containerd.sock";

    public string SystemdUnitDir { get; init; } = "/etc/systemd/system";

    /// <summary>kubeadm's: admin.conf on an initialised control plane, kubelet.conf on a joined node.</summary>
    public string KubernetesDir { get; init; } = "/etc/kubernetes";

    public string KubeadmInitConfig => $"{ConfigDir}/kubeadm/init.yaml";
    public string KubeadmJoinConfig => $"{ConfigDir}/kubeadm/join.yaml";
    public string KubeadmConfig(bool controlPlane) => controlPlane ? KubeadmInitConfig : KubeadmJoinConfig;
    public string StagedConflist => $"{ConfigDir}/cni/{CniConflistName}";
    public string Script(string name) => $"{BinDir}/{name}";

    /// <summary>netlab itself on the node (the self-contained single file built for the VMs).</summary>
    public string Netlab => $"{BinDir}/netlab";

    /// <summary>The documents <c>netlab node fabric|services apply</c> saved, which <c>netlab node reapply</c> reads at boot.</summary>
    public string AppliedDir => $"{StateDir}/applied";

    public string NodeServiceName => NodeFiles.NodeServiceName;
    public string NodeServiceUnit => $"{SystemdUnitDir}/{NodeServiceName}";
}
