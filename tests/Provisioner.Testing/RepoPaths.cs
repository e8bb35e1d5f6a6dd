namespace Provisioner.Testing;

/// <summary>Locates the repository (for templates/, Pulumi.dev.yaml and golden files) from a test's bin folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Provisioner.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Provisioner.sln not found above " + AppContext.BaseDirectory);
    }
}
