using Provisioner.Core.Dns;
using Provisioner.Rendering.Templates;

namespace Provisioner.Rendering.Dns;

public sealed record TxtRecordModel(string Name, string Text);

public sealed record HostRecordModel(IReadOnlyList<string> Names, string Address);

public sealed record SrvRecordModel(string Name, string Target, int Port);

public sealed record CnameModel(string Name, string Target);

/// <summary>The variables of <c>templates/dns/dnsmasq.conf.sbn</c>.</summary>
public sealed record DnsmasqModel(
    string Zone, int Ttl, string PidFile, string LogFile, IReadOnlyList<string> LocalDomains, IReadOnlyList<string> Upstreams,
    IReadOnlyList<TxtRecordModel> TxtRecords, IReadOnlyList<HostRecordModel> HostRecords,
    IReadOnlyList<SrvRecordModel> SrvRecords, IReadOnlyList<CnameModel> Cnames);

/// <summary>
/// dnsmasq's configuration for a set of cluster records. A and PTR records become <c>host-record</c> lines (dnsmasq
/// answers A for each name and PTR with the first): one line per PTR, carrying the A names of that address not yet
/// given, so an endpoint's PTR names the endpoint and the service's A set lists each address once.
/// </summary>
public static class DnsmasqConfig
{
    public const string Template = "dns/dnsmasq.conf.sbn";

    /// <summary>Seconds: short, as CoreDNS's default (5 s), so a changed endpoint set is seen within moments.</summary>
    public const int Ttl = 5;

    public static DnsmasqModel Model(string zone, IReadOnlyList<DnsRecord> records, IReadOnlyList<string> localDomains,
        IReadOnlyList<string> upstreams, string pidFile, string logFile)
    {
        var hostRecords = new List<HostRecordModel>();
        var given = new HashSet<(string, string)>();
        var byAddress = records.Where(r => r.Type == DnsRecordType.A).ToLookup(r => r.Data, StringComparer.Ordinal); // in record order
        foreach (var ptr in records.Where(r => r.Type == DnsRecordType.PTR))
        {
            var address = AddressOf(ptr.Name);
            var names = new List<string> { ptr.Data };
            given.Add((ptr.Data, address));
            foreach (var a in byAddress[address].Where(r => r.Name != ptr.Data))
            {
                if (given.Add((a.Name, address)))
                    names.Add(a.Name);
            }
            hostRecords.Add(new HostRecordModel(names, address));
        }
        return new DnsmasqModel(zone, Ttl, pidFile, logFile, localDomains, upstreams,
            [.. records.Where(r => r.Type == DnsRecordType.TXT).Select(r => new TxtRecordModel(r.Name, r.Data))],
            hostRecords,
            [.. records.Where(r => r.Type == DnsRecordType.SRV).Select(r =>
            {
                var (port, target) = (r.Data.Split(' ')[0], r.Data.Split(' ')[1]);
                return new SrvRecordModel(r.Name, target, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
            })],
            [.. records.Where(r => r.Type == DnsRecordType.CNAME).Select(r => new CnameModel(r.Name, r.Data))]);
    }

    public static string Render(DnsmasqModel model, TemplateRenderer? templates = null) =>
        (templates ?? TemplateRenderer.Embedded).Render(Template, model);

    /// <summary><c>5.1.244.10.in-addr.arpa</c> is 10.244.1.5.</summary>
    private static string AddressOf(string reverseName) =>
        string.Join('.', reverseName.Split('.').Take(4).Reverse());
}
