using System.Security.Cryptography;
using System.Text;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>
/// The compiled table kept across processes (next to the state file): every service's hash, claims and fragment, so a
/// new process compiles only the services whose hash changed. A header names the engine build, the backend and the
/// node the fragments were compiled for; then segments, each a SHA-256-checked batch of services added, changed or
/// removed and the table fingerprint after them: a sync appends one segment with the services it changed instead of
/// rewriting megabytes, and the file is rewritten whole when the appended segments outgrow it. Anything unexpected
/// (another build, backend or node, a bad digest, a truncated segment, a fingerprint that does not add up) makes
/// <see cref="Read"/> return null: the engine then compiles everything. The file says what was compiled, never what
/// the kernel holds: the engine trusts it as the last-applied state only when the state file's fingerprint, proven by
/// the nf_tables generation, names it.
/// </summary>
internal static class CompiledTableFile
{
    private static readonly byte[] Magic = "netlab compiled services v1\n"u8.ToArray();

    /// <summary>The build of the compiler (a deterministic build's module id changes with any source change).</summary>
    private static string EngineVersion { get; } = typeof(CompiledTableFile).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    public sealed record Entry(UInt128 Hash, IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts, NftFragment? Nft, IptablesFragment? Iptables);

    /// <summary>The services of the file, the fingerprint they add up to, the file's length, and the length of its whole
    /// part (before appended segments).</summary>
    public sealed record Contents(Dictionary<string, Entry> Entries, string Fingerprint, long Length, long Whole);

    /// <summary>Writes the whole table (to a temporary file, then moved over); returns the file's length.
    /// <paramref name="engineVersion"/> is for specs that play another build.</summary>
    public static long WriteWhole(string path, CompiledTable table, string? engineVersion = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        return WriteWhole(path, table.Backend, table.Node, table.Services.Select(s => KeyValuePair.Create(s.Key, (CompiledService?)s.Value)),
            table.Fingerprint, engineVersion);
    }

    /// <summary>The same for the table that <paramref name="services"/> (none removed) make of an empty one, with the
    /// fingerprint they add up to: what <see cref="WriteWhole(string, CompiledTable, string?)"/> writes once they are
    /// committed, written before (the engine writes it while the kernel tool applies the first sync).</summary>
    public static long WriteWhole(string path, RuleBackend backend, NodeContext node, IEnumerable<KeyValuePair<string, CompiledService?>> services,
        string fingerprint, string? engineVersion = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(Magic);
            WriteSegment(file, w =>
            {
                w.Write(engineVersion ?? EngineVersion);
                w.Write(backend.ToString());
                w.Write(NodeKey(node));
            });
            WriteSegment(file, w => WriteServices(w, backend, node, services, fingerprint));
        }
        File.Move(temporary, path, overwrite: true);
        return new FileInfo(path).Length;
    }

    /// <summary>Appends the services a commit changed; null (nothing written) when the file is not the
    /// <paramref name="expectedLength"/> bytes the caller last wrote or read.</summary>
    public static long? Append(string path, long expectedLength, CompiledTable table, IReadOnlyDictionary<string, CompiledService?> changes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        if (file.Length != expectedLength)
            return null;
        file.Seek(0, SeekOrigin.End);
        WriteSegment(file, w => WriteServices(w, table.Backend, table.Node, changes, table.Fingerprint));
        file.Flush();
        return file.Length;
    }

    /// <summary>The file's services, if it is whole, of this engine build, backend and node; null otherwise.</summary>
    public static Contents? Read(string path, RuleBackend backend, NodeContext node)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            if (!bytes.AsSpan().StartsWith(Magic))
                return null;
            var offset = Magic.Length;
            using (var header = Segment(bytes, ref offset, out _))
            {
                if (header is null || header.ReadString() != EngineVersion || header.ReadString() != backend.ToString() || header.ReadString() != NodeKey(node))
                    return null;
            }
            var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            string? fingerprint = null;
            var whole = 0L;
            while (offset < bytes.Length)
            {
                using var segment = Segment(bytes, ref offset, out var origin);
                if (segment is null)
                    return null;
                fingerprint = ReadServices(segment, entries, backend, bytes, origin);
                whole = whole == 0 ? offset : whole;
            }
            var sum = entries.Values.Aggregate(UInt128.Zero, (s, e) => s + e.Hash);
            return fingerprint is not null && fingerprint == TableFingerprint.Combine(node, entries.Count, sum)
                ? new Contents(entries, fingerprint, bytes.Length, whole)
                : null;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    private static string NodeKey(NodeContext node) => TableFingerprint.Combine(node, 0, UInt128.Zero);

    private static void WriteServices(BinaryWriter w, RuleBackend backend, NodeContext node, IEnumerable<KeyValuePair<string, CompiledService?>> services,
        string fingerprint)
    {
        var list = services.ToList();
        w.Write(list.Count);
        foreach (var (key, service) in list)
        {
            w.Write(key);
            w.Write(service is not null);
            if (service is null)
                continue;
            w.Write((ulong)(service.Hash >> 64));
            w.Write((ulong)service.Hash);
            WriteStrings(w, service.Claims.Frontends);
            WriteStrings(w, service.Claims.NodePorts);
            if (backend == RuleBackend.Nftables)
                FragmentFormat.Write(w, service.Nft(node));
            else
                FragmentFormat.Write(w, service.Iptables(node));
        }
        w.Write(fingerprint);
    }

    private static string ReadServices(BinaryReader r, Dictionary<string, Entry> entries, RuleBackend backend, byte[] bytes, int origin)
    {
        var count = r.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var key = r.ReadString();
            if (!r.ReadBoolean())
            {
                entries.Remove(key);
                continue;
            }
            var hash = new UInt128(r.ReadUInt64(), r.ReadUInt64());
            var frontends = ReadStrings(r);
            var nodePorts = ReadStrings(r);
            entries[key] = backend == RuleBackend.Nftables
                ? new Entry(hash, frontends, nodePorts, FragmentFormat.ReadNft(r), null)
                : new Entry(hash, frontends, nodePorts, null, FragmentFormat.ReadIptables(r, bytes, origin));
        }
        return r.ReadString();
    }

    internal static void WriteStrings(BinaryWriter w, IReadOnlyList<string> strings)
    {
        w.Write(strings.Count);
        foreach (var s in strings)
            w.Write(s);
    }

    internal static string[] ReadStrings(BinaryReader r)
    {
        var strings = new string[r.ReadInt32()];
        for (var i = 0; i < strings.Length; i++)
            strings[i] = r.ReadString();
        return strings;
    }

    /// <summary>A segment: its length, the SHA-256 of its payload, the payload.</summary>
    private static void WriteSegment(Stream file, Action<BinaryWriter> write)
    {
        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
            write(w);
        var body = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        Span<byte> frame = stackalloc byte[4 + SHA256.HashSizeInBytes];
        BitConverter.TryWriteBytes(frame, body.Length);
        SHA256.HashData(body, frame[4..]);
        file.Write(frame);
        file.Write(body);
    }

    /// <summary>The reader of the segment at <paramref name="offset"/> (moved past it); null when it is truncated or its
    /// digest is wrong.</summary>
    private static BinaryReader? Segment(byte[] bytes, ref int offset, out int origin)
    {
        const int frame = 4 + SHA256.HashSizeInBytes;
        origin = offset + frame;
        if (bytes.Length - offset < frame)
            return null;
        var length = BitConverter.ToInt32(bytes, offset);
        if (length < 0 || length > bytes.Length - offset - frame)
            return null;
        var body = bytes.AsSpan(offset + frame, length);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(offset + 4, SHA256.HashSizeInBytes)))
            return null;
        var reader = new BinaryReader(new MemoryStream(bytes, offset + frame, length, writable: false), Encoding.UTF8);
        offset += frame + length;
        return reader;
    }
}
