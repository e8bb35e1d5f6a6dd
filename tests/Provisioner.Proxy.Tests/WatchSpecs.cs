using k8s;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Sources;
using Provisioner.Proxy.Tests.Fakes;
using Provisioner.Proxy.Tracking;
using static Provisioner.Proxy.Tests.Fakes.Api;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// The sources against the fake API server over real HTTP: list, watch from the list's version, bookmarks, a dropped
/// connection resumed from the last version, 410 Gone answered by a relist. Nothing missed, nothing applied twice.
/// </summary>
public sealed class WatchSpecs : IAsyncLifetime
{
    private static readonly ProxyConfigFile Config = ProxyConfigFile.Parse("clusterCIDR: 10.244.0.0/16\nserviceCIDR: 10.96.0.0/16\n");
    private static readonly (string, int, string)[] Http = [("http", 8080, "TCP")];

    private FakeApiServer _api = null!;
    private readonly ChangeTracker _tracker = new("node-a", Config);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _log = [];
    private KubernetesSources _sources = null!;
    private Task _running = Task.CompletedTask;
    private string _kubeconfig = "";

    public async Task InitializeAsync()
    {
        _api = await FakeApiServer.StartAsync();
        _api.Upsert(Node("node-a", "192.168.77.1"));
        _api.Upsert(Service("web", "10.96.0.10", Port("http", 80, 8080)));
        _api.Upsert(Slice("web-1", "web", Http, Endpoint("10.244.1.2", "node-a")));
        _kubeconfig = Path.Combine(Path.GetTempPath(), $"nlp-kubeconfig-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(_kubeconfig, _api.Kubeconfig());
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_kubeconfig));
        _sources = new KubernetesSources(client, _tracker, line => { lock (_log) _log.Add(line); });
        _running = _sources.RunAsync(_stop.Token);
        await _sources.Synced.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.ContinueWith(_ => { }, TaskScheduler.Default);
        await _api.DisposeAsync();
        File.Delete(_kubeconfig);
        _stop.Dispose();
    }

    private string[] Endpoints() => [.. _tracker.Snapshot().Table.Services.SelectMany(s => s.Endpoints.Select(e => $"{s.Name}={e.Address}")).Order()];

    private async Task Eventually(string[] expected)
    {
        string[] now = [];
        for (var i = 0; i < 100; i++)
        {
            now = Endpoints();
            if (now.SequenceEqual(expected))
                return;
            await Task.Delay(50);
        }
        lock (_log)
            Assert.Fail($"expected [{string.Join(", ", expected)}], got [{string.Join(", ", now)}]; the sources logged:\n{string.Join("\n", _log)}\nthe server saw:\n{string.Join("\n", _api.Requests)}");
    }

    /// <summary>Until the sources' watches are open on the server: a drop before that would drop nothing (a race under load).</summary>
    private async Task WatchesOpen()
    {
        for (var i = 0; i < 200 && !(Watching("/api/v1/services?") && Watching("/apis/discovery.k8s.io/v1/endpointslices?")); i++)
            await Task.Delay(50);
        await Task.Delay(100); // the server registers a stream just after it logs the request
        bool Watching(string path) => _api.Requests.Any(r => r.Contains(path, StringComparison.Ordinal) && r.Contains("watch=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_after_the_list_arrive_through_the_watch_from_the_lists_resourceVersion()
    {
        await Eventually(["web=10.244.1.2"]);
        _api.Upsert(Slice("web-1", "web", Http, Endpoint("10.244.1.2", "node-a"), Endpoint("10.244.1.3", "node-a")));
        await Eventually(["web=10.244.1.2", "web=10.244.1.3"]);

        Assert.Equal(1, _sources.Services.Lists);
        Assert.Contains(_api.Requests, r => r.Contains("/api/v1/services?", StringComparison.Ordinal)
            && r.Contains("watch=true", StringComparison.Ordinal) && r.Contains("allowWatchBookmarks=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dropped_watch_resumes_from_the_last_version_seen_without_a_relist_and_misses_nothing()
    {
        await Eventually(["web=10.244.1.2"]);
        await WatchesOpen();
        _api.Bookmark();
        await Task.Delay(200);
        _api.DropWatches();
        _api.Upsert(Service("api", "10.96.0.11", Port("http", 80, 8080)));
        _api.Upsert(Slice("api-1", "api", Http, Endpoint("10.244.2.2", "node-b")));

        await Eventually(["api=10.244.2.2", "web=10.244.1.2"]);
        Assert.Equal(1, _sources.Services.Lists);
        Assert.Equal(1, _sources.EndpointSlices.Lists);
        Assert.True(_sources.Services.Watches >= 2, "the watch was reopened");
    }

    [Fact]
    public async Task An_expired_resourceVersion_gets_410_Gone_and_a_relist_that_sees_a_delete_made_meanwhile()
    {
        await Eventually(["web=10.244.1.2"]);
        await WatchesOpen();
        _api.DropWatchesWhile(() =>
        {
            _api.Delete(Slice("web-1", "web", Http));
            _api.Upsert(Slice("web-2", "web", Http, Endpoint("10.244.1.7", "node-a")));
            _api.Compact();
        });

        await Eventually(["web=10.244.1.7"]);
        Assert.Equal(2, _sources.EndpointSlices.Lists);
        lock (_log)
            Assert.Contains(_log, l => l.Contains("endpointslices: resourceVersion", StringComparison.Ordinal) && l.Contains("410 Gone", StringComparison.Ordinal));
    }
}
