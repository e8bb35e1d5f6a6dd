using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Provisioner.Host.Netlink;

namespace Provisioner.Netns.Layers;

/// <summary>
/// What a node's nf_tables generation proves across <c>netlab</c> processes about rules netlab checked before: a
/// proof file says "at generation G of namespace N the kernel held exactly the rules of digest D". A later process
/// trusts it, and reads no rules, only while the kernel still reports N and G, or a generation the service-rules
/// engine reached from G by its own transactions alone (<see cref="RecordServiceMove"/>: the engine proves each apply
/// moved the generation by exactly its transactions). Anything else that commits an nf_tables transaction in the
/// namespace (a hand edit, another tool) moves the generation past what any proof names, so the next plan reads.
/// No generation (iptables-legacy, or a namespace that cannot be entered): never trusted.
/// </summary>
public sealed class RulesProof(string nodeDirectory, string netns, string name)
{
    private string ProofFile => Path.Combine(nodeDirectory, name + ".proof");

    /// <summary>The last proven move of the service-rules engine in this node: from, to (a file shared by every proof).</summary>
    private string ServiceMoveFile => Path.Combine(nodeDirectory, "service-rules.move");

    /// <summary>The namespace's generation now; null where there is none to read.</summary>
    public NfTablesGeneration? Generation()
    {
        try
        {
            return NfTablesGeneration.Read("/run/netns/" + netns);
        }
        catch (Errors.NetlabException)
        {
            return null;
        }
    }

    /// <summary>The digest the proof compares: the whole desired ruleset's text, and whatever else it depends on.</summary>
    public static string Digest(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n\0", parts))));

    /// <summary>True when the kernel provably still holds the rules of <paramref name="digest"/>.</summary>
    public bool Holds(string digest)
    {
        if (Read(ProofFile) is not [var cookie, var generation, var proven] || proven != digest || Generation() is not { } now
            || now.Namespace.ToString(CultureInfo.InvariantCulture) != cookie)
            return false;
        var at = now.Id.ToString(CultureInfo.InvariantCulture);
        if (generation == at)
            return true;
        if (Read(ServiceMoveFile) is not [var moveCookie, var from, var to] || moveCookie != cookie || from != generation || to != at)
            return false;
        Record(digest, now); // carried over the service engine's apply: proven at this generation now
        return true;
    }

    /// <summary>Records that the kernel held <paramref name="digest"/> at <paramref name="at"/> (null: forget, the next plan reads).</summary>
    public void Record(string digest, NfTablesGeneration? at)
    {
        if (at is { } g)
            Write(ProofFile, g.Namespace, g.Id.ToString(CultureInfo.InvariantCulture), digest);
        else
            File.Delete(ProofFile);
    }

    /// <summary>The service-rules engine moved the node's generation from <paramref name="from"/> to <paramref name="to"/>
    /// with nothing else in between (both null: it could not prove that, and no proof may be carried over its apply).</summary>
    public static void RecordServiceMove(string nodeDirectory, NfTablesGeneration? from, NfTablesGeneration? to)
    {
        var file = Path.Combine(nodeDirectory, "service-rules.move");
        if (from is { } f && to is { } t && f.Namespace == t.Namespace)
            Write(file, f.Namespace, f.Id.ToString(CultureInfo.InvariantCulture), t.Id.ToString(CultureInfo.InvariantCulture));
        else
            File.Delete(file);
    }

    private static string[] Read(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Split(' ', StringSplitOptions.TrimEntries) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static void Write(string file, ulong cookie, string first, string second)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, $"{cookie.ToString(CultureInfo.InvariantCulture)} {first} {second}");
        File.Move(temporary, file, overwrite: true);
    }
}
