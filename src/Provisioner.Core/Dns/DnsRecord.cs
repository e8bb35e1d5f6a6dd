namespace Provisioner.Core.Dns;

public enum DnsRecordType { A, PTR, SRV, TXT, CNAME }

/// <summary>
/// One resource record of the cluster zone, as a learner reads it in <c>dig</c> output (<c>web.default.svc.cluster.local
/// A 10.96.0.20</c>). <see cref="Data"/> is the record's value: an address, a target name, <c>"port target"</c> for SRV.
/// </summary>
public sealed record DnsRecord(string Name, DnsRecordType Type, string Data)
{
    public override string ToString() => $"{Name} {Type} {Data}";
}
