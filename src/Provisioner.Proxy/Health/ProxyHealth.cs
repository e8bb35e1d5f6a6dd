using System.Globalization;
using System.Net;
using System.Text;

namespace Provisioner.Proxy.Health;

/// <summary>
/// kube-proxy's healthz: healthy unless a change has waited longer than the health timeout for a sync (the loop is
/// stuck or every sync fails), or the first sync has not happened within it. The same holds for every other controller
/// loop of the process (<see cref="Loops"/>: the NetworkPolicy one); the body's "message" names the loop that fails.
/// /livez answers the same.
/// </summary>
public sealed class ProxyHealth(TimeSpan timeout, Func<DateTimeOffset?> oldestPending, TimeProvider? time = null, params LoopHealth[] loops)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly DateTimeOffset _started = (time ?? TimeProvider.System).GetUtcNow();
    private DateTimeOffset? _lastUpdated;

    public void Synced() => _lastUpdated = _time.GetUtcNow();

    public IReadOnlyList<LoopHealth> Loops => loops;

    /// <summary>The service rules' loop alone.</summary>
    public bool ServicesHealthy
    {
        get
        {
            var now = _time.GetUtcNow();
            if (_lastUpdated is null)
                return now - _started < timeout;
            return oldestPending() is not { } pending || now - pending < timeout;
        }
    }

    public bool IsHealthy => Problems().Count == 0;

    /// <summary>What is unhealthy, one line per failing loop (empty: healthy).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = loops.Select(l => l.Problem).OfType<string>().ToList();
        if (!ServicesHealthy)
            problems.Insert(0, $"the service rules have not synced within {timeout.TotalSeconds:0} s");
        return problems;
    }

    public async Task WriteAsync(HttpListenerResponse response)
    {
        var problems = Problems();
        var healthy = problems.Count == 0;
        response.StatusCode = healthy ? 200 : 503;
        response.ContentType = "application/json";
        var body = $"{{\"lastUpdated\": \"{Stamp(_lastUpdated)}\",\"currentTime\": \"{Stamp(_time.GetUtcNow())}\",\"healthy\": {(healthy ? "true" : "false")}" +
            (healthy ? "}" : $",\"message\": \"{System.Text.Json.JsonEncodedText.Encode(string.Join("; ", problems))}\"}}");
        var bytes = Encoding.UTF8.GetBytes(body);
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static string Stamp(DateTimeOffset? t) => t?.ToString("O", CultureInfo.InvariantCulture) ?? "";
}
