using Provisioner.Host.Namespaces;

namespace Provisioner.Observability.Metrics;

/// <summary>What one namespace's own kernel counters say: its interfaces, its TCP retransmits, its conntrack table.</summary>
public sealed record NamespaceSample(WatchedNamespace Namespace, IReadOnlyList<InterfaceCounters> Interfaces, long? TcpRetransmits, long? ConntrackEntries);

/// <summary>
/// Reads a namespace's counters from /proc on a thread that has entered it (no process started): /proc/thread-self/net
/// is the calling thread's namespace (/proc/net would be the process's), and net.* sysctls are read in the namespace
/// of the thread that opens them. A namespace the process runs in (<see cref="WatchedNamespace.Own"/>) is read as it is.
/// </summary>
public static class NamespaceReader
{
    public const string ConntrackCount = "/proc/sys/net/netfilter/nf_conntrack_count";

    public static NamespaceSample? Read(WatchedNamespace watched)
    {
        if (watched.Own)
            return ReadHere(watched);
        try
        {
            using var ns = NetworkNamespace.Open(Netns.Namespaces.PathOf(watched.Netns));
            return ns.Run(() => ReadHere(watched));
        }
        catch (NamespaceNotFoundException)
        {
            return null; // a pod being recreated, or a node not up yet: no series until it is back
        }
    }

    private static NamespaceSample ReadHere(WatchedNamespace watched) => new(watched,
        KernelCounters.ParseNetDev(File.ReadAllText("/proc/thread-self/net/dev")).Where(i => i.Name != "lo").ToList(),
        KernelCounters.ParseTcpRetransmits(File.ReadAllText("/proc/thread-self/net/snmp")),
        ReadLong(ConntrackCount));

    /// <summary>A single-number file; absent when the module is not loaded (no conntrack: no rules need it yet).</summary>
    private static long? ReadLong(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
