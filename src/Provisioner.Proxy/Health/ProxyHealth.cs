using System.Globalization;
using System.Net;
using System.Text;

namespace Provisioner.Proxy.Health;

/// <summary>
/// kube-proxy's healthz: healthy unless a change has waited longer than the health timeout for a sync (the loop is
/// stuck or every sync fails), or the first sync has not happened within it. /livez answers the same.
/// </summary>
public sealed class ProxyHealth(TimeSpan timeout, Func<DateTimeOffset?> oldestPending, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly DateTimeOffset _started = (time ?? TimeProvider.System).GetUtcNow();
    private DateTimeOffset? _lastUpdated;

    public void Synced() => _lastUpdated = _time.GetUtcNow();

    public bool IsHealthy
    {
        get
        {
            var now = _time.GetUtcNow();
            if (_lastUpdated is null)
                return now - _started < timeout;
            return oldestPending() is not { } pending || now - pending < timeout;
        }
    }

    public async Task WriteAsync(HttpListenerResponse response)
    {
        var healthy = IsHealthy;
        response.StatusCode = healthy ? 200 : 503;
        response.ContentType = "application/json";
        var body = $"{{\"lastUpdated\": \"{Stamp(_lastUpdated)}\",\"currentTime\": \"{Stamp(_time.GetUtcNow())}\",\"healthy\": {(healthy ? "true" : "false")}}}";
        var bytes = Encoding.UTF8.GetBytes(body);
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static string Stamp(DateTimeOffset? t) => t?.ToString("O", CultureInfo.InvariantCulture) ?? "";
}
