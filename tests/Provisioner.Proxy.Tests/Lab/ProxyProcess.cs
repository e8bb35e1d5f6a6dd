using System.Net;
using System.Net.Sockets;
using Provisioner.Host.Processes;
using Provisioner.Proxy.Tests.Fakes;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.Proxy.Tests.Lab;

/// <summary>
/// The real <c>netlab proxy</c> process (the built netlab binary beside the tests) against a fake API server,
/// programming one lab node's namespace. Its log lines are kept; it is stopped (and only it) on dispose.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _log = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"nlp-{Guid.NewGuid():N}"[..16]);
    private readonly Task<int> _process;

    public ProxyProcess(FakeApiServer api, string netns, string nodeName, RuleBackend mode, string config)
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "kubeconfig"), api.Kubeconfig());
        File.WriteAllText(Path.Combine(_dir, "config.yaml"), config);
        HealthzPort = FreePort();
        MetricsPort = FreePort();
        _process = ProcessRunner.Default.StreamAsync(Path.Combine(AppContext.BaseDirectory, "netlab"),
            ["proxy", "--kubeconfig", Path.Combine(_dir, "kubeconfig"), "--hostname-override", nodeName,
             "--config", Path.Combine(_dir, "config.yaml"), "--netns", netns,
             "--proxy-mode", mode == RuleBackend.Nftables ? "nftables" : "iptables",
             "--healthz-bind-address", $"127.0.0.1:{HealthzPort}", "--metrics-bind-address", $"127.0.0.1:{MetricsPort}"],
            line => { lock (_log) _log.Add(line); }, TimeSpan.FromSeconds(30), _stop.Token);
    }

    public int HealthzPort { get; }

    public int MetricsPort { get; }

    public string Log { get { lock (_log) return string.Join("\n", _log); } }

    public bool Exited => _process.IsCompleted;

    /// <summary>How many lines the proxy has logged so far: a mark for <see cref="LineAsync"/>.</summary>
    public int LineCount { get { lock (_log) return _log.Count; } }

    /// <summary>Waits (bounded) for the first line logged after <paramref name="mark"/> that contains <paramref name="text"/>.</summary>
    public async Task<string> LineAsync(int mark, string text)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && !Exited)
        {
            lock (_log)
                if (_log.Skip(mark).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
                    return line;
            await Task.Delay(100);
        }
        Assert.Fail($"netlab proxy logged no line with '{text}' after line {mark} in {clock.Elapsed.TotalSeconds:0} s{(Exited ? " (it exited)" : "")}:\n{Log}");
        return "";
    }

    public static async Task<string> GetAsync(int port, string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops the proxy as systemd would (SIGTERM; killed when a loaded machine keeps it from ending within 30 s).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _process.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (OperationCanceledException)
        {
            // stopped: what cancelling means
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"netlab proxy neither stopped nor died within 60 s of SIGTERM; its log:\n{Log}", e);
        }
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
