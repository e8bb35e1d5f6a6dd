using System.Globalization;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Provisioner.Proxy.Tests.Fakes;

/// <summary>
/// A Kubernetes API server for Services, EndpointSlices and Nodes (the service rules' kinds) and NetworkPolicies, Pods
/// and Namespaces (the policy controller's) that speaks the real wire format, built on
/// KubernetesClient's own models serialized with <see cref="KubernetesJson"/>: lists carrying metadata.resourceVersion,
/// chunked watch streams of {"type":...,"object":...} lines from a resourceVersion, BOOKMARK events, a 410 Gone
/// Status for a compacted version, bearer-token auth, connections it can drop on demand, and PATCH of a Service's
/// status subresource (JSON merge patch, or strategic merge patch, which for the status' fields merges the same way). HttpListener on
/// 127.0.0.1 (not Kestrel: ASP.NET Core's shared framework would shadow the netlab binary's own copies of its
/// dependencies in this test folder, and the privileged tests run that binary from here).
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    public const string Token = "netlab-proxy-test-token";
    public const string NetworkPolicies = "/apis/networking.k8s.io/v1/networkpolicies";
    public const string Pods = "/api/v1/pods";
    public const string Namespaces = "/api/v1/namespaces";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Kind> _kinds = new(StringComparer.Ordinal)
    {
        ["/api/v1/services"] = new("ServiceList", "v1", "Service"),
        ["/apis/discovery.k8s.io/v1/endpointslices"] = new("EndpointSliceList", "discovery.k8s.io/v1", "EndpointSlice"),
        ["/api/v1/nodes"] = new("NodeList", "v1", "Node"),
        [NetworkPolicies] = new("NetworkPolicyList", "networking.k8s.io/v1", "NetworkPolicy"),
        [Pods] = new("PodList", "v1", "Pod"),
        [Namespaces] = new("NamespaceList", "v1", "Namespace"),
    };
    private readonly List<string> _requests = [];
    private readonly HttpListener _listener;
    private readonly Task _loop;
    private long _version = 100;
    private long _compactedBelow;

    private FakeApiServer(HttpListener listener, string url)
    {
        _listener = listener;
        Url = url;
        _loop = Task.Run(AcceptAsync);
    }

    public string Url { get; }

    /// <summary>Every request as "GET path?query", for assertions such as "it relisted".</summary>
    public IReadOnlyList<string> Requests { get { lock (_lock) return [.. _requests]; } }

    public static Task<FakeApiServer> StartAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return Task.FromResult(new FakeApiServer(listener, $"http://127.0.0.1:{port}"));
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close(); // another test took the port in between: try another
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(context);
                }
                catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
                {
                    // the client went away, or DropWatches aborted the connection
                }
                catch (Exception e)
                {
                    lock (_lock)
                        _requests.Add($"FAILED {context.Request.Url}: {e}");
                    context.Response.Abort();
                }
            });
        }
    }

    /// <summary>A kubeconfig for this server with the test's bearer token, as the node's deploy step would write one.</summary>
    public string Kubeconfig() => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster:
            server: {Url}
        users:
        - name: netlab-proxy
          user:
            token: {Token}
        contexts:
        - name: fake
          context:
            cluster: fake
            user: netlab-proxy
        current-context: fake
        """;

    /// <summary>A client of this server with the test's bearer token (no kubeconfig file; WatchSpecs covers loading one).</summary>
    public Kubernetes Client() => new(new KubernetesClientConfiguration { Host = Url, AccessToken = Token });

    public void Upsert(V1Service service) => Put("/api/v1/services", service);

    public void Upsert(V1EndpointSlice slice) => Put("/apis/discovery.k8s.io/v1/endpointslices", slice);

    public void Upsert(V1Node node) => Put("/api/v1/nodes", node);

    public void Upsert(V1NetworkPolicy policy) => Put(NetworkPolicies, policy);

    public void Upsert(V1Pod pod) => Put(Pods, pod);

    public void Upsert(V1Namespace ns) => Put(Namespaces, ns);

    public void Delete(V1NetworkPolicy policy) => Remove(NetworkPolicies, policy);

    public void Delete(V1Pod pod) => Remove(Pods, pod);

    public void Delete(V1Namespace ns) => Remove(Namespaces, ns);

    public void Delete(V1Service service) => Remove("/api/v1/services", service);

    public void Delete(V1EndpointSlice slice) => Remove("/apis/discovery.k8s.io/v1/endpointslices", slice);

    public void Delete(V1Node node) => Remove("/api/v1/nodes", node);

    /// <summary>A stored Service as the API holds it now (its status included), or null.</summary>
    public V1Service? GetService(string @namespace, string name)
    {
        lock (_lock)
            return _kinds["/api/v1/services"].Objects.TryGetValue($"{@namespace}/{name}", out var json) ? KubernetesJson.Deserialize<V1Service>(json) : null;
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion on every open watch.</summary>
    public void Bookmark()
    {
        lock (_lock)
        {
            foreach (var (_, kind) in _kinds)
            {
                // A bookmark's object carries only kind, apiVersion and metadata.resourceVersion.
                kind.Publish(_version, $"{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"{kind.ItemKind}\",\"apiVersion\":\"{kind.ApiVersion}\"," +
                    $"\"metadata\":{{\"resourceVersion\":\"{_version}\"}}}}}}");
            }
        }
    }

    /// <summary>Aborts every open watch connection mid-stream (no clean end, as a dying apiserver or a cut link).</summary>
    public void DropWatches()
    {
        lock (_lock)
        {
            foreach (var kind in _kinds.Values)
                kind.AbortAll();
        }
    }

    /// <summary>
    /// Aborts every open watch and makes <paramref name="changes"/> before any watch can reopen: a watch request that
    /// arrives meanwhile waits on the server's lock, so it sees the changes (and a compaction among them) whatever the
    /// client's reconnect timing.
    /// </summary>
    public void DropWatchesWhile(Action changes)
    {
        lock (_lock)
        {
            DropWatches();
            changes();
        }
    }

    /// <summary>Forgets the event history: a watch from any older version now gets 410 Gone, as after etcd compaction.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedBelow = _version; // a watch from the current version loses nothing; from any older one it would
            foreach (var kind in _kinds.Values)
                kind.Events.Clear();
        }
    }

    public int CountRequests(string fragment) => Requests.Count(r => r.Contains(fragment, StringComparison.Ordinal));

    private void Put<T>(string path, T item) where T : IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var kind = _kinds[path];
            item.ApiVersion = kind.ApiVersion;
            item.Kind = kind.ItemKind;
            item.Metadata.Uid ??= Guid.NewGuid().ToString();
            item.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
            var key = $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";
            var type = kind.Objects.ContainsKey(key) ? "MODIFIED" : "ADDED";
            var json = KubernetesJson.Serialize(item);
            kind.Objects[key] = json;
            kind.Publish(_version, $"{{\"type\":\"{type}\",\"object\":{json}}}");
        }
    }

    private void Remove<T>(string path, T item) where T : IKubernetesObject<V1ObjectMeta>
    {
        lock (_lock)
        {
            var kind = _kinds[path];
            var key = $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";
            if (!kind.Objects.Remove(key))
                return;
            item.ApiVersion = kind.ApiVersion;
            item.Kind = kind.ItemKind;
            item.Metadata.ResourceVersion = (++_version).ToString(CultureInfo.InvariantCulture);
            kind.Publish(_version, Line("DELETED", item));
        }
    }

    private static string Line(string type, object item) => $"{{\"type\":\"{type}\",\"object\":{KubernetesJson.Serialize(item)}}}";

    private async Task ServeAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        lock (_lock)
            _requests.Add($"{request.HttpMethod} {request.Url.PathAndQuery}");
        var response = context.Response;
        if (request.HttpMethod == "PATCH")
        {
            await PatchStatusAsync(request, response);
            return;
        }
        if (!_kinds.TryGetValue(path, out var kind))
        {
            await WriteAsync(response, 404, Status(404, "NotFound", $"the server could not find the requested resource ({path})"));
            return;
        }
        if (request.Headers["Authorization"] != $"Bearer {Token}")
        {
            await WriteAsync(response, 401, Status(401, "Unauthorized", "Unauthorized"));
            return;
        }
        if (request.QueryString["watch"] is "true" or "1")
            await WatchAsync(kind, request.QueryString["resourceVersion"] ?? "", response);
        else
            await WriteAsync(response, 200, List(kind));
    }

    /// <summary>PATCH /api/v1/namespaces/NS/services/NAME/status: the patch's status merged in (anything else in it is
    /// ignored, as the apiserver's status strategy does), a new resourceVersion, a MODIFIED event, the object back.</summary>
    private async Task PatchStatusAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        var parts = request.Url!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not ["api", "v1", "namespaces", var ns, "services", var name, "status"])
        {
            await WriteAsync(response, 405, Status(405, "MethodNotAllowed", $"PATCH is not served for {request.Url.AbsolutePath}"));
            return;
        }
        if (request.Headers["Authorization"] != $"Bearer {Token}")
        {
            await WriteAsync(response, 401, Status(401, "Unauthorized", "Unauthorized"));
            return;
        }
        var type = request.ContentType?.Split(';')[0].Trim();
        if (type is not ("application/merge-patch+json" or "application/strategic-merge-patch+json"))
        {
            await WriteAsync(response, 415, Status(415, "UnsupportedMediaType", $"the body of the request was in an unknown format: {type}"));
            return;
        }
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var patch = JsonNode.Parse(await reader.ReadToEndAsync())?["status"];
        string json;
        lock (_lock)
        {
            var kind = _kinds["/api/v1/services"];
            if (!kind.Objects.TryGetValue($"{ns}/{name}", out var stored))
            {
                json = "";
            }
            else
            {
                var service = JsonNode.Parse(stored)!.AsObject();
                var status = Merge(service["status"]?.DeepClone(), patch);
                service.Remove("status");
                if (status is not null)
                    service["status"] = status;
                service["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
                json = service.ToJsonString();
                kind.Objects[$"{ns}/{name}"] = json;
                kind.Publish(_version, $"{{\"type\":\"MODIFIED\",\"object\":{json}}}");
            }
        }
        if (json.Length == 0)
            await WriteAsync(response, 404, Status(404, "NotFound", $"services \"{name}\" not found"));
        else
            await WriteAsync(response, 200, json);
    }

    /// <summary>RFC 7386: objects merge key by key, null deletes, anything else replaces (lists too).</summary>
    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
            return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            var merged = value is null ? null : Merge(result[key]?.DeepClone(), value);
            result.Remove(key);
            if (merged is not null)
                result[key] = merged;
        }
        return result;
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    private string List(Kind kind)
    {
        lock (_lock)
        {
            return $"{{\"kind\":\"{kind.ListKind}\",\"apiVersion\":\"{kind.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{_version}\"}}," +
                   $"\"items\":[{string.Join(",", kind.Objects.Values)}]}}";
        }
    }

    /// <summary>A chunked stream of event lines from a version; ends with a 410 ERROR event if that version was compacted.</summary>
    private async Task WatchAsync(Kind kind, string fromText, HttpListenerResponse response)
    {
        var from = long.Parse(fromText.Length == 0 ? "0" : fromText, CultureInfo.InvariantCulture);
        Channel<string> channel;
        lock (_lock)
        {
            if (from < _compactedBelow)
            {
                channel = Channel.CreateUnbounded<string>();
                channel.Writer.TryWrite($"{{\"type\":\"ERROR\",\"object\":{Status(410, "Expired", $"too old resource version: {from} ({_compactedBelow})")}}}");
                channel.Writer.Complete();
            }
            else
            {
                channel = kind.Subscribe(response, from);
            }
        }
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.SendChunked = true;
        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync())
            {
                await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
                await response.OutputStream.FlushAsync();
            }
            response.Close();
        }
        finally
        {
            lock (_lock)
                kind.Unsubscribe(channel);
        }
    }

    /// <summary>A metav1.Status as the apiserver writes it (KubernetesClient's V1Status reads it but does not write it).</summary>
    private static string Status(int code, string reason, string message) => System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new Dictionary<string, object>(), ["status"] = "Failure",
        ["message"] = message, ["reason"] = reason, ["code"] = code,
    });

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        // The managed HttpListener's Stop and Close re-bind its port to unregister a prefix whose endpoint is already
        // gone ("Address already in use" when another socket took that port meanwhile): the server is stopping anyway.
        foreach (var stop in new Action[] { _listener.Stop, _listener.Close })
        {
            try
            {
                stop();
            }
            catch (HttpListenerException)
            {
            }
        }
        await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>One kind: its objects as JSON, its event history since the last compaction, its open watches.</summary>
    private sealed class Kind(string listKind, string apiVersion, string itemKind)
    {
        private readonly List<(Channel<string> Channel, HttpListenerResponse Response)> _watches = [];

        public string ListKind => listKind;
        public string ApiVersion => apiVersion;
        public string ItemKind => itemKind;
        public SortedDictionary<string, string> Objects { get; } = new(StringComparer.Ordinal);
        public List<(long Version, string Line)> Events { get; } = [];

        public Channel<string> Subscribe(HttpListenerResponse response, long from)
        {
            var channel = Channel.CreateUnbounded<string>();
            foreach (var (version, line) in Events.Where(e => e.Version > from))
                channel.Writer.TryWrite(line);
            _watches.Add((channel, response));
            return channel;
        }

        public void Unsubscribe(Channel<string> channel) => _watches.RemoveAll(w => w.Channel == channel);

        public void Publish(long version, string line)
        {
            if (!line.StartsWith("{\"type\":\"BOOKMARK\"", StringComparison.Ordinal))
                Events.Add((version, line));
            foreach (var (channel, _) in _watches)
                channel.Writer.TryWrite(line);
        }

        public void AbortAll()
        {
            foreach (var (channel, response) in _watches)
            {
                channel.Writer.TryComplete(new IOException("dropped"));
                response.Abort();
            }
            _watches.Clear();
        }
    }
}
