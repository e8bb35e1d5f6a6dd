namespace Provisioner.Cli.Commands;

/// <summary>
/// The node documents that <c>netlab node fabric|services apply</c> last applied with success, addresses filled in,
/// kept where <c>netlab node reapply</c> (the boot-time <c>netlab-node.service</c>) finds them: nothing netlab puts in
/// the kernel (links, routes, rules) survives a reboot, but these files do. Each is replaced atomically (written
/// beside its target, then renamed), so a crash never leaves half a document for the next boot.
/// </summary>
internal sealed class AppliedDocuments(string directory)
{
    /// <summary>The well-known place on a node, where templates/systemd/netlab-node.service.sbn has reapply look.</summary>
    public static readonly string DefaultDirectory = Rendering.Models.NodePaths.Default.AppliedDir;

    public const string FabricFile = "fabric.json";
    public const string ServicesFile = "services.json";

    public string Directory { get; } = directory;

    public string Fabric => Path.Combine(Directory, FabricFile);
    public string Services => Path.Combine(Directory, ServicesFile);

    public void SaveFabric(string json) => Save(Fabric, json);
    public void SaveServices(string json) => Save(Services, json);

    /// <summary>The saved document, or null when none was saved.</summary>
    public static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    private void Save(string path, string json)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temp = Path.Combine(Directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using var writer = new StreamWriter(stream);
                writer.Write(json);
                writer.Flush();
                stream.Flush(flushToDisk: true); // on disk before the rename makes it the document
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
