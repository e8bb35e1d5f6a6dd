using System.Globalization;
using System.Net;

namespace Provisioner.Proxy.Health;

/// <summary>
/// A small HTTP server for a few fixed paths, on a kube-proxy style bind address ("0.0.0.0:10256", "127.0.0.1:10249").
/// HttpListener is in the base runtime, so the single-file netlab binary needs no ASP.NET Core for it.
/// </summary>
public sealed class HttpEndpoints : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly IReadOnlyDictionary<string, Func<HttpListenerResponse, Task>> _routes;
    private Task? _loop;

    public HttpEndpoints(string bindAddress, IReadOnlyDictionary<string, Func<HttpListenerResponse, Task>> routes)
    {
        _routes = routes;
        _listener.Prefixes.Add(Prefix(bindAddress));
    }

    /// <summary>"0.0.0.0:10256" listens on every address (HttpListener's "+"); "127.0.0.1:10249" on loopback only.</summary>
    public static string Prefix(string bindAddress)
    {
        var colon = bindAddress.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(bindAddress[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535
            || !IPAddress.TryParse(bindAddress[..colon], out var address))
            throw new ArgumentException($"'{bindAddress}' is not a bind address like 0.0.0.0:10256 (IP:PORT)", nameof(bindAddress));
        var host = address.Equals(IPAddress.Any) ? "+" : address.ToString();
        return $"http://{host}:{port}/";
    }

    public void Start(Action<string> log)
    {
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(context, log));
            }
        });
    }

    private async Task ServeAsync(HttpListenerContext context, Action<string> log)
    {
        using var response = context.Response;
        try
        {
            if (_routes.TryGetValue(context.Request.Url?.AbsolutePath ?? "", out var handler))
                await handler(response).ConfigureAwait(false);
            else
                response.StatusCode = 404;
        }
        catch (Exception e) when (e is HttpListenerException or IOException)
        {
            log($"http {context.Request.Url?.AbsolutePath}: {e.Message}");
        }
    }

    public void Dispose()
    {
        if (_listener.IsListening)
            _listener.Stop();
        _listener.Close();
        _loop?.Wait(TimeSpan.FromSeconds(2));
    }
}
