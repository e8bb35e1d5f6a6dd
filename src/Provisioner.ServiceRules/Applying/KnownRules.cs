using System.Globalization;
using System.Text;
using Provisioner.Host.Netlink;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Applying;

/// <summary>
/// What the kernel holds of netlab's rules, as the planners diff against it: read from the kernel (with, for nftables,
/// <see cref="Canonical"/>: the desired skeleton as this nft lists it, to see hand-made changes), or the last-applied
/// state. It can be written to a state file and read back in the same shapes the kernel tools print.
/// </summary>
internal sealed record KnownRules(IptablesKernelState? Iptables, NftKernelState? Nft, NftSkeleton? Canonical)
{
    private const int HeaderLines = 5;
    private const string Header = "# netlab service-rules state v2";
    private const string Inline = "rules inline", InCompiledFile = "rules in the compiled services file";

    /// <summary>Reads netlab's rules from the kernel (iptables-save, or nft list table with the canonical skeleton), and
    /// the nf_tables generation right after the listing (before the probe that learns the canonical skeleton commits).</summary>
    public static Task<(KnownRules Rules, NfTablesGeneration? Generation)> ReadAsync(RuleCommands commands, DesiredRules desired, CancellationToken ct) =>
        ReadAsync(commands, desired.Backend, () => desired, ct);

    /// <summary>
    /// The same, compiling the desired rules (<paramref name="compile"/>, on the caller's thread) while the kernel tool
    /// lists the kernel's: at 10k services the listing takes the tool 1-2 s and the compile the engine 0.5-0.7 s, on
    /// two cores at once. A compile that throws (a bad table) stops the listing and is what the caller sees.
    /// </summary>
    public static async Task<(KnownRules Rules, NfTablesGeneration? Generation)> ReadAsync(RuleCommands commands, RuleBackend backend,
        Func<DesiredRules> compile, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(compile);
        using var listing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var listed = ListAsync(commands, backend, listing.Token);
        DesiredRules desired;
        try
        {
            desired = compile();
        }
        catch
        {
            await listing.CancelAsync().ConfigureAwait(false);
            try
            {
                await listed.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or Provisioner.Errors.NetlabException)
            {
                // the compile's error is the one that counts
            }
            throw;
        }
        var (iptables, kernel, generation) = await listed.ConfigureAwait(false);
        if (kernel is null)
            return (new KnownRules(iptables, null, null), generation);
        var canonical = desired.Nft is { } nft && kernel.Exists && kernel.SkeletonHash == nft.SkeletonHash
            ? await commands.CanonicalSkeletonAsync(nft, ct).ConfigureAwait(false)
            : null;
        return (new KnownRules(null, kernel, canonical), generation);
    }

    /// <summary>The kernel's rules, parsed off the caller's thread, and the generation read as soon as the listing ends.</summary>
    private static async Task<(IptablesKernelState? Iptables, NftKernelState? Nft, NfTablesGeneration? Generation)> ListAsync(RuleCommands commands, RuleBackend backend, CancellationToken ct)
    {
        if (backend == RuleBackend.Nftables)
        {
            var kernel = await NftKernelRead.ReadAsync(commands, ct).ConfigureAwait(false);
            return (null, kernel, commands.ReadGeneration());
        }
        var save = await commands.SaveIptablesAsync(ct).ConfigureAwait(false);
        var generation = commands.ReadGeneration();
        return (IptablesSaveParser.Parse(save.StandardOutput), null, generation);
    }

    /// <summary>The state file: a header (backend, the table fingerprint, the nf_tables generation it was proven at,
    /// where the rules are), then the rules as iptables-save or nft list print them.</summary>
    public string ToStateText(RuleBackend backend, NfTablesGeneration generation, string? fingerprint) =>
        HeaderText(backend, generation, fingerprint, inCompiledFile: false).Append(BodyText()).ToString();

    /// <summary>The state file when the rules are those of the compiled services file at <paramref name="fingerprint"/>
    /// (the header alone: a one-service change does not rewrite megabytes).</summary>
    public static string CompiledStateText(RuleBackend backend, NfTablesGeneration generation, string fingerprint) =>
        HeaderText(backend, generation, fingerprint, inCompiledFile: true).ToString();

    private static StringBuilder HeaderText(RuleBackend backend, NfTablesGeneration generation, string? fingerprint, bool inCompiledFile) =>
        new StringBuilder(Header).Append('\n')
            .Append("backend ").Append(backend).Append('\n')
            .Append("table ").Append(fingerprint ?? "unknown").Append('\n')
            .Append("generation ").Append(generation.Id.ToString(CultureInfo.InvariantCulture))
            .Append(" netns ").Append(generation.Namespace.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(inCompiledFile ? InCompiledFile : Inline).Append('\n');

    private StringBuilder BodyText()
    {
        var text = new StringBuilder();
        if (Iptables is { } ipt)
        {
            foreach (var table in IptablesRuleset.Tables)
            {
                text.Append('*').Append(table).Append('\n');
                var chains = ipt.Chains.Where(c => c.Key.StartsWith(table + "/", StringComparison.Ordinal)).ToList();
                foreach (var (key, _) in chains)
                    text.Append(':').Append(key[(table.Length + 1)..]).Append(" - [0:0]\n");
                foreach (var jump in ipt.Jumps.Where(j => j.Table == table))
                    text.Append(jump.Rule).Append('\n');
                foreach (var (_, rules) in chains)
                    foreach (var rule in rules)
                        text.Append(rule).Append('\n');
                text.Append("COMMIT\n");
            }
        }
        else if (Nft is { Exists: true } nft)
        {
            text.Append($"table ip netlab {{\n\tcomment \"{NftRuleset.CommentPrefix}{nft.SkeletonHash}\"\n");
            foreach (var (name, elements) in nft.Elements)
            {
                text.Append("\tset ").Append(name).Append(" {\n");
                if (elements.Count > 0)
                    NftElement.AppendElements(text, elements);
                text.Append("\t}\n");
            }
            text.Append("}\n");
        }
        return text;
    }

    /// <summary>A state file as its bytes: only the header is decoded now, the rules (megabytes at 10k services) only when
    /// a diff needs them (a no-op <c>netlab up</c> in a new process never does). Null rules: they are the compiled
    /// services file's at the fingerprint.</summary>
    public static (Lazy<KnownRules>? Rules, NfTablesGeneration Generation, string? Fingerprint)? FromStateBytes(byte[] bytes, RuleBackend backend)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var end = -1;
        for (var line = 0; line < HeaderLines; line++)
        {
            if ((end = Array.IndexOf(bytes, (byte)'\n', end + 1)) < 0)
                return FromStateText(Encoding.UTF8.GetString(bytes), backend); // no body: the header alone decides
        }
        if (FromStateText(Encoding.UTF8.GetString(bytes, 0, end + 1), backend) is not { } header)
            return null;
        return header.Rules is null ? header
            : (new Lazy<KnownRules>(() => FromStateText(Encoding.UTF8.GetString(bytes), backend)!.Value.Rules!.Value), header.Generation, header.Fingerprint);
    }

    /// <summary>Reads a state file's header, and its rules only when asked (a no-op sync never parses them); null when
    /// it is not a state file, or is of another backend; null rules when they are the compiled services file's.</summary>
    public static (Lazy<KnownRules>? Rules, NfTablesGeneration Generation, string? Fingerprint)? FromStateText(string text, RuleBackend backend)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n', HeaderLines + 1);
        var words = lines.Length < HeaderLines ? [] : lines[3].Split(' ');
        if (lines.Length < HeaderLines || lines[0] != Header || lines[4] is not (Inline or InCompiledFile) || lines[1] != "backend " + backend || !lines[2].StartsWith("table ", StringComparison.Ordinal)
            || words is not ["generation", var id, "netns", var cookie]
            || !uint.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            || !ulong.TryParse(cookie, NumberStyles.None, CultureInfo.InvariantCulture, out var netns))
            return null;
        var fingerprint = lines[2]["table ".Length..];
        var generationProof = new NfTablesGeneration(netns, generation);
        if (lines[4] == InCompiledFile)
            return (null, generationProof, fingerprint);
        var body = lines.Length > HeaderLines ? lines[HeaderLines] : "";
        var rules = new Lazy<KnownRules>(() => backend == RuleBackend.Nftables
            ? new KnownRules(null, body.Length == 0 ? NftKernelState.Missing : NftListingParser.Parse(body) with { Skeleton = null }, null)
            : new KnownRules(IptablesSaveParser.Parse(body), null, null));
        return (rules, generationProof, fingerprint == "unknown" ? null : fingerprint);
    }
}
