using System.Net;
using System.Net.Sockets;
using Provisioner.Cni.Config;
using Provisioner.Cni.Skel;

namespace Provisioner.Cni.Ipam;

/// <summary>One allocated address and who holds it (the spec's key: network, container ID, interface).</summary>
internal sealed record Allocation(IPAddress Address, string ContainerId, string IfName);

/// <summary>
/// The allocations of one network on disk, host-local style, readable with <c>ls</c> and <c>cat</c>:
/// <c>&lt;dataDir&gt;/&lt;network&gt;/10.244.1.5</c> holds "containerID\nifname", <c>last_reserved_ip.0</c> the last
/// address handed out, and <c>lock</c> is flock'ed for as long as this object lives, so concurrent plugins take turns.
/// Every file is written to a temporary name and renamed, so a killed plugin leaves whole files or none.
/// </summary>
internal sealed class AllocationStore : IDisposable
{
    public const string LastReservedFile = "last_reserved_ip.0";
    public const string LockFileName = "lock";
    private const string TempPrefix = ".tmp-";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly FileLock _lock;

    private AllocationStore(string directory, FileLock fileLock)
    {
        Directory = directory;
        _lock = fileLock;
    }

    public string Directory { get; }

    /// <summary>Opens (creating it if needed) and locks the network's directory.</summary>
    public static AllocationStore Open(string dataDir, string network)
    {
        if (network is "." or ".." || network.Contains('/', StringComparison.Ordinal))
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"name \"{network}\" cannot be a directory name; use letters, digits, '-' or '_'");
        var directory = Path.Combine(dataDir, network);
        FileLock? fileLock;
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            fileLock = FileLock.Acquire(Path.Combine(directory, LockFileName), LockTimeout);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.IoFailure, $"IPAM directory {directory} is not usable: {e.Message}; check ipam.dataDir and that it is writable by root");
        }
        if (fileLock is null)
            throw new CniException(CniErrorCode.TryAgainLater, $"IPAM directory {directory} stayed locked for {LockTimeout.TotalSeconds} s by another plugin; try again");
        var store = new AllocationStore(directory, fileLock);
        store.RemoveTemporaryFiles();
        return store;
    }

    public IReadOnlyList<Allocation> List()
    {
        var result = new List<Allocation>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            var name = Path.GetFileName(file);
            if (!IPAddress.TryParse(name, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
                continue;
            var lines = File.ReadAllText(file).Split('\n');
            result.Add(new Allocation(address, lines[0].Trim(), lines.Length > 1 ? lines[1].Trim() : ""));
        }
        return result;
    }

    public Allocation? Find(string containerId, string ifName) =>
        List().FirstOrDefault(a => a.ContainerId == containerId && a.IfName == ifName);

    /// <summary>
    /// The address for (container, interface): the one it already holds (a retried ADD), else the next free one.
    /// An exhausted range is error 11 naming the subnet.
    /// </summary>
    public IPAddress Allocate(IpamConfig range, string containerId, string ifName)
    {
        var existing = List();
        if (existing.FirstOrDefault(a => a.ContainerId == containerId && a.IfName == ifName) is { } held && InRange(range, held.Address))
            return held.Address;
        var allocated = existing.Select(a => a.Address).ToHashSet();
        var address = NextAddress.Pick(range, allocated, ReadLastReserved())
            ?? throw new CniException(CniErrorCode.TryAgainLater,
                $"no free address left in {range.Subnet} (range {range.RangeStart}-{range.RangeEnd}, {allocated.Count} allocated); delete unused pods or widen the range");
        WriteAtomically(address.ToString(), $"{containerId}\n{ifName}");
        WriteAtomically(LastReservedFile, address.ToString());
        return address;
    }

    /// <summary>Releases what (container, interface) holds; returns the addresses freed (none is fine: DEL is idempotent).</summary>
    public IReadOnlyList<IPAddress> Release(string containerId, string ifName) =>
        ReleaseWhere(a => a.ContainerId == containerId && a.IfName == ifName);

    /// <summary>Releases every allocation <paramref name="shouldRelease"/> picks; returns them.</summary>
    public IReadOnlyList<IPAddress> ReleaseWhere(Func<Allocation, bool> shouldRelease)
    {
        var released = new List<IPAddress>();
        foreach (var allocation in List().Where(shouldRelease))
        {
            File.Delete(Path.Combine(Directory, allocation.Address.ToString()));
            released.Add(allocation.Address);
        }
        return released;
    }

    public void Dispose() => _lock.Dispose();

    private static bool InRange(IpamConfig range, IPAddress address) =>
        Ipv4.ToUInt(address) >= Ipv4.ToUInt(range.RangeStart) && Ipv4.ToUInt(address) <= Ipv4.ToUInt(range.RangeEnd);

    private IPAddress? ReadLastReserved()
    {
        var path = Path.Combine(Directory, LastReservedFile);
        return File.Exists(path) && IPAddress.TryParse(File.ReadAllText(path).Trim(), out var last) ? last : null;
    }

    private void WriteAtomically(string name, string content)
    {
        var temp = Path.Combine(Directory, $"{TempPrefix}{Environment.ProcessId}-{name}");
        File.WriteAllText(temp, content);
        File.Move(temp, Path.Combine(Directory, name), overwrite: true);
    }

    /// <summary>Leftovers of a plugin killed between write and rename; safe to drop because we hold the lock.</summary>
    private void RemoveTemporaryFiles()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, TempPrefix + "*"))
            File.Delete(file);
    }
}
