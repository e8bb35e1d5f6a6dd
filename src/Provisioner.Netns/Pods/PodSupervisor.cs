using System.Diagnostics;
using System.Globalization;
using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;

namespace Provisioner.Netns.Pods;

/// <summary>
/// Starts, checks and stops a pod's server process: <c>setsid ip netns exec POD-NS netlab pod-server ...</c>, detached
/// from the caller's session so it outlives <c>netlab up</c>, with its pid in the lab's state directory.
/// </summary>
public sealed class PodSupervisor(LabLayout layout, IReadOnlyList<string> netlabCommand)
{
    /// <summary>
    /// The command that runs this netlab (the apphost, or <c>dotnet netlab.dll</c>). Found through the process path and
    /// the app's base directory, never <c>Assembly.Location</c>, which is empty in a single-file netlab (the VMs').
    /// </summary>
    public static IReadOnlyList<string> CurrentNetlab()
    {
        var process = Environment.ProcessPath ?? "netlab";
        if (Path.GetFileNameWithoutExtension(process) != "dotnet")
            return [process];
        var entry = Path.Combine(AppContext.BaseDirectory, $"{System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name}.dll");
        return File.Exists(entry) ? [process, entry] : [process];
    }

    public int? RunningPid(string pod)
    {
        if (!File.Exists(layout.PodPidPath(pod)) || !int.TryParse(File.ReadAllText(layout.PodPidPath(pod)).Trim(), out var pid))
            return null;
        var cmdline = $"/proc/{pid}/cmdline";
        try
        {
            return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("pod-server", StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null; // exited between the two reads
        }
    }

    /// <summary>
    /// True when the recorded process is gone. (Its command line cannot tell while it is still being exec'd from
    /// setsid to ip to netlab: it may read empty then.)
    /// </summary>
    public bool HasExited(string pod) =>
        !File.Exists(layout.PodPidPath(pod)) || !int.TryParse(File.ReadAllText(layout.PodPidPath(pod)).Trim(), out var pid)
        || !IsAlive(pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>Running, not a zombie: a server whose parent (netlab up) is gone waits as a zombie until init reaps it.</summary>
    internal static bool IsAlive(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public int Start(string pod, int port)
    {
        Directory.CreateDirectory(layout.PodDirectory(pod));
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            // Our ends of these pipes are closed at once: the server must not hold the caller's terminal or log open.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in NetnsExec.Argv(layout.PodNamespace(pod), netlabCommand[0], [.. netlabCommand.Skip(1),
                     "pod-server", "--name", pod, "--port", port.ToString(CultureInfo.InvariantCulture), "--log", layout.PodLogPath(pod)]))
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the server of pod {pod}");
        process.StandardInput.Close();
        process.StandardOutput.Close();
        process.StandardError.Close();
        File.WriteAllText(layout.PodPidPath(pod), process.Id.ToString(CultureInfo.InvariantCulture));
        return process.Id;
    }

    /// <summary>SIGTERM, then SIGKILL if it has not gone within a second.</summary>
    public bool Stop(string pod)
    {
        var pid = RunningPid(pod);
        if (pid is null)
            return false;
        var id = pid.Value.ToString(CultureInfo.InvariantCulture);
        Signals.Send(pid.Value, Signals.Terminate);
        for (var i = 0; i < 100 && IsAlive(id); i++)
            Thread.Sleep(10);
        if (IsAlive(id))
            Signals.Send(pid.Value, Signals.Kill);
        File.Delete(layout.PodPidPath(pod));
        return true;
    }
}
