using Provisioner.ServiceRules.Applying;

namespace Provisioner.Netns.Layers;

/// <summary>
/// The proof that lets a no-op <c>netlab up</c> skip building a node's 10k-service table: a file beside the engine's
/// state saying "inputs I gave the table of fingerprint F". A later run trusts it only when its own inputs are I
/// (<paramref name="inputs"/>: null never matches) and the engine proves from its state file and the kernel's nf_tables
/// generation that the kernel still holds F (<see cref="ServiceRulesEngine.ProvenFingerprint"/>). Any edit of the
/// stack, a pod address, another build, a hand edit of the rules or of the state file fails one of the two.
/// </summary>
internal sealed class ServiceRulesInputs(string nodeDirectory, string? inputs)
{
    public string NodeDirectory => nodeDirectory;

    private string File => Path.Combine(nodeDirectory, "service-rules.inputs");

    public bool Unchanged(ServiceRulesEngine engine)
    {
        if (inputs is null || Read() is not [var recorded, var fingerprint] || recorded != inputs)
            return false;
        return engine.ProvenFingerprint() == fingerprint;
    }

    /// <summary>Records the inputs against the table the engine's state now provably names (nothing when none).</summary>
    public void Record(ServiceRulesEngine engine)
    {
        if (inputs is null || engine.ProvenFingerprint() is not { } fingerprint)
        {
            Forget();
            return;
        }
        Directory.CreateDirectory(nodeDirectory);
        var temporary = File + ".tmp";
        System.IO.File.WriteAllText(temporary, $"{inputs} {fingerprint}");
        System.IO.File.Move(temporary, File, overwrite: true);
    }

    public void Forget() => System.IO.File.Delete(File);

    private string[] Read()
    {
        try
        {
            return System.IO.File.Exists(File) ? System.IO.File.ReadAllText(File).Split(' ', StringSplitOptions.TrimEntries) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }
}
