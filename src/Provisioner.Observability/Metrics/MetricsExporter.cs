using System.Net;
using Prometheus;

namespace Provisioner.Observability.Metrics;

/// <summary>
/// Serves a lab's metrics over HTTP (<c>/metrics</c>) for Prometheus: each scrape first reads the lab's counters
/// (<see cref="LabSampler"/>, bounded in time) and updates <see cref="LabMetrics"/>; concurrent scrapes share one read.
/// </summary>
public sealed class MetricsExporter : IAsyncDisposable
{
    private readonly Func<LabTargets> _targets;
    private readonly LabSampler _sampler;
    private readonly DropMonitor? _drops;
    private readonly Action<string> _log;
    private readonly LabMetrics _metrics;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IMetricServer? _server;
    private string _lastProblems = "";

    public MetricsExporter(Func<LabTargets> targets, LabSampler sampler, DropMonitor? drops = null, Action<string>? log = null)
    {
        _targets = targets;
        _sampler = sampler;
        _drops = drops;
        _log = log ?? (_ => { });
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _metrics = new LabMetrics(Registry);
        Registry.AddBeforeCollectCallback(CollectAsync);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The last sample read (for <c>netlab top</c> and tests).</summary>
    public LabSample? Last { get; private set; }

    public async Task CollectAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var sample = await _sampler.SampleAsync(_targets(), ct).ConfigureAwait(false);
            _metrics.Update(sample);
            if (_drops is not null)
                _metrics.UpdateDrops(_drops.Current);
            Last = sample;
            var problems = string.Join("\n", sample.Problems.Append(_drops?.Failure ?? "").Where(p => p.Length > 0));
            if (problems != _lastProblems && problems.Length > 0)
                _log(problems);
            _lastProblems = problems;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts the HTTP listener on <paramref name="listen"/>; scrapes go to http://ADDRESS:PORT/metrics.</summary>
    public void Serve(IPEndPoint listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        try
        {
            // HttpListener takes "+" for every address (a VM node's 0.0.0.0); an address of its own must be the scrape's Host.
            var host = listen.Address.Equals(IPAddress.Any) ? "+" : listen.Address.ToString();
            _server = new MetricServer(host, listen.Port, "metrics/", Registry).Start();
        }
        catch (HttpListenerException e)
        {
            throw new IOException($"cannot listen on {listen} ({e.Message}). Fix: choose another address or port with --listen ADDRESS:PORT", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.StopAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
