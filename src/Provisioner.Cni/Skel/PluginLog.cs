namespace Provisioner.Cni.Skel;

/// <summary>Appends lines to the config's logFile (off when none). Never writes to stdout: stdout is the result.</summary>
internal sealed class PluginLog(string? path, CniEnvironment? env)
{
    public static readonly PluginLog Off = new(null, null);

    public void Write(string message)
    {
        if (path is null)
            return;
        try
        {
            File.AppendAllText(path, $"{DateTime.UtcNow:O} {env?.Command} {env?.ContainerId}/{env?.IfName} pid={Environment.ProcessId}: {message}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a broken log must never fail the pod
        }
    }
}
