namespace Provisioner.VmLab.Tests.Support;

/// <summary>The recorded outputs under Fixtures/.</summary>
internal static class Fixtures
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));
}
