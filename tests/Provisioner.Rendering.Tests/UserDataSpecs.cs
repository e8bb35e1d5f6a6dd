using Xunit;
using YamlDotNet.RepresentationModel;

namespace Provisioner.Rendering.Tests;

/// <summary>The learner pitfalls a kubeadm node must not fall into, each checked in the rendered user-data.</summary>
public class UserDataSpecs
{
    private static YamlMappingNode UserData(string goldenCase = "001-dev-ovs-vxlan", string node = "cp1") =>
        CloudInitSpecs.TopLevel(Stacks.Rendered(Stacks.Plan(goldenCase), node, NodeFiles.UserData).Content);

    private static string WrittenFile(YamlMappingNode userData, string path) =>
        Yaml.Scalar(Yaml.Sequence(userData, "write_files").Single(f => Yaml.Scalar(f, "path") == path), "content")
        ?? throw new InvalidOperationException($"{path} has no content");

    private static string PrepareScript(YamlMappingNode userData) => WrittenFile(userData, "/opt/netlab/bin/prepare-node.sh");

    private static IReadOnlyList<string> Packages(YamlMappingNode userData) => [.. Yaml.Sequence(userData, "packages").Select(p => p.ToString())];

    [Fact]
    public void The_hostname_is_the_lab_and_node_name()
    {
        Assert.Equal("dev-worker2", Yaml.Scalar(UserData(node: "worker2"), "hostname"));
    }

    [Fact]
    public void Swap_is_off_now_and_after_a_reboot()
    {
        var userData = UserData();
        Assert.Equal("0", Yaml.Scalar(userData, "swap", "size"));
        var script = PrepareScript(userData);
        Assert.Contains("swapoff -a", script);
        Assert.Contains("/etc/fstab", script);
    }

    [Fact]
    public void Br_netfilter_and_overlay_load_now_and_at_boot_and_bridged_traffic_passes_iptables()
    {
        var userData = UserData();
        Assert.Equal("overlay\nbr_netfilter\n", WrittenFile(userData, "/etc/modules-load.d/netlab-kubernetes.conf"));
        var sysctls = WrittenFile(userData, "/etc/sysctl.d/99-netlab-kubernetes.conf");
        Assert.Contains("net.bridge.bridge-nf-call-iptables = 1", sysctls);
        Assert.Contains("net.bridge.bridge-nf-call-ip6tables = 1", sysctls);
        Assert.Contains("net.ipv4.ip_forward = 1", sysctls);
        var script = PrepareScript(userData);
        Assert.Contains("modprobe br_netfilter", script);
        Assert.Contains("sysctl --system", script);
    }

    [Fact]
    public void Containerd_uses_the_systemd_cgroup_driver_and_the_pinned_sandbox_image()
    {
        var config = WrittenFile(UserData(), "/etc/containerd/config.toml");
        Assert.Contains("SystemdCgroup = true", config);
        Assert.Contains("sandbox_image = \"registry.k8s.io/pause:3.10\"", config);
    }

    [Fact]
    public void Kubernetes_comes_from_the_pkgs_k8s_io_repository_of_the_chosen_minor_and_is_held()
    {
        var dev = PrepareScript(UserData());
        var lab2 = PrepareScript(UserData("002-linux-vxlan-kube-proxy", "cp"));

        Assert.Contains("K8S_REPO='https://pkgs.k8s.io/core:/stable:/v1.35/deb/'", dev);
        Assert.Contains("K8S_REPO='https://pkgs.k8s.io/core:/stable:/v1.34/deb/'", lab2);
        Assert.Contains("K8S_KEYRING='/etc/apt/keyrings/kubernetes-apt-keyring.gpg'", dev);
        Assert.Contains("\"${K8S_REPO}Release.key\"", dev);
        Assert.Contains("apt-get install -y -q kubelet kubeadm kubectl kubernetes-cni", dev);
        Assert.Contains("apt-mark hold kubelet kubeadm kubectl", dev);
        Assert.Contains("/opt/cni/bin'/loopback", dev);
    }

    [Fact]
    public void The_node_gets_containerd_and_the_tools_kubeadm_preflight_and_service_rules_need()
    {
        var packages = Packages(UserData());
        Assert.Superset(new HashSet<string> { "containerd", "conntrack", "ipset", "ethtool", "socat", "curl", "gpg" }, packages.ToHashSet());
    }

    [Fact]
    public void Open_vSwitch_is_installed_only_for_the_ovs_vxlan_fabric()
    {
        Assert.Contains("openvswitch-switch", Packages(UserData()));
        Assert.DoesNotContain("openvswitch-switch", Packages(UserData("002-linux-vxlan-kube-proxy", "cp")));
        Assert.DoesNotContain("openvswitch-switch", PrepareScript(UserData("002-linux-vxlan-kube-proxy", "cp")));
    }

    [Fact]
    public void Nftables_is_installed_when_the_service_rules_are_nftables()
    {
        Assert.Contains("nftables", Packages(UserData("004-ovs-vxlan-kube-proxy-nftables", "w1")));
        Assert.DoesNotContain("nftables", Packages(UserData()));
    }

    [Fact]
    public void Every_node_gets_the_boot_unit_that_reapplies_its_fabric_and_service_rules_enabled()
    {
        foreach (var (c, node) in new[] { ("001-dev-ovs-vxlan", "worker1"), ("002-linux-vxlan-kube-proxy", "cp") })
        {
            var userData = UserData(c, node);
            var shown = Stacks.Rendered(Stacks.Plan(c), node, NodeFiles.NodeService);
            Assert.Equal(shown.Content.TrimEnd('\n'), WrittenFile(userData, "/etc/systemd/system/netlab-node.service").TrimEnd('\n'));
            Assert.Equal("/etc/systemd/system/netlab-node.service", shown.NodePath);
            Assert.Contains("systemctl enable 'netlab-node.service'", PrepareScript(userData));
        }
    }

    [Fact]
    public void The_prepare_script_carried_in_user_data_is_the_one_render_shows()
    {
        var shown = Stacks.Rendered(Stacks.Dev, "cp1", NodeFiles.Script(NodeFiles.PrepareNode)).Content;
        Assert.Equal(shown.TrimEnd('\n'), PrepareScript(UserData()).TrimEnd('\n'));
    }
}
