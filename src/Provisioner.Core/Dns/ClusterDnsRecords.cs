using System.Net;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Dns;

/// <summary>
/// The records the Kubernetes DNS specification (kubernetes/dns docs/specification.md, schema 1.1.0) requires for a
/// lab's services: the schema-version TXT; per ClusterIP service an A, a PTR and an SRV per named port; per headless
/// service an A per ready endpoint, the endpoint's own A and PTR under its hostname and an SRV per endpoint and named
/// port; per ExternalName service a CNAME. Pure and ordered, so a diff of two record sets reads as what changed.
/// </summary>
public static class ClusterDnsRecords
{
    /// <param name="podAddress">A pod's address, or null while it has none (it is then not a ready endpoint).</param>
    public static IReadOnlyList<DnsRecord> For(LabPlan plan, Func<string, IPAddress?> podAddress)
    {
        var zone = plan.Lab.Network.ClusterDomain;
        var records = new List<DnsRecord> { new($"dns-version.{zone}", DnsRecordType.TXT, ClusterDns.SchemaVersion) };
        foreach (var service in plan.Addresses.Services)
        {
            var spec = service.Spec;
            var fqdn = ClusterDns.ServiceFqdn(spec.Name, spec.Namespace, zone);
            if (spec.Type == ServiceType.ExternalName)
            {
                records.Add(new DnsRecord(fqdn, DnsRecordType.CNAME, spec.ExternalName!));
                continue;
            }
            if (service.ClusterIP is { } clusterIp)
            {
                records.Add(new DnsRecord(fqdn, DnsRecordType.A, clusterIp.ToString()));
                records.Add(new DnsRecord(ClusterDns.ReverseName(clusterIp), DnsRecordType.PTR, fqdn));
                records.AddRange(Srv(service, fqdn, fqdn));
                continue;
            }
            foreach (var (pod, address) in ReadyEndpoints(plan, spec, podAddress))
            {
                var endpoint = $"{EndpointHostname(pod, spec, address)}.{fqdn}";
                records.Add(new DnsRecord(fqdn, DnsRecordType.A, address.ToString()));
                records.Add(new DnsRecord(endpoint, DnsRecordType.A, address.ToString()));
                records.Add(new DnsRecord(ClusterDns.ReverseName(address), DnsRecordType.PTR, endpoint));
                records.AddRange(Srv(service, fqdn, endpoint));
            }
        }
        return records;
    }

    /// <summary>
    /// An endpoint's hostname: the pod's <c>hostname</c> when its <c>subdomain</c> is this service (what the endpoints
    /// controller copies), otherwise a name made from its address as CoreDNS makes one (<c>10-244-1-5</c>).
    /// </summary>
    public static string EndpointHostname(PodSpec pod, ServiceSpec service, IPAddress address) =>
        pod.Hostname is { } hostname && pod.Subdomain == service.Name ? hostname : address.ToString().Replace('.', '-');

    private static IEnumerable<(PodSpec Pod, IPAddress Address)> ReadyEndpoints(LabPlan plan, ServiceSpec spec, Func<string, IPAddress?> podAddress) =>
        plan.Lab.Pods.Where(p => LabValidator.Selects(spec, p))
            .Select(p => (Pod: p, Address: podAddress(p.Name)))
            .Where(e => e.Address is not null)
            .Select(e => (e.Pod, e.Address!));

    /// <summary><c>_port._proto.service.ns.svc.zone SRV port target</c> for each named port (unnamed ports have none).</summary>
    private static IEnumerable<DnsRecord> Srv(PlannedService service, string fqdn, string target) =>
        service.Ports.Where(p => !string.IsNullOrEmpty(p.Name))
            .Select(p => new DnsRecord($"_{p.Name}._{p.Protocol.ToString().ToLowerInvariant()}.{fqdn}", DnsRecordType.SRV, $"{p.Port} {target}"));
}
