using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>
/// The last table the engine applied, kept compiled service by service (kube-proxy's per-service change tracking):
/// each service's fragment, and what the services share, counted: the elements of every nftables set and the rules of
/// every iptables dispatch chain (<see cref="PartCounts"/>), the largest endpoint count (nftables pick chains), the
/// affinity timeouts in use (nftables sets), which service owns each iptables chain, and who claims each frontend and
/// node port (validation). <see cref="Diff"/> finds the services a new table changed, by reference first (the proxy's
/// tracker keeps the object of an unchanged service) and by hash otherwise; only those are validated, compiled and
/// diffed. A delta changes nothing here until it is <see cref="TableDelta.Commit">committed</see> after its apply.
/// </summary>
internal sealed class CompiledTable(RuleBackend backend, NodeContext node)
{
    internal readonly Dictionary<string, CompiledService> Services = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, PartCounts> Lists = new(StringComparer.Ordinal);
    internal readonly SortedDictionary<int, int> MaxEndpoints = [];
    internal readonly SortedDictionary<int, int> AffinityTimeouts = [];
    internal readonly Dictionary<string, string> ChainOwners = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, string> Frontends = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, string> NodePorts = new(StringComparer.Ordinal);
    internal UInt128 Sum;

    public RuleBackend Backend { get; } = backend;

    public NodeContext Node { get; } = node;

    /// <summary>Moves at every commit: a remembered state says which version it equals.</summary>
    public int Version { get; private set; }

    public string Fingerprint => TableFingerprint.Combine(Node, Services.Count, Sum);

    /// <summary>The rules of this table as it stands (for a remembered state that must be diffed whole).</summary>
    public DesiredRules Assembled() =>
        new TableDelta(this, new ServiceTable([.. Services.Values.Select(s => s.Service).OfType<Service>()]), [], [], false, Fingerprint, Sum, validated: true).Assemble();

    /// <summary>
    /// The table the compiled services file holds, its services paired with <paramref name="current"/>'s where the
    /// hashes are equal (so a diff against it finds those unchanged by reference); null when the file cannot be used.
    /// </summary>
    public static CompiledTable? FromFile(string path, RuleBackend backend, NodeContext node, ServiceTable current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var services = new Dictionary<string, Service>(current.Services.Count, StringComparer.Ordinal);
        foreach (var service in current.Services)
            services.TryAdd(service.Key, service);
        return FromFile(path, backend, node, (key, hash) => services.GetValueOrDefault(key) is { } s && TableFingerprint.OfService(s) == hash ? s : null);
    }

    /// <summary>The same, pairing each of the file's services with the current service of that key and hash, if any.</summary>
    public static CompiledTable? FromFile(string path, RuleBackend backend, NodeContext node, Func<string, UInt128, Service?> currentService)
    {
        ArgumentNullException.ThrowIfNull(currentService);
        if (CompiledTableFile.Read(path, backend, node) is not { } contents)
            return null;
        var table = new CompiledTable(backend, node) { File = contents };
        foreach (var (key, entry) in contents.Entries)
        {
            var compiled = new CompiledService(key, currentService(key, entry.Hash), entry.Hash, (entry.Frontends, entry.NodePorts), entry.Nft, entry.Iptables);
            table.Services[key] = compiled;
            table.Count(compiled, +1);
            table.Sum += entry.Hash;
        }
        table.Version++;
        return table.Fingerprint == contents.Fingerprint ? table : null;
    }

    /// <summary>The compiled services file this table was read from (its length then), if it was.</summary>
    public CompiledTableFile.Contents? File { get; private init; }

    /// <summary>The services <paramref name="table"/> adds, changes or removes against this one (nothing is compiled yet).</summary>
    public TableDelta Diff(ServiceTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var changes = new Dictionary<string, CompiledService?>(StringComparer.Ordinal);
        var retargets = new List<CompiledService>();
        var seen = new HashSet<string>(table.Services.Count, StringComparer.Ordinal);
        var duplicate = false;
        var sum = Sum;
        foreach (var service in table.Services)
        {
            var key = service.Key;
            if (!seen.Add(key))
            {
                duplicate = true;
                continue;
            }
            if (Services.TryGetValue(key, out var known))
            {
                if (ReferenceEquals(known.Service, service))
                    continue;
                var hash = TableFingerprint.OfService(service);
                if (hash == known.Hash)
                {
                    retargets.Add(known.For(service));
                    continue;
                }
                changes[key] = new CompiledService(service, hash);
                sum = sum - known.Hash + hash;
            }
            else
            {
                var added = new CompiledService(service, TableFingerprint.OfService(service));
                changes[key] = added;
                sum += added.Hash;
            }
        }
        var kept = seen.Count - changes.Count(c => !Services.ContainsKey(c.Key));
        if (kept < Services.Count)
        {
            foreach (var (key, gone) in Services.Where(s => !seen.Contains(s.Key)))
            {
                changes[key] = null;
                sum -= gone.Hash;
            }
        }
        var fingerprint = duplicate ? TableFingerprint.Of(table, Node) : TableFingerprint.Combine(Node, seen.Count, sum);
        return new TableDelta(this, table, changes, retargets, duplicate, fingerprint, sum);
    }

    /// <summary>Takes a delta's services in: counts what they share, forgets what the services they replace held.</summary>
    internal void Apply(IReadOnlyDictionary<string, CompiledService?> changes, IReadOnlyList<CompiledService> retargets, UInt128 sum)
    {
        foreach (var (key, next) in changes)
        {
            if (Services.TryGetValue(key, out var previous))
                Count(previous, -1);
            if (next is null)
                Services.Remove(key);
            else
            {
                Services[key] = next;
                Count(next, +1);
            }
        }
        foreach (var same in retargets)
            Services[same.Key] = same;
        Sum = sum;
        Version++;
    }

    private void Count(CompiledService service, int by)
    {
        foreach (var claim in service.Claims.Frontends)
            Claim(Frontends, claim, service.Key, by);
        foreach (var claim in service.Claims.NodePorts)
            Claim(NodePorts, claim, service.Key, by);
        if (Backend == RuleBackend.Nftables)
        {
            var fragment = service.Nft(Node);
            foreach (var (set, elements) in fragment.Elements)
                foreach (var element in elements)
                    ListOf(set).Add(element.Identity, by);
            Tally(MaxEndpoints, fragment.MaxEndpoints, by);
            foreach (var timeout in fragment.AffinityTimeouts)
                Tally(AffinityTimeouts, timeout, by);
            return;
        }
        var ipt = service.Iptables(Node);
        foreach (var (chain, rules) in ipt.Dispatch)
            foreach (var rule in rules)
                ListOf(chain).Add(rule, by);
        foreach (var chain in ipt.Chains)
        {
            if (by > 0)
                ChainOwners[chain.Key] = service.Key;
            else if (ChainOwners.GetValueOrDefault(chain.Key) == service.Key)
                ChainOwners.Remove(chain.Key);
        }
    }

    internal PartCounts ListOf(string name)
    {
        if (!Lists.TryGetValue(name, out var counts))
            Lists[name] = counts = new PartCounts();
        return counts;
    }

    private static void Claim(Dictionary<string, string> claims, string claim, string owner, int by)
    {
        if (by > 0)
            claims[claim] = owner;
        else if (claims.GetValueOrDefault(claim) == owner)
            claims.Remove(claim);
    }

    private static void Tally(SortedDictionary<int, int> tally, int value, int by)
    {
        var count = tally.GetValueOrDefault(value) + by;
        if (count == 0)
            tally.Remove(value);
        else
            tally[value] = count;
    }
}
