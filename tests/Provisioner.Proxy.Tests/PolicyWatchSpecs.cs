using k8s;
using Provisioner.Proxy.Policy;
using Provisioner.Proxy.Sources;
using Provisioner.Proxy.Tests.Fakes;
using static Provisioner.Proxy.Tests.Fakes.PolicyApi;

namespace Provisioner.Proxy.Tests;

/// <summary>
/// The policy controller's sources against the fake API server over real HTTP, in the wire format: NetworkPolicies,
/// Pods and Namespaces listed, then watched from the list's resourceVersion; a compacted version relisted.
/// </summary>
public sealed class PolicyWatchSpecs : IAsyncLifetime
{
    private FakeApiServer _api = null!;
    private readonly PolicyTracker _tracker = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _log = [];
    private PolicySources _sources = null!;
    private Task _running = Task.CompletedTask;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeApiServer.StartAsync();
        _api.Upsert(Namespace(Api.Namespace, ("team", "blue")));
        _api.Upsert(Pod("web", "node-a", "10.244.1.2", Labels(("app", "web")), ContainerPort("http", 8080)));
        _api.Upsert(DenyAllIngress());
        _client = _api.Client();
        _sources = new PolicySources(_client, _tracker, line => { lock (_log) _log.Add(line); });
        _running = _sources.RunAsync(_stop.Token);
        await _sources.Synced.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.ContinueWith(_ => { }, TaskScheduler.Default);
        await _api.DisposeAsync();
        _client.Dispose();
        _stop.Dispose();
    }

    /// <summary>Each isolated pod with the policies isolating its ingress and the peers they allow, e.g. "lab/web<-lab/deny-all[]".</summary>
    private string[] Isolation() => [.. _tracker.Snapshot().Table.Pods.Select(p =>
        $"{p.Pod}<-{string.Join(",", p.Ingress?.IsolatedBy ?? [])}[{string.Join(",", p.Ingress?.Allows.SelectMany(a => a.Peers ?? []) ?? [])}]").Order()];

    private async Task Eventually(params string[] expected)
    {
        string[] now = [];
        for (var i = 0; i < 400; i++)
        {
            now = Isolation();
            if (now.SequenceEqual(expected))
                return;
            await Task.Delay(50);
        }
        lock (_log)
            Assert.Fail($"expected [{string.Join(", ", expected)}], got [{string.Join(", ", now)}]; the sources logged:\n{string.Join("\n", _log)}\nthe server saw:\n{string.Join("\n", _api.Requests)}");
    }

    [Fact]
    public async Task Policies_pods_and_namespaces_are_listed_then_followed_through_their_watches()
    {
        await Eventually("lab/web<-lab/deny-all[]");
        _api.Upsert(Pod("client", "node-b", "10.244.2.2", Labels(("role", "client"))));
        _api.Upsert(AllowFrom("web-from-client", ("app", "web"), ("role", "client"), "http"));
        await Eventually("lab/client<-lab/deny-all[]", "lab/web<-lab/deny-all,lab/web-from-client[10.244.2.2/32]");
        _api.Delete(DenyAllIngress());
        await Eventually("lab/web<-lab/web-from-client[10.244.2.2/32]");

        Assert.Equal((1, 1, 1), (_sources.NetworkPolicies.Lists, _sources.Pods.Lists, _sources.Namespaces.Lists));
        foreach (var path in new[] { FakeApiServer.NetworkPolicies, FakeApiServer.Pods, FakeApiServer.Namespaces })
            Assert.Contains(_api.Requests, r => r.Contains(path + "?", StringComparison.Ordinal) && r.Contains("watch=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_compacted_version_is_relisted_and_a_policy_deleted_meanwhile_is_gone()
    {
        await Eventually("lab/web<-lab/deny-all[]");
        for (var i = 0; i < 200 && !_api.Requests.Any(r => r.Contains(FakeApiServer.NetworkPolicies + "?", StringComparison.Ordinal) && r.Contains("watch=true", StringComparison.Ordinal)); i++)
            await Task.Delay(50);
        _api.DropWatchesWhile(() =>
        {
            _api.Delete(DenyAllIngress());
            _api.Compact();
        });

        await Eventually();
        Assert.True(_sources.NetworkPolicies.Lists >= 2, "the policies were relisted after 410 Gone");
    }
}
