using System.Net;
using Provisioner.Core.Dns;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Dns;

public class ClusterDnsRecordsSpecs
{
    private static LabPlan Plan() => LabPlan.For(Labs.ValidNetns() with
    {
        Pods =
        [
            Labs.Pod("web-1", "worker1", "web"),
            Labs.Pod("db-0", "worker1", "db") with { Hostname = "db-0", Subdomain = "db" },
            Labs.Pod("db-1", "worker2", "db"),
        ],
        Services =
        [
            Labs.Service("web", ServiceType.ClusterIP, "web", Labs.Port(80, 8080) with { Name = "http" }),
            Labs.Service("db", ServiceType.ClusterIP, "db", Labs.Port(5432) with { Name = "pg" }) with { ClusterIP = "None" },
            new ServiceSpec { Name = "ext", Type = ServiceType.ExternalName, ExternalName = "example.com" },
        ],
    });

    private static IPAddress? Address(string pod) => pod switch
    {
        "db-0" => IPAddress.Parse("10.244.1.5"),
        "db-1" => IPAddress.Parse("10.244.2.7"),
        "web-1" => IPAddress.Parse("10.244.1.2"),
        _ => null,
    };

    private static List<string> Records() => [.. ClusterDnsRecords.For(Plan(), Address).Select(r => r.ToString())];

    [Fact]
    public void The_schema_version_is_a_txt_record() => Assert.Contains("dns-version.cluster.local TXT 1.1.0", Records());

    [Fact]
    public void A_cluster_ip_service_has_an_a_a_ptr_and_an_srv_per_named_port()
    {
        var plan = Plan();
        var ip = plan.Addresses.Services.Single(s => s.Spec.Name == "web").ClusterIP!;
        var records = Records();
        Assert.Contains($"web.default.svc.cluster.local A {ip}", records);
        Assert.Contains($"{ClusterDns.ReverseName(ip)} PTR web.default.svc.cluster.local", records);
        Assert.Contains("_http._tcp.web.default.svc.cluster.local SRV 80 web.default.svc.cluster.local", records);
    }

    [Fact]
    public void A_headless_service_has_its_ready_endpoints_named_by_hostname_or_address()
    {
        var records = Records();
        Assert.Contains("db.default.svc.cluster.local A 10.244.1.5", records);
        Assert.Contains("db.default.svc.cluster.local A 10.244.2.7", records);
        Assert.Contains("db-0.db.default.svc.cluster.local A 10.244.1.5", records);
        Assert.Contains("5.1.244.10.in-addr.arpa PTR db-0.db.default.svc.cluster.local", records);
        Assert.Contains("_pg._tcp.db.default.svc.cluster.local SRV 5432 10-244-2-7.db.default.svc.cluster.local", records);
    }

    [Fact]
    public void A_pod_without_an_address_is_not_an_endpoint() =>
        Assert.DoesNotContain(ClusterDnsRecords.For(Plan(), p => p == "db-1" ? null : Address(p)), r => r.Data.Contains("10.244.2.7", StringComparison.Ordinal));

    [Fact]
    public void An_external_name_service_is_a_cname_and_the_dns_service_is_in_the_zone()
    {
        var records = Records();
        Assert.Contains("ext.default.svc.cluster.local CNAME example.com", records);
        Assert.Contains("kube-dns.kube-system.svc.cluster.local A 10.96.0.10", records);
        Assert.Contains("_dns._udp.kube-dns.kube-system.svc.cluster.local SRV 53 kube-dns.kube-system.svc.cluster.local", records);
    }

    [Fact]
    public void A_pod_gets_the_resolv_conf_kubelet_writes() =>
        Assert.Equal("nameserver 10.96.0.10\nsearch store.svc.lab.local svc.lab.local lab.local\noptions ndots:5\n",
            ClusterDns.ResolvConf(IPAddress.Parse("10.96.0.10"), "store", "lab.local"));
}
