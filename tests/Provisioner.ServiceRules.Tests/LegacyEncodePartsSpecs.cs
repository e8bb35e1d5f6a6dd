using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Iptables.Legacy;

namespace Provisioner.ServiceRules.Tests;

/// <summary>The user chains are encoded in parts on several cores: the image is the one-part image byte for byte
/// (which LegacyDirectLoadSpecs compares with iptables-legacy-restore's), and a bad rule is the first in table order.</summary>
public sealed class LegacyEncodePartsSpecs
{
    private static readonly IptablesRuleset Rules = IptablesCompiler.Compile(Samples.Many(300), Samples.NodeA);

    private static (uint, uint[], uint[], uint, byte[]) Encode(IptablesRuleset rules, string table, int parts)
    {
        var hooks = table == "nat" ? (int[])[0, 1, 3, 4] : [1, 2, 3];
        var builtins = hooks.Select(h => new BuiltinChain(h, LegacyTableEncoder.HookNames[h], LegacyRuleEncoder.Accept)).ToList();
        var hookRules = rules.Jumps.Where(j => j.Table == table).Reverse().GroupBy(j => j.Rule.Split(' ', 3)[1])
            .ToDictionary(g => g.Key, g => g.Select(j => j.Rule).ToList(), StringComparer.Ordinal);
        var (valid, entry, under, count, entries) = LegacyTableEncoder.Encode(builtins, hookRules, [.. rules.Chains.Where(c => c.Table == table)], parts);
        return (valid, entry, under, count, entries.Written.ToArray());
    }

    [Theory]
    [InlineData("nat", 2)]
    [InlineData("nat", 3)]
    [InlineData("nat", 7)]
    [InlineData("filter", 2)]
    public void Parts_make_the_one_part_image(string table, int parts)
    {
        var (valid, entry, under, count, bytes) = Encode(Rules, table, 1);
        var (pValid, pEntry, pUnder, pCount, pBytes) = Encode(Rules, table, parts);
        Assert.True(Rules.Chains.Count(c => c.Table == table) >= parts, "fewer chains than parts");
        Assert.Equal((valid, count), (pValid, pCount));
        Assert.Equal(entry, pEntry);
        Assert.Equal(under, pUnder);
        Assert.True(bytes.AsSpan().SequenceEqual(pBytes), "the images differ");
    }

    [Fact]
    public void The_first_rule_without_an_encoding_in_table_order_is_the_one_named()
    {
        var chains = Rules.Chains.Where(c => c.Table == "nat").OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var (early, late) = (chains[1], chains[^2]);
        IptablesChain Broken(IptablesChain c, string tag) => c with { Rules = [.. c.Rules, $"-A {c.Name} -m limit --limit {tag}/s -j RETURN"] };
        var broken = Rules with { Chains = [.. Rules.Chains.Select(c => c == early ? Broken(c, "1") : c == late ? Broken(c, "2") : c)] };
        var one = Assert.Throws<LegacyEncodingException>(() => Encode(broken, "nat", 1));
        var four = Assert.Throws<LegacyEncodingException>(() => Encode(broken, "nat", 4));
        Assert.Contains("--limit 1/s", one.Message, StringComparison.Ordinal);
        Assert.Equal(one.Message, four.Message);
    }
}
