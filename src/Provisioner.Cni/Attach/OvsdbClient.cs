using System.Buffers;
using System.Net.Sockets;
using System.Text.Json;
using Provisioner.Cni.Skel;

namespace Provisioner.Cni.Attach;

/// <summary>
/// Just enough of the OVSDB JSON-RPC protocol (RFC 7047 "transact") to add and remove a port on an OVS bridge,
/// which is what <c>ovs-vsctl add-port</c> does, without starting a process per pod.
/// </summary>
internal sealed class OvsdbClient : IDisposable
{
    public const string DefaultEndpoint = "unix:/run/openvswitch/db.sock";
    private const string Database = "Open_vSwitch";
    private readonly Socket _socket;
    private int _nextId;

    private OvsdbClient(Socket socket) => _socket = socket;

    /// <summary>Connects to "unix:/path" or "tcp:host:port"; an unreachable database is error 50.</summary>
    public static OvsdbClient Connect(string? endpoint)
    {
        endpoint ??= DefaultEndpoint;
        try
        {
            if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(endpoint[5..]));
                return new OvsdbClient(socket);
            }
            if (endpoint.StartsWith("tcp:", StringComparison.Ordinal) && endpoint.LastIndexOf(':') is var colon && colon > 4
                && int.TryParse(endpoint[(colon + 1)..], out var port))
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(endpoint[4..colon], port);
                return new OvsdbClient(socket);
            }
        }
        catch (SocketException e)
        {
            throw new CniException(CniErrorCode.PluginNotAvailable, $"cannot reach the OVS database at {endpoint}: {e.Message}; is ovsdb-server running (ovsDb in the config)?");
        }
        throw new CniException(CniErrorCode.InvalidNetworkConfig, $"ovsDb \"{endpoint}\" is not \"unix:/path\" or \"tcp:host:port\"");
    }

    public bool BridgeExists(string bridge)
    {
        using var reply = Transact(w => Select(w, "Bridge", bridge));
        return reply.RootElement[0].GetProperty("rows").GetArrayLength() > 0;
    }

    /// <summary>Adds port <paramref name="port"/> (an existing kernel interface) to <paramref name="bridge"/>.</summary>
    public void AddPort(string bridge, string port)
    {
        using var reply = Transact(w =>
        {
            Insert(w, "Interface", "iface", () => w.WriteString("name", port));
            Insert(w, "Port", "port", () =>
            {
                w.WriteString("name", port);
                w.WriteStartArray("interfaces");
                w.WriteStringValue("named-uuid");
                w.WriteStringValue("iface");
                w.WriteEndArray();
            });
            w.WriteStartObject();
            w.WriteString("op", "mutate");
            w.WriteString("table", "Bridge");
            WhereName(w, bridge);
            w.WritePropertyName("mutations");
            WriteRaw(w, "[[\"ports\",\"insert\",[\"set\",[[\"named-uuid\",\"port\"]]]]]");
            w.WriteEndObject();
        });
        if (reply.RootElement[2].GetProperty("count").GetInt32() == 0)
            throw new CniException(CniErrorCode.PluginNotAvailable, $"OVS bridge {bridge} does not exist; the node fabric creates it (ovs-vsctl add-br {bridge})");
    }

    /// <summary>The names of every port in the database, on any bridge.</summary>
    public IReadOnlyList<string> PortNames()
    {
        using var reply = Transact(w =>
        {
            w.WriteStartObject();
            w.WriteString("op", "select");
            w.WriteString("table", "Port");
            w.WriteStartArray("where");
            w.WriteEndArray();
            w.WritePropertyName("columns");
            WriteRaw(w, "[\"name\"]");
            w.WriteEndObject();
        });
        return reply.RootElement[0].GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("name").GetString() ?? "").ToList();
    }

    /// <summary>Removes the port named <paramref name="port"/> from whichever bridge has it; false when there is none.</summary>
    public bool DeletePort(string port)
    {
        string? uuid;
        using (var reply = Transact(w => Select(w, "Port", port)))
        {
            var rows = reply.RootElement[0].GetProperty("rows");
            if (rows.GetArrayLength() == 0)
                return false;
            uuid = rows[0].GetProperty("_uuid")[1].GetString();
        }
        using var _ = Transact(w =>
        {
            w.WriteStartObject();
            w.WriteString("op", "mutate");
            w.WriteString("table", "Bridge");
            w.WriteStartArray("where");
            w.WriteEndArray();
            w.WritePropertyName("mutations");
            WriteRaw(w, $"[[\"ports\",\"delete\",[\"uuid\",\"{uuid}\"]]]");
            w.WriteEndObject();
        });
        return true;
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Sends one transact and returns its result array; an operation error becomes a CniException.</summary>
    private JsonDocument Transact(Action<Utf8JsonWriter> writeOperations)
    {
        var id = ++_nextId;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("method", "transact");
            writer.WriteStartArray("params");
            writer.WriteStringValue(Database);
            writeOperations(writer);
            writer.WriteEndArray();
            writer.WriteNumber("id", id);
            writer.WriteEndObject();
        }
        _socket.Send(buffer.WrittenSpan);
        while (true)
        {
            var reply = ReadMessage();
            var root = reply.RootElement;
            if (!root.TryGetProperty("id", out var replyId) || replyId.ValueKind != JsonValueKind.Number || replyId.GetInt32() != id)
            {
                reply.Dispose(); // e.g. an echo request; this client is short-lived and never idles long enough to need it
                continue;
            }
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
                throw new CniException(CniErrorCode.Internal, $"OVS database refused the change: {error}");
            foreach (var result in root.GetProperty("result").EnumerateArray())
            {
                if (result.ValueKind == JsonValueKind.Object && result.TryGetProperty("error", out var opError))
                    throw new CniException(CniErrorCode.Internal, $"OVS database refused the change: {opError} {(result.TryGetProperty("details", out var d) ? d.ToString() : "")}");
            }
            var resultDocument = JsonDocument.Parse(root.GetProperty("result").GetRawText());
            reply.Dispose();
            return resultDocument;
        }
    }

    private JsonDocument ReadMessage()
    {
        var received = new ArrayBufferWriter<byte>();
        var chunk = new byte[8192];
        while (true)
        {
            var count = _socket.Receive(chunk);
            if (count == 0)
                throw new CniException(CniErrorCode.Internal, "the OVS database closed the connection");
            received.Write(chunk.AsSpan(0, count));
            var reader = new Utf8JsonReader(received.WrittenSpan, isFinalBlock: false, state: default);
            try
            {
                if (reader.Read() && reader.TrySkip() && reader.BytesConsumed > 0)
                    return JsonDocument.Parse(received.WrittenMemory[..(int)reader.BytesConsumed]);
            }
            catch (JsonException e)
            {
                throw new CniException(CniErrorCode.Internal, $"the OVS database sent malformed JSON: {e.Message}");
            }
        }
    }

    private static void Select(Utf8JsonWriter w, string table, string name)
    {
        w.WriteStartObject();
        w.WriteString("op", "select");
        w.WriteString("table", table);
        WhereName(w, name);
        w.WritePropertyName("columns");
        WriteRaw(w, "[\"_uuid\"]");
        w.WriteEndObject();
    }

    private static void Insert(Utf8JsonWriter w, string table, string uuidName, Action writeRow)
    {
        w.WriteStartObject();
        w.WriteString("op", "insert");
        w.WriteString("table", table);
        w.WriteString("uuid-name", uuidName);
        w.WriteStartObject("row");
        writeRow();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WhereName(Utf8JsonWriter w, string name)
    {
        w.WriteStartArray("where");
        w.WriteStartArray();
        w.WriteStringValue("name");
        w.WriteStringValue("==");
        w.WriteStringValue(name);
        w.WriteEndArray();
        w.WriteEndArray();
    }

    private static void WriteRaw(Utf8JsonWriter w, string json) => w.WriteRawValue(json, skipInputValidation: true);
}
