using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Provisioner.Host.Processes;
using Provisioner.VmLab.Cluster;

namespace Provisioner.VmLab.Verify;

/// <summary>
/// What the probe commands print, read into answers: <c>ping</c> (iputils on the VMs, busybox in agnhost), <c>curl</c>'s
/// exit codes, <c>nslookup</c> (bind's and busybox's formats), <c>ip route show default</c>.
/// </summary>
public static partial class ProbeOutputs
{
    /// <summary>Packets sent and answered, from the summary line; null when there is none (ping could not run).</summary>
    public static (int Sent, int Received)? PingSummary(string stdout)
    {
        var match = PingLine().Match(stdout ?? "");
        return match.Success ? (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>Whether a ping was answered, and what to say about it.</summary>
    public static (bool Answered, string Detail) Ping(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var summary = PingSummary(result.StandardOutput);
        if (result.ExitCode == TimedRun.TimedOut)
            return (false, result.StandardError.Trim());
        if (summary is { Received: > 0 })
            return (true, "ping answered");
        if (summary is not null)
            return (false, $"no ping answer ({summary.Value.Sent} sent, 0 received)");
        return (false, FirstLine(result.StandardError) ?? $"ping exited with code {result.ExitCode}");
    }

    /// <summary>curl's answer body, or why there is none (<c>curl -sS</c> exit codes).</summary>
    public static (string? Body, string? Error) Http(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Succeeded)
            return (result.StandardOutput.Trim(), null);
        return (null, result.ExitCode switch
        {
            7 => "connection refused (nothing listening, or a REJECT rule)",
            28 => "no answer within the time limit (packets dropped or black-holed)",
            6 => "could not resolve the host name",
            52 => "the server closed the connection without answering",
            56 => "the connection was reset",
            TimedRun.TimedOut => result.StandardError.Trim(),
            _ => FirstLine(result.StandardError) ?? $"curl exited with code {result.ExitCode}",
        });
    }

    /// <summary>
    /// The addresses <c>nslookup NAME</c> found, after its <c>Name:</c> line (the <c>Server:</c>/<c>Address:</c> lines
    /// before it are the resolver's own); or why it found none (NXDOMAIN, no server reached).
    /// </summary>
    public static (ImmutableArray<IPAddress> Addresses, string? Error) Nslookup(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var addresses = new List<IPAddress>();
        var answered = false;
        foreach (var raw in (result.StandardOutput ?? "").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("Name:", StringComparison.Ordinal))
                answered = true;
            else if (answered && AddressLine().Match(line) is { Success: true } m && IPAddress.TryParse(m.Groups[1].Value, out var a)
                && a.AddressFamily == AddressFamily.InterNetwork)
                addresses.Add(a);
        }
        if (addresses.Count > 0)
            return ([.. addresses], null);
        var text = result.StandardOutput + "\n" + result.StandardError;
        var error = result.ExitCode == TimedRun.TimedOut ? result.StandardError.Trim()
            : text.Contains("NXDOMAIN", StringComparison.Ordinal) ? "NXDOMAIN: no such name"
            : text.Contains("timed out", StringComparison.OrdinalIgnoreCase) || text.Contains("no servers could be reached", StringComparison.Ordinal)
                ? "no DNS server answered"
            : FirstLine(result.StandardError) ?? FirstLine(result.StandardOutput) ?? $"nslookup exited with code {result.ExitCode}";
        return ([], error);
    }

    /// <summary>The gateway of <c>ip -4 route show default</c> (<c>default via 192.168.64.1 dev enp0s1 ...</c>).</summary>
    public static IPAddress? DefaultGateway(string stdout) =>
        DefaultRoute().Match(stdout ?? "") is { Success: true } m && IPAddress.TryParse(m.Groups[1].Value, out var a) ? a : null;

    private static string? FirstLine(string? text) =>
        text?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);

    // iputils: "1 packets transmitted, 1 received, 0% packet loss"; busybox: "1 packets transmitted, 1 packets received, 0% packet loss".
    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) (?:packets )?received")]
    private static partial Regex PingLine();

    // bind: "Address: 10.96.0.1"; busybox: "Address: 10.96.0.1" or "Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local".
    [GeneratedRegex(@"^Address(?: \d+)?:\s*([0-9.]+)")]
    private static partial Regex AddressLine();

    [GeneratedRegex(@"^default via ([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex DefaultRoute();
}
