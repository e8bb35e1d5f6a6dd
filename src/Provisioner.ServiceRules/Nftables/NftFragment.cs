namespace Provisioner.ServiceRules.Nftables;

/// <summary>
/// What one service contributes to the nftables table: its elements by set name (before the table-wide de-duplication
/// of the shared sets), the most endpoints any of its ports has (the pick chains are sized by the table's largest), and
/// the session-affinity timeouts of its ports (each is a set and recorder rules in the skeleton).
/// </summary>
public sealed record NftFragment(IReadOnlyDictionary<string, IReadOnlyList<NftElement>> Elements, int MaxEndpoints, IReadOnlyList<int> AffinityTimeouts);
