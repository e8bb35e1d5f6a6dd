namespace Provisioner.Deploy;

/// <summary>Writes a deployment's local files (rendered user-data, scripts, documents) under the project root.</summary>
public static class LocalFiles
{
    /// <summary>Writes each file whose content differs; returns how many were written.</summary>
    public static int Write(string projectRoot, IEnumerable<LocalFile> files)
    {
        var written = 0;
        foreach (var file in files)
        {
            var path = Path.Combine(projectRoot, file.Path);
            if (File.Exists(path) && File.ReadAllText(path) == file.Content)
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Content);
            written++;
        }
        return written;
    }
}
