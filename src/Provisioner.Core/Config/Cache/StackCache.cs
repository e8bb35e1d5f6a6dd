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
            LabIdentity.Remember(cached, key);
            return cached;
        }
        var lab = StackFile.Parse(Text(bytes), path);
        using (Diagnostics.PhaseTimer.Start("stack cache: write"))
            TryWrite(entry, key, lab);
        LabIdentity.Remember(lab, key);
        return lab;
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

    internal static LabConfig? TryRead(string entry, string key)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var newline = Array.IndexOf(bytes, (byte)'\n');
        if (newline < 0)
            return null;
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
            stale.Delete();
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
