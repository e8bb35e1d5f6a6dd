using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>The kubeadm configs parsed back with YamlDotNet: the fields kubeadm reads are where v1beta4 expects them.</summary>
public class KubeadmConfigSpecs
{
    private static string Init(string goldenCase = "001-dev-ovs-vxlan", string node = "cp1") =>
        Stacks.Rendered(Stacks.Plan(goldenCase), node, NodeFiles.KubeadmInit).Content;

    private static string Join(string goldenCase = "001-dev-ovs-vxlan", string node = "worker1") =>
        Stacks.Rendered(Stacks.Plan(goldenCase), node, NodeFiles.KubeadmJoin).Content;

    /// <summary>What kubeadm-init.sh / kubeadm-join.sh do on the node: fill the run-time placeholders.</summary>
    private static string Fill(string config) => config
        .Replace("@NODE_IP@", "192.168.64.5", StringComparison.Ordinal)
        .Replace("@KUBERNETES_VERSION@", "v1.35.0", StringComparison.Ordinal)
        .Replace("@API_SERVER_ENDPOINT@", "192.168.64.4:6443", StringComparison.Ordinal)
        .Replace("@JOIN_TOKEN@", "abcdef.0123456789abcdef", StringComparison.Ordinal)
        .Replace("@CA_CERT_HASH@", "sha256:" + new string('a', 64), StringComparison.Ordinal);

    [Fact]
    public void The_init_config_has_init_cluster_and_kubelet_documents_of_the_current_api()
    {
        var docs = Yaml.Documents(Fill(Init()));

        Assert.Equal(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"], docs.Select(d => Yaml.Scalar(d, "kind")));
        Assert.Equal(["kubeadm.k8s.io/v1beta4", "kubeadm.k8s.io/v1beta4", "kubelet.config.k8s.io/v1beta1"], docs.Select(d => Yaml.Scalar(d, "apiVersion")));
    }

    [Fact]
    public void Pod_and_service_subnets_come_from_the_plan()
    {
        var cluster = Yaml.Kind(Fill(Init("002-linux-vxlan-kube-proxy", "cp")), "ClusterConfiguration");

        Assert.Equal("10.32.0.0/16", Yaml.Scalar(cluster, "networking", "podSubnet"));
        Assert.Equal("10.100.0.0/20", Yaml.Scalar(cluster, "networking", "serviceSubnet"));
        Assert.Equal("v1.35.0", Yaml.Scalar(cluster, "kubernetesVersion"));
        Assert.Equal("false", Yaml.Args(cluster, "controllerManager", "extraArgs")["allocate-node-cidrs"]);
    }

    [Fact]
    public void The_node_ip_is_pinned_in_kubelet_args_and_the_advertise_address_as_a_v1beta4_name_value_list()
    {
        var init = Yaml.Kind(Fill(Init()), "InitConfiguration");
        var join = Yaml.Kind(Fill(Join()), "JoinConfiguration");

        Assert.Equal("192.168.64.5", Yaml.Args(init, "nodeRegistration", "kubeletExtraArgs")["node-ip"]);
        Assert.Equal("192.168.64.5", Yaml.Scalar(init, "localAPIEndpoint", "advertiseAddress"));
        Assert.Equal("192.168.64.5", Yaml.Args(join, "nodeRegistration", "kubeletExtraArgs")["node-ip"]);
        Assert.Equal("dev-cp1", Yaml.Scalar(init, "nodeRegistration", "name"));
        Assert.Equal("dev-worker1", Yaml.Scalar(join, "nodeRegistration", "name"));
    }

    [Fact]
    public void The_node_ip_is_left_for_the_node_to_fill_in_never_guessed_at_plan_time()
    {
        var init = Yaml.Kind(Init(), "InitConfiguration");
        Assert.Equal("@NODE_IP@", Yaml.Args(init, "nodeRegistration", "kubeletExtraArgs")["node-ip"]);
    }

    [Fact]
    public void Kube_proxy_is_skipped_only_when_netlab_is_the_service_proxy()
    {
        var netlab = Yaml.Kind(Fill(Init()), "InitConfiguration");
        var kubeProxy = Yaml.Kind(Fill(Init("002-linux-vxlan-kube-proxy", "cp")), "InitConfiguration");

        Assert.Equal(["addon/kube-proxy"], Yaml.Sequence(netlab, "skipPhases").Select(p => p.ToString()));
        Assert.Null(Yaml.At(kubeProxy, "skipPhases"));
    }

    [Fact]
    public void Kube_proxy_stays_absent_after_a_kubeadm_upgrade_when_netlab_is_the_service_proxy()
    {
        var netlab = Yaml.Kind(Fill(Init()), "ClusterConfiguration");
        var kubeProxy = Yaml.Kind(Fill(Init("002-linux-vxlan-kube-proxy", "cp")), "ClusterConfiguration");

        Assert.Equal("true", Yaml.Scalar(netlab, "proxy", "disabled"));
        Assert.Null(Yaml.At(kubeProxy, "proxy"));
        Assert.DoesNotContain(Yaml.Documents(Fill(Init())), d => Yaml.Scalar(d, "kind") == "KubeProxyConfiguration");
    }

    [Fact]
    public void Kube_proxy_gets_the_rule_backend_as_its_mode_and_the_pod_cidr()
    {
        var iptables = Yaml.Kind(Fill(Init("002-linux-vxlan-kube-proxy", "cp")), "KubeProxyConfiguration");
        var nftables = Yaml.Kind(Fill(Init("004-ovs-vxlan-kube-proxy-nftables", "cp1")), "KubeProxyConfiguration");

        Assert.Equal("kubeproxy.config.k8s.io/v1alpha1", Yaml.Scalar(iptables, "apiVersion"));
        Assert.Equal("iptables", Yaml.Scalar(iptables, "mode"));
        Assert.Equal("10.32.0.0/16", Yaml.Scalar(iptables, "clusterCIDR"));
        Assert.Null(Yaml.At(iptables, "masqueradeAll")); // linux-vxlan: pod traffic crosses the host's netfilter anyway
        Assert.Equal("nftables", Yaml.Scalar(nftables, "mode"));
        Assert.Equal("10.244.0.0/16", Yaml.Scalar(nftables, "clusterCIDR"));
    }

    [Fact]
    public void Kube_proxy_masquerades_every_service_connection_on_the_ovs_fabric()
    {
        var kubeProxy = Yaml.Kind(Fill(Init("004-ovs-vxlan-kube-proxy-nftables", "cp1")), "KubeProxyConfiguration");
        Assert.Equal("true", Yaml.Scalar(kubeProxy, "masqueradeAll"));
    }

    [Fact]
    public void The_kubelet_never_hands_pods_systemd_resolved_stub_and_uses_the_systemd_cgroup_driver()
    {
        var kubelet = Yaml.Kind(Fill(Init()), "KubeletConfiguration");

        Assert.Equal("/run/systemd/resolve/resolv.conf", Yaml.Scalar(kubelet, "resolvConf"));
        Assert.Equal("systemd", Yaml.Scalar(kubelet, "cgroupDriver"));
        Assert.Equal(["10.96.0.10"], Yaml.Sequence(kubelet, "clusterDNS").Select(d => d.ToString()));
    }

    [Fact]
    public void The_control_plane_is_not_tainted_so_lab_pods_can_run_on_it()
    {
        var init = Yaml.Kind(Fill(Init()), "InitConfiguration");
        Assert.Empty(Yaml.Sequence(init, "nodeRegistration", "taints"));
        Assert.NotNull(Yaml.At(init, "nodeRegistration", "taints"));
    }

    [Fact]
    public void The_join_config_holds_no_secret_only_placeholders_filled_on_the_node()
    {
        var join = Yaml.Kind(Join(), "JoinConfiguration");

        Assert.Equal("kubeadm.k8s.io/v1beta4", Yaml.Scalar(join, "apiVersion"));
        Assert.Equal("@JOIN_TOKEN@", Yaml.Scalar(join, "discovery", "bootstrapToken", "token"));
        Assert.Equal("@API_SERVER_ENDPOINT@", Yaml.Scalar(join, "discovery", "bootstrapToken", "apiServerEndpoint"));
        Assert.Equal(["@CA_CERT_HASH@"], Yaml.Sequence(join, "discovery", "bootstrapToken", "caCertHashes").Select(h => h.ToString()));
    }

    [Fact]
    public void The_filled_join_config_names_the_control_plane_endpoint_token_and_ca_hash()
    {
        var join = Yaml.Kind(Fill(Join()), "JoinConfiguration");

        Assert.Equal("192.168.64.4:6443", Yaml.Scalar(join, "discovery", "bootstrapToken", "apiServerEndpoint"));
        Assert.Equal("abcdef.0123456789abcdef", Yaml.Scalar(join, "discovery", "bootstrapToken", "token"));
        Assert.Equal("unix:///run/containerd/containerd.sock", Yaml.Scalar(join, "nodeRegistration", "criSocket"));
    }
}
