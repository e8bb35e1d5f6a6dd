namespace Provisioner.Testing;

/// <summary>Unique short names for test namespaces and links (interface names are limited to 15 bytes).</summary>
public static class TestNames
{
    /// <summary>A name like <c>nlt-3f9a2c</c>: a fixed prefix (so leftovers are recognisable) and 6 random hex digits.</summary>
    public static string Unique(string prefix = "nlt") => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";
}
