using System.Globalization;
using System.Text;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// Builds the text of netlab's service rules (the planner only turns a hook jump's <c>-A CHAIN</c> into <c>-I CHAIN 1</c>;
/// a drill's DROP rule is Observability's own). It writes rules exactly as iptables-save prints them (address masks,
/// option order, quoted comments, the kernel's rounding of probabilities), so the rules read back from the kernel
/// compare equal to the desired ones and an unchanged table needs no write.
/// </summary>
public sealed class IptablesRule
{
    public const string MasqMark = "0x4000";
    private readonly string _chain;
    private string? _source, _destination, _protocol, _comment;
    private bool _negateSource, _negateDestination;
    private readonly List<string> _matches = [];
    private string _target = "";

    private IptablesRule(string chain) => _chain = chain;

    public static IptablesRule In(string chain) => new(chain);

    public IptablesRule From(string addressOrCidr, bool negate = false)
    {
        _source = WithMask(addressOrCidr);
        _negateSource = negate;
        return this;
    }

    public IptablesRule To(string address, bool negate = false)
    {
        _destination = WithMask(address);
        _negateDestination = negate;
        return this;
    }

    public IptablesRule Protocol(string protocol)
    {
        _protocol = protocol;
        return this;
    }

    public IptablesRule Comment(string comment)
    {
        _comment = comment;
        return this;
    }

    public IptablesRule DestinationPort(int port) => Match($"-m {_protocol} --dport {port}");

    public IptablesRule DestinationLocal() => Match("-m addrtype --dst-type LOCAL");

    public IptablesRule SourceLocal() => Match("-m addrtype --src-type LOCAL");

    public IptablesRule NewConnections() => Match("-m conntrack --ctstate NEW");

    /// <summary>kube-proxy's uniform random choice: rule i of n matches with probability 1/(n-i).</summary>
    public IptablesRule Probability(int remaining) =>
        Match("-m statistic --mode random --probability " + KernelProbability(1.0 / remaining));

    public IptablesRule Match(string match)
    {
        _matches.Add(match);
        return this;
    }

    public string Jump(string target) => Build("-j " + target);

    public string MarkForMasquerade() => Build($"-j MARK --set-xmark {MasqMark}/{MasqMark}");

    public string Dnat(string hostPort) => Build("-j DNAT --to-destination " + hostPort);

    public string Reject() => Build("-j REJECT --reject-with icmp-port-unreachable");

    private string Build(string target)
    {
        _target = target;
        var text = new StringBuilder("-A ").Append(_chain);
        if (_source is not null)
            text.Append(_negateSource ? " ! -s " : " -s ").Append(_source);
        if (_destination is not null)
            text.Append(_negateDestination ? " ! -d " : " -d ").Append(_destination);
        if (_protocol is not null)
            text.Append(" -p ").Append(_protocol);
        foreach (var match in _matches)
            text.Append(' ').Append(match);
        // last of the matches: where iptables-nft-save prints a comment kept as rule userdata (IptablesNftRuleCodec)
        if (_comment is not null)
            text.Append(" -m comment --comment \"").Append(_comment).Append('"');
        return text.Append(' ').Append(_target).ToString();
    }

    private static string WithMask(string address) => address.Contains('/', StringComparison.Ordinal) ? address : address + "/32";

    /// <summary>
    /// The probability as iptables-save prints it: the statistic match stores round(2^31 * p) and prints it back
    /// with 11 decimals (libxt_statistic), so 1/3 reads back as 0.33333333349.
    /// </summary>
    internal static string KernelProbability(double probability)
    {
        var stored = (uint)Math.Round(0x80000000 * probability, MidpointRounding.AwayFromZero);
        return (1.0 * stored / 0x80000000).ToString("F11", CultureInfo.InvariantCulture);
    }
}
