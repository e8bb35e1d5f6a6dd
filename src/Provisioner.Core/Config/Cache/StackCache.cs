using System.Security.Cryptography;
using System.Text;
using Provisioner.Core.Model;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Config.Cache;

/// <summary>
/// Stack files read and validated before, kept by content so an unchanged 10k-service stack is not parsed again
/// (<c>netlab up</c> reads its stack on every run). One entry per stack path, in <paramref name="directory"/>: a header
/// line naming the key (SHA-256 of the netlab build that read it, the stack's name and the file's bytes) and the hash
/// of the body, then the <see cref="LabConfig"/> in a binary form (<see cref="LabConfigWriter"/>: a serializer's
/// generic converters over the model's types would be compiled at every start, which costs more than the parse they save). An entry whose header, key or body hash does not match, or
/// that does not deserialize, is a miss: the stack is read as if there were no cache. Only valid stacks are stored, so
/// a bad stack's errors are always the reader's own. Entries are written atomically (a temporary file renamed).
/// </summary>
public sealed class StackCache(string directory)
{
    private const string Magic = "netlab-stack-cache 1";

    /// <summary>The build that reads, validates and models a stack: Core (reader, validator, model) and its YAML parser.</summary>
    private static readonly string Build = string.Join(' ',
        typeof(StackCache).Assembly.ManifestModule.ModuleVersionId.ToString("N"),
        typeof(YamlDotNet.Core.Parser).Assembly.ManifestModule.ModuleVersionId.ToString("N"));

    public string Directory => directory;

    /// <summary>As <see cref="StackFile.Load"/>, from the cache when this very file was read before by this build.</summary>
    public LabConfig Load(string path)
    {
        if (!File.Exists(path))
            return StackFile.Load(path); // its error
        var bytes = File.ReadAllBytes(path);
        var key = Key(bytes, StackFile.StackName(path));
        var entry = EntryPath(path);
        if (Diagnostics.PhaseTimer.Time("stack cache: read", () => TryRead(entry, key)) is { } cached)
        {
            LabValidator.RememberValid(cached);
            LastRead = StackRead.Cached;
            LabIdentity.Remember(cached, key);
            return cached;
        }
        var edit = Diagnostics.PhaseTimer.Time("stack cache: edit", () => TryEdit(entry, path, bytes));
        StackLayout? layout;
        LabConfig lab;
        if (edit is { } edited)
        {
            (lab, layout) = edited;
            LastRead = StackRead.Edit;
        }
        else
        {
            LastRead = StackRead.Whole;
            lab = StackFile.Parse(Text(bytes), path, out layout);
        }
        using (Diagnostics.PhaseTimer.Start("stack cache: write"))
        {
            TryWrite(entry, key, lab);
            TryWriteSource(SourcePath(entry), key, bytes, layout);
        }
        LabIdentity.Remember(lab, key);
        return lab;
    }

    /// <summary>How this process's last <see cref="Load"/> got its lab (for specs and the profile).</summary>
    internal StackRead LastRead { get; private set; }

    /// <summary>
    /// The lab of an edited stack from the previous entry of the same file, when that entry (any key, of this build) and
    /// the file it was read from are intact and the edit is one <see cref="StackEdit"/> takes; otherwise null.
    /// </summary>
    private static (LabConfig, StackLayout)? TryEdit(string entry, string path, byte[] bytes)
    {
        if (Diagnostics.PhaseTimer.Time("stack cache: read the previous source", () => ReadSource(SourcePath(entry))) is not var (oldKey, oldBytes, layout)
            || Key(oldBytes, StackFile.StackName(path)) != oldKey
            || Diagnostics.PhaseTimer.Time("stack cache: read the previous entry", () => TryRead(entry, oldKey)) is not { } previous)
            return null; // no previous read, another build's or stack's, or a damaged or mismatched pair
        return StackEdit.Apply(oldBytes, layout, previous, bytes);
    }

    /// <summary>The file's text exactly as <see cref="File.ReadAllText(string)"/> decodes it (byte order marks included).</summary>
    private static string Text(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    internal static string Key(byte[] stack, string? stackName)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{Magic}\n{Build}\n{(stackName is null ? "-" : "+" + stackName)}\n"));
        hash.AppendData(stack);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>One entry per stack file (by its full path), so editing a stack replaces its entry.</summary>
    internal string EntryPath(string stackPath) =>
        Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(stackPath))))[..32] + ".lab");

    /// <summary>A cache file's bytes and where its header line ends; null when it cannot be read or has no header line.</summary>
    private static (byte[] Bytes, int Newline)? ReadHeaded(string file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var newline = Array.IndexOf(bytes, (byte)'\n');
        return newline < 0 ? null : (bytes, newline);
    }

    internal static LabConfig? TryRead(string entry, string key)
    {
        if (ReadHeaded(entry) is not { } headed)
            return null;
        var (bytes, newline) = headed;
        var body = bytes.AsSpan(newline + 1);
        if (Encoding.UTF8.GetString(bytes, 0, newline) != Header(key, body))
            return null; // another stack's, another build's, or a damaged body
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, newline + 1, body.Length), Encoding.UTF8);
            return new LabConfigBinaryReader(reader).Read();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidCastException)
        {
            return null;
        }
    }

    /// <summary>Beside each entry, the bytes it was read from and where their services lie (read only on a miss).</summary>
    internal static string SourcePath(string entry) => Path.ChangeExtension(entry, ".src");

    private const string SourceMagic = "netlab-stack-source 1";

    internal static void TryWriteSource(string file, string key, byte[] stack, StackLayout? layout)
    {
        if (layout is null)
        {
            TryDelete(file); // a stale source must not outlive its entry's stack
            return;
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(layout.Column);
            writer.Write(layout.ItemLines.Length);
            foreach (var line in layout.ItemLines)
                writer.Write(line);
            writer.Write(stack.Length);
            writer.Write(stack);
        }
        var body = stream.ToArray();
        var temporary = $"{file}.{Environment.ProcessId}.tmp";
        try
        {
            // the whole stack file (other providers' keys and secrets too): readable by its owner only
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var output = new FileStream(temporary, options))
            {
                output.Write(Encoding.UTF8.GetBytes($"{SourceMagic} key {key} body {Convert.ToHexStringLower(SHA256.HashData(body))}\n"));
                output.Write(body);
            }
            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            TryDelete(temporary);
        }
    }

    internal static (string Key, byte[] Stack, StackLayout Layout)? ReadSource(string file)
    {
        if (ReadHeaded(file) is not { } headed)
            return null;
        var (bytes, newline) = headed;
        var header = Encoding.UTF8.GetString(bytes, 0, newline).Split(' ');
        var body = bytes.AsSpan(newline + 1);
        if (header.Length != 6 || $"{header[0]} {header[1]}" != SourceMagic || header[2] != "key" || header[4] != "body"
            || header[5] != Convert.ToHexStringLower(SHA256.HashData(body)))
            return null;
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, newline + 1, body.Length), Encoding.UTF8);
            var column = reader.ReadInt32();
            var lines = new int[reader.ReadInt32()];
            for (var i = 0; i < lines.Length; i++)
                lines[i] = reader.ReadInt32();
            var stack = reader.ReadBytes(reader.ReadInt32());
            if (reader.BaseStream.Position != reader.BaseStream.Length || column < 0 || lines.Zip(lines.Skip(1)).Any(p => p.First >= p.Second))
                return null;
            return (header[3], stack, new StackLayout(column, lines));
        }
        catch (Exception e) when (e is IOException or OverflowException or ArgumentException or OutOfMemoryException)
        {
            return null;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // nothing more to do: a stray file is never trusted
        }
    }

    internal static string Header(string key, ReadOnlySpan<byte> body) => $"{Magic} key {key} body {Convert.ToHexStringLower(SHA256.HashData(body))}";

    private static byte[] Serialize(LabConfig lab)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            new LabConfigWriter(writer).Write(lab);
        return stream.ToArray();
    }

    /// <summary>Entries kept: one per stack file used lately (a 10k-service stack's is ~0.3 MB).</summary>
    internal const int MaxEntries = 32;

    /// <summary>Removes all but the <see cref="MaxEntries"/> entries written last (stacks in deleted temporary folders).</summary>
    private static void Prune(string directory)
    {
        var entries = new DirectoryInfo(directory).GetFiles("*.lab");
        if (entries.Length <= MaxEntries)
            return;
        foreach (var stale in entries.OrderByDescending(e => e.LastWriteTimeUtc).Skip(MaxEntries))
        {
            stale.Delete();
            TryDelete(SourcePath(stale.FullName));
        }
    }

    /// <summary>Stores a valid lab; a cache that cannot be written (no permission, a full disk) only costs the next read.</summary>
    internal static void TryWrite(string entry, string key, LabConfig lab)
    {
        var temporary = $"{entry}.{Environment.ProcessId}.tmp";
        try
        {
            var body = Serialize(lab);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
            using (var file = File.Create(temporary))
            {
                file.Write(Encoding.UTF8.GetBytes(Header(key, body) + "\n"));
                file.Write(body);
            }
            File.Move(temporary, entry, overwrite: true);
            Prune(Path.GetDirectoryName(entry)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // nothing more to do: a stray temporary file is never read
            }
        }
    }
}

internal enum StackRead
{
    Cached,
    Edit,
    Whole,
}
