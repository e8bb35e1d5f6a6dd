namespace Provisioner.Core.Model;

public sealed record KubernetesSpec
{
    /// <summary>The Kubernetes minor version; selects the pkgs.k8s.io repository (e.g. <c>1.35</c>).</summary>
    public string Version { get; init; } = "1.35";

    public ContainerdSpec Containerd { get; init; } = new();
}

public sealed record ContainerdSpec
{
    /// <summary>kubelet and containerd must agree on the cgroup driver; systemd is kubeadm's default.</summary>
    public bool SystemdCgroup { get; init; } = true;

    public string SandboxImage { get; init; } = "registry.k8s.io/pause:3.10";
}
