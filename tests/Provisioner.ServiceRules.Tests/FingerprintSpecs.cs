using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;
using Xunit;

namespace Provisioner.ServiceRules.Tests;

/// <summary>A service's hash is kept in state files and compiled services files: another build of netlab that hashed
/// it differently would throw every lab's files away (and compile all of its services again).</summary>
public sealed class FingerprintSpecs
{
    [Fact]
    public void A_service_hashes_to_the_value_its_fields_text_had_when_state_files_began_keeping_it()
    {
        var service = new Service
        {
            Namespace = "default", Name = "web", ClusterIP = "10.96.0.20",
            Ports = [new ServicePort("http", 80, 8080), new ServicePort("dns", 53, 53, ServiceProtocol.UDP, 30053)],
            ExternalIPs = ["192.168.64.200", "192.168.64.201"],
            Endpoints = [new Endpoint("10.244.1.2", "n1"), new Endpoint("10.244.1.3", null, false, new Dictionary<string, int> { ["http"] = 8081, ["a"] = 1 }, true)],
        };

        // SHA-256 of "7:service|7:default|3:web|9:ClusterIP|..." (one line per service, port and endpoint; computed
        // outside .NET), its first 16 bytes little-endian.
        Assert.Equal(UInt128.Parse("165354816213542725736777420304921896743", System.Globalization.CultureInfo.InvariantCulture), TableFingerprint.OfService(service));
    }

    [Fact]
    public void Services_that_differ_in_one_field_hash_apart()
    {
        var web = Samples.Web;
        Assert.Equal(TableFingerprint.OfService(web), TableFingerprint.OfService(web with { }));
        Assert.NotEqual(TableFingerprint.OfService(web), TableFingerprint.OfService(web with { ExternalIPs = ["1.2.3.4"] }));
        Assert.NotEqual(TableFingerprint.OfService(web), TableFingerprint.OfService(web with { Endpoints = [.. web.Endpoints.Skip(1)] }));
    }
}
