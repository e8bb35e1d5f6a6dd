using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Explain;

namespace Provisioner.ServiceRules.Tests;

public sealed class ExplainSpecs
{
    [Fact]
    public void It_walks_the_iptables_chains_with_each_endpoints_share_in_iptables_save_text()
    {
        var text = ServiceExplainer.Explain(Samples.All, Samples.NodeA, "default", "web-np");

        Assert.Contains("-> NETLAB-SERVICES", text, StringComparison.Ordinal);
        Assert.Contains("-> NETLAB-NODEPORTS", text, StringComparison.Ordinal);
        Assert.Contains("-A NETLAB-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment \"default/web-np:http\" -j NETLAB-EXT-", text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split("[endpoint share 33.3%]").Length - 1);
        Assert.Contains("-> NETLAB-SVC-", text[text.IndexOf("To an external address", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Contains("(rules as above)", text, StringComparison.Ordinal);
        Assert.Contains("(endpoint 10.244.2.2:8080 on node-b)", text, StringComparison.Ordinal);
        Assert.Contains("-j DNAT --to-destination 10.244.1.3:8080", text, StringComparison.Ordinal);
    }

    [Fact]
    public void It_shows_the_nftables_map_elements_a_packet_finds()
    {
        var text = ServiceExplainer.Explain(Samples.All, Samples.NodeA, "default", "web", backend: RuleBackend.Nftables);

        Assert.Contains("vmap @service-ips finds 10.96.0.10 . tcp . 80 comment \"default/web:http cluster IP\" : goto pick-3", text, StringComparison.Ordinal);
        Assert.Contains("10.96.0.10 . tcp . 80 . 2 comment \"default/web:http -> 10.244.2.2:8080\" : 10.244.2.2 . 8080   [probability 33.3%]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_without_endpoints_shows_its_reject_rule() =>
        Assert.Contains("-m tcp --dport 80 -m comment --comment \"default/empty:http has no endpoints\" -j REJECT", ServiceExplainer.Explain(Samples.All, Samples.NodeA, "default", "empty"), StringComparison.Ordinal);

    [Theory]
    [InlineData("db", "headless")]
    [InlineData("ext", "ExternalName")]
    public void Headless_and_ExternalName_services_are_explained_as_DNS_only(string name, string kind)
    {
        var text = ServiceExplainer.Explain(Samples.All, Samples.NodeA, "default", name);

        Assert.Contains(kind, text, StringComparison.Ordinal);
        Assert.Contains("DNS-only", text, StringComparison.Ordinal);
    }
}
