using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Provisioner.Proxy.Sources;

/// <summary>The list request of a kind, all namespaces.</summary>
public delegate Task<TList> ListCall<TList>(CancellationToken ct);

/// <summary>The watch request of a kind from a resourceVersion, with bookmarks; Status events go to onError.</summary>
public delegate IAsyncEnumerable<(WatchEventType, T)> WatchCall<T>(string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken ct);

/// <summary>
/// client-go's reflector for one kind: list, hand the items over, then watch from the list's resourceVersion with
/// bookmarks, advancing the version with every event. A watch the server ends is resumed from the last version seen
/// (nothing missed); <c>410 Gone</c> (the version was compacted away) means relist; a dropped connection or a
/// refused request is retried with exponential backoff and jitter, resuming the watch when a version is known.
/// </summary>
public sealed class ListWatcher<T, TList>(
    string kind,
    ListCall<TList> list,
    WatchCall<T> watch,
    Action<IReadOnlyList<T>> replace,
    Action<WatchEventType, T> apply,
    Action<string> log,
    TimeSpan? initialBackoff = null,
    TimeSpan? maxBackoff = null)
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    private readonly TimeSpan _initialBackoff = initialBackoff ?? TimeSpan.FromMilliseconds(200);
    private readonly TimeSpan _maxBackoff = maxBackoff ?? TimeSpan.FromSeconds(30);

    /// <summary>Completed once the first list has been handed over.</summary>
    public Task Synced => _synced.Task;

    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lists done (the first and every relist), for tests and metrics.</summary>
    public int Lists { get; private set; }

    /// <summary>Watch requests opened.</summary>
    public int Watches { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        string? version = null;
        var backoff = _initialBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                version ??= await ListAsync(ct).ConfigureAwait(false);
                var gone = await WatchAsync(version, v => version = v, () => backoff = _initialBackoff, ct).ConfigureAwait(false);
                if (gone)
                {
                    log($"{kind}: resourceVersion {version} is too old (410 Gone): relisting");
                    version = null;
                }
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Gone)
            {
                log($"{kind}: resourceVersion {version} is too old (410 Gone): relisting");
                version = null;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or IOException or HttpOperationException
                or KubernetesException or TaskCanceledException or System.Text.Json.JsonException)
            {
                var delay = Jittered(backoff);
                log($"{kind}: {Describe(e)}; retrying in {delay.TotalMilliseconds:0} ms{(version is null ? "" : $" from resourceVersion {version}")}");
                await Task.Delay(delay, ct).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(_maxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task<string> ListAsync(CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(60));
        var items = await list(bounded.Token).ConfigureAwait(false);
        replace([.. items.Items ?? []]);
        Lists++;
        _synced.TrySetResult();
        return items.Metadata?.ResourceVersion ?? "";
    }

    /// <summary>Watches until the server ends the stream; true when it ended with 410 Gone.</summary>
    private async Task<bool> WatchAsync(string version, Action<string> advance, Action healthy, CancellationToken ct)
    {
        var gone = false;
        Exception? failure = null;
        // Like client-go, a random server-side timeout of 5-10 minutes spreads the reconnects of many nodes.
        var timeout = 300 + Random.Shared.Next(300);
        Watches++;
        var events = watch(version, timeout, e =>
        {
            if (e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
                gone = true;
            else
                failure ??= e;
        }, ct);
        var received = 0;
        await foreach (var (type, item) in events.ConfigureAwait(false))
        {
            received++;
            healthy();
            if (type != WatchEventType.Bookmark)
                apply(type, item);
            if (item.Metadata?.ResourceVersion is { Length: > 0 } v)
                advance(v);
        }
        if (!gone && failure is not null)
            throw failure is KubernetesException ? failure : new IOException("a watch event could not be read", failure);
        if (!gone && received == 0)
            throw new IOException("the watch ended without a single event"); // backs off: a server closing at once is not hammered
        return gone;
    }

    private static TimeSpan Jittered(TimeSpan backoff) => backoff * (0.8 + Random.Shared.NextDouble() * 0.4);

    private static string Describe(Exception e) => e switch
    {
        HttpOperationException h => $"the API answered {(int?)h.Response?.StatusCode} {h.Response?.ReasonPhrase}",
        KubernetesException k => $"the API sent an error: {k.Status?.Message ?? k.Message}",
        _ => $"the connection to the API failed ({e.GetType().Name}: {e.Message})",
    };
}
