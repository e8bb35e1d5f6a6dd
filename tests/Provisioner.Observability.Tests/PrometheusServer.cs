using System.Globalization;
using System.Text.Json;
using System.Net.Sockets;
using Provisioner.Host.Iproute;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Processes;

namespace Provisioner.Observability.Tests;

/// <summary>
/// A real Prometheus (the distribution's package) on a random loopback port, with a temporary storage directory and a
/// generated config scraping one target every second. Killed and its directory removed on dispose. Given a network
/// namespace, Prometheus runs inside it (as a host beside the VMs scrapes their addresses) and the queries are sent
/// from a socket made inside it.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly StreamedProcess _process;
    private readonly HttpClient _http;
    private readonly string _directory;

    /// <param name="target">ADDRESS:PORT to scrape, or (starting with '/') a file_sd_configs file of targets.</param>
    public PrometheusServer(string target, string? netns = null)
    {
        _http = new HttpClient(netns is null ? new SocketsHttpHandler() : new SocketsHttpHandler { ConnectCallback = (c, ct) => ConnectInAsync(netns, c, ct) })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        _directory = Path.Combine(Path.GetTempPath(), "netlab-prometheus-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        var config = Path.Combine(_directory, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: netlab
            {(target.StartsWith('/') ? $"    file_sd_configs:\n      - files: [\"{target}\"]" : $"    static_configs:\n      - targets: [\"{target}\"]")}
            """);
        Port = LabFixture.FreePort();
        var (program, arguments) = NetnsExec.Wrap(netns, "prometheus",
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(_directory, "data")}", $"--web.listen-address=127.0.0.1:{Port}"]);
        _process = new StreamedProcess(program, arguments);
    }

    /// <summary>A TCP connection from inside <paramref name="netns"/>: a socket belongs to the namespace of the thread that made it.</summary>
    private static async ValueTask<Stream> ConnectInAsync(string netns, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        using var ns = NetworkNamespace.Open(Netns.Namespaces.PathOf(netns));
        var socket = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public int Port { get; }

    public string Log => _process.Tail(20);

    /// <summary>The values of an instant query (/api/v1/query), by the series' labels; empty when Prometheus is not ready.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string query)
    {
        try
        {
            var json = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(query)}"));
            using var document = JsonDocument.Parse(json);
            return [.. document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => (
                (IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
        }
        catch (HttpRequestException)
        {
            return [];
        }
        catch (TaskCanceledException)
        {
            return [];
        }
    }

    /// <summary>The single value of a query that sums to one series, or null.</summary>
    public async Task<double?> ValueAsync(string query) => (await QueryAsync(query)).Select(r => (double?)r.Value).FirstOrDefault();

    /// <summary>Polls <paramref name="query"/> until <paramref name="accept"/> holds, within <paramref name="timeout"/>; returns the last value.</summary>
    public async Task<double?> WaitForAsync(string query, Func<double, bool> accept, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        double? value = null;
        while (DateTime.UtcNow < deadline && !_process.Exited)
        {
            value = await ValueAsync(query);
            if (value is { } v && accept(v))
                return v;
            await Task.Delay(500);
        }
        return value;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
