using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Provisioner.ServiceRules.Iptables;

/// <summary>
/// Builds the text of netlab's service rules (the planner only turns a hook jump's <c>-A CHAIN</c> into <c>-I CHAIN 1</c>;
/// a drill's DROP rule is Observability's own). It writes rules exactly as iptables-save prints them (address masks,
/// option order, quoted comments, the kernel's rounding of probabilities), so the rules read back from the kernel
/// compare equal to the desired ones and an unchanged table needs no write.
/// </summary>
/// <remarks>A full compile builds every rule of 10k services, so a rule keeps its parts as given (matches in call order,
/// inline) and writes them once into a per-thread buffer: the rule's text is the only string it makes.</remarks>
public sealed class IptablesRule
{
    public const string MasqMark = "0x4000";
    private readonly string _chain;
    private string? _source, _destination, _protocol;
    private bool _negateSource, _negateDestination;
    private (string? A, string? B, string? C) _comment;
    private MatchParts _matches;
    private int _matchCount;
    private List<MatchPart>? _moreMatches;

    [ThreadStatic]
    private static StringBuilder? t_text;

    private IptablesRule(string chain) => _chain = chain;

    public static IptablesRule In(string chain) => new(chain);

    public IptablesRule From(string addressOrCidr, bool negate = false)
    {
        _source = addressOrCidr;
        _negateSource = negate;
        return this;
    }

    public IptablesRule To(string address, bool negate = false)
    {
        _destination = address;
        _negateDestination = negate;
        return this;
    }

    public IptablesRule Protocol(string protocol)
    {
        _protocol = protocol;
        return this;
    }

    public IptablesRule Comment(string comment) => Comment(comment, null, null);

    /// <summary>A comment of two or three parts, joined when the rule is written (no string made for it).</summary>
    public IptablesRule Comment(string first, string? second, string? third = null)
    {
        _comment = (first, second, third);
        return this;
    }

    public IptablesRule DestinationPort(int port) => Add(new(MatchKind.DestinationPort, _protocol, port));

    public IptablesRule DestinationLocal() => Match("-m addrtype --dst-type LOCAL");

    public IptablesRule SourceLocal() => Match("-m addrtype --src-type LOCAL");

    public IptablesRule NewConnections() => Match("-m conntrack --ctstate NEW");

    /// <summary>kube-proxy's uniform random choice: rule i of n matches with probability 1/(n-i).</summary>
    public IptablesRule Probability(int remaining) => Add(new(MatchKind.Probability, null, remaining));

    /// <summary>Affinity: whether the client was recorded in <paramref name="name"/> within <paramref name="seconds"/>.</summary>
    public IptablesRule RecentCheck(int seconds, string name) => Add(new(MatchKind.RecentCheck, name, seconds));

    /// <summary>Affinity: records the client in <paramref name="name"/>.</summary>
    public IptablesRule RecentSet(string name) => Add(new(MatchKind.RecentSet, name, 0));

    public IptablesRule Match(string match) => Add(new(MatchKind.Text, match, 0));

    public string Jump(string target) => Build("-j ", target);

    public string MarkForMasquerade() => Build("-j MARK --set-xmark ", MasqMark + "/" + MasqMark);

    public string Dnat(string hostPort) => Build("-j DNAT --to-destination ", hostPort);

    public string Reject() => Build("-j REJECT --reject-with icmp-port-unreachable", null);

    private IptablesRule Add(MatchPart part)
    {
        if (_matchCount < MatchParts.Length)
            _matches[_matchCount++] = part;
        else
            (_moreMatches ??= []).Add(part);
        return this;
    }

    private string Build(string target, string? targetArgument)
    {
        var text = t_text ??= new StringBuilder(256);
        text.Clear().Append("-A ").Append(_chain);
        if (_source is not null)
            AppendAddress(text.Append(_negateSource ? " ! -s " : " -s "), _source);
        if (_destination is not null)
            AppendAddress(text.Append(_negateDestination ? " ! -d " : " -d "), _destination);
        if (_protocol is not null)
            text.Append(" -p ").Append(_protocol);
        for (var i = 0; i < _matchCount; i++)
            _matches[i].AppendTo(text.Append(' '));
        if (_moreMatches is not null)
        {
            foreach (var match in _moreMatches)
                match.AppendTo(text.Append(' '));
        }
        // last of the matches: where iptables-nft-save prints a comment kept as rule userdata (IptablesNftRuleCodec)
        if (_comment.A is not null)
            text.Append(" -m comment --comment \"").Append(_comment.A).Append(_comment.B).Append(_comment.C).Append('"');
        text.Append(' ').Append(target).Append(targetArgument);
        var rule = text.ToString();
        if (text.Capacity > 4096)
            t_text = null; // a rule of an unusual length: do not keep its buffer for the thread's lifetime
        return rule;
    }

    private static void AppendAddress(StringBuilder text, string address)
    {
        text.Append(address);
        if (!address.Contains('/', StringComparison.Ordinal))
            text.Append("/32");
    }

    /// <summary>
    /// The probability as iptables-save prints it: the statistic match stores round(2^31 * p) and prints it back
    /// with 11 decimals (libxt_statistic), so 1/3 reads back as 0.33333333349.
    /// </summary>
    internal static string KernelProbability(double probability) =>
        StoredProbability(probability).ToString("F11", CultureInfo.InvariantCulture);

    private static double StoredProbability(double probability)
    {
        var stored = (uint)Math.Round(0x80000000 * probability, MidpointRounding.AwayFromZero);
        return 1.0 * stored / 0x80000000;
    }

    private enum MatchKind { Text, DestinationPort, Probability, RecentCheck, RecentSet }

    /// <summary>One match as given: its text, or a kind with the name and number it is written from.</summary>
    private readonly record struct MatchPart(MatchKind Kind, string? Text, int Number)
    {
        public void AppendTo(StringBuilder text)
        {
            switch (Kind)
            {
                case MatchKind.DestinationPort:
                    text.Append("-m ").Append(Text).Append(" --dport ").Append(Number);
                    break;
                case MatchKind.Probability:
                    text.Append("-m statistic --mode random --probability ")
                        .Append(CultureInfo.InvariantCulture, $"{StoredProbability(1.0 / Number):F11}");
                    break;
                case MatchKind.RecentCheck:
                    text.Append("-m recent --rcheck --seconds ").Append(Number).Append(" --reap --name ").Append(Text)
                        .Append(" --mask 255.255.255.255 --rsource");
                    break;
                case MatchKind.RecentSet:
                    text.Append("-m recent --set --name ").Append(Text).Append(" --mask 255.255.255.255 --rsource");
                    break;
                default:
                    text.Append(Text);
                    break;
            }
        }
    }

    /// <summary>A rule's first matches, inline (no rule of netlab's has more than two).</summary>
    [InlineArray(Length)]
    private struct MatchParts
    {
        public const int Length = 3;
        private MatchPart _first;
    }
}
