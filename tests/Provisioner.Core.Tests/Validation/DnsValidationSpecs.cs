using Provisioner.Core.Model;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class DnsValidationSpecs
{
    [Fact]
    public void A_service_selects_only_pods_of_its_own_namespace_and_says_where_its_pods_are()
    {
        var lab = Labs.Valid().WithService(0, s => s with { Namespace = "store" });
        Problems.Only(lab).Names("services[0].selector", "app=web").Says("matches pods only in namespace default")
            .Says("selects pods of its own namespace (store) only").Fixes("pulumi config set --path 'services[0].namespace' default");
    }

    [Fact]
    public void Pods_and_services_in_one_other_namespace_are_valid()
    {
        var lab = Labs.Valid().WithService(0, s => s with { Namespace = "store" })
            .WithPod(0, p => p with { Namespace = "store" }).WithPod(1, p => p with { Namespace = "store" });
        Assert.Empty(Problems.Of(lab));
    }

    [Theory]
    [InlineData("Cluster.Local")]
    [InlineData("cluster.local.")]
    [InlineData("-lab.local")]
    [InlineData("")]
    public void It_refuses_a_cluster_domain_that_is_not_a_dns_domain(string zone)
    {
        var lab = Labs.Valid().WithNetwork(n => n with { ClusterDomain = zone });
        Problems.Only(lab).Names("network.clusterDomain", zone).Says("must be a DNS domain").FixedBySetting("network.clusterDomain", "cluster.local");
    }

    [Fact]
    public void A_pod_namespace_must_be_a_dns_label()
    {
        var lab = Labs.Valid().WithPod(2, p => p with { Namespace = "My_NS" });
        Assert.Contains(Problems.Of(lab), p => p.Key == "pods[2].namespace" && p.Value == "My_NS" && p.Message.Contains("lowercase letters, digits and '-'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_subdomain_must_name_a_headless_service_of_the_pods_namespace_and_needs_a_hostname()
    {
        var lab = Labs.Valid().WithPod(0, p => p with { Subdomain = "web" });
        var problems = Problems.Of(lab);
        Assert.Contains(problems, p => p.Key == "pods[0].subdomain" && p.Message.Contains("names no headless service of namespace default", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "pods[0].hostname" && p.Fix.Contains("pods[0].hostname", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hostname_under_a_headless_service_is_valid()
    {
        var lab = Labs.Valid().WithService(0, s => s with { ClusterIP = "None" }).WithPod(0, p => p with { Hostname = "web-0", Subdomain = "web" });
        Assert.Empty(Problems.Of(lab));
    }

    [Fact]
    public void The_cluster_dns_pod_and_service_names_are_reserved()
    {
        var lab = Labs.Valid().WithPod(2, p => p with { Name = "kube-dns" })
            .AddService(Labs.Service("kube-dns", ServiceType.ClusterIP, "web", Labs.Port(53)) with { Namespace = "kube-system" });
        var problems = Problems.Of(lab);
        Assert.Contains(problems, p => p.Key == "pods[2].name" && p.Message.Contains("reserved", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "services[2].name" && p.Message.Contains("reserved in namespace kube-system", StringComparison.Ordinal));
    }

    [Fact]
    public void An_external_name_must_be_a_dns_name()
    {
        var lab = Labs.Valid().AddService(new ServiceSpec { Name = "ext", Type = ServiceType.ExternalName, ExternalName = "http://example.com" });
        Problems.Only(lab).Names("services[2].externalName", "http://example.com").Says("must be a DNS name");
    }
}
