namespace Provisioner.Netns;

/// <summary>
/// The stack file each step was last applied from, kept in the lab's state directory (<c>steps/&lt;id&gt;.yaml</c>), so
/// that removing a step undoes exactly what its apply made even after the stack file changed or went away (a pod
/// removed from the stack, or moved to another node: its old attachment is on the old node). It lives under /run, as
/// the namespaces do: when they are gone (a reboot, <c>netlab down</c>), so is what it would remove.
/// </summary>
public static class AppliedSteps
{
    public static string PathOf(LabLayout layout, string stepId)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return Path.Combine(layout.Directory, "steps", stepId + ".yaml");
    }

    /// <summary>Records the stack text a step was applied from (atomically: temp file and rename).</summary>
    public static void Record(LabLayout layout, string stepId, string stackText)
    {
        var path = PathOf(layout, stepId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".tmp", stackText);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The stack text the step was last applied from; null if it was never applied (or already removed).</summary>
    public static string? Load(LabLayout layout, string stepId)
    {
        var path = PathOf(layout, stepId);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public static void Forget(LabLayout layout, string stepId) => File.Delete(PathOf(layout, stepId));
}
