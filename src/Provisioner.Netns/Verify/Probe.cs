using System.Net;
using System.Net.Sockets;
using System.Text;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Processes;
using Provisioner.Host.Iproute;

namespace Provisioner.Netns.Verify;

/// <summary>
/// Traffic from inside a namespace, the way a pod would send it. HTTP uses a socket created inside the namespace
/// (a socket keeps the namespace it was made in), so no tool has to be installed in the "pod".
/// </summary>
public sealed class Probe(ProcessRunner run)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<bool> PingAsync(string netns, IPAddress target, CancellationToken ct = default)
    {
        var result = await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Arguments(netns, "ping", "-n", "-q", "-c", "1", "-W", "1", target.ToString()), cancellationToken: ct).ConfigureAwait(false);
        return result.Succeeded;
    }

    /// <summary>
    /// A ping of exactly <paramref name="packetSize"/> bytes (IP header included) that may not be fragmented: what a
    /// full-size packet meets on the way. Two tries, so one lost echo under load is not a failure.
    /// </summary>
    public async Task<bool> PingDontFragmentAsync(string netns, IPAddress target, int packetSize, CancellationToken ct = default)
    {
        var payload = (packetSize - 28).ToString(System.Globalization.CultureInfo.InvariantCulture); // 20 bytes of IP, 8 of ICMP
        var result = await run.TryRunAsync(NetnsExec.Ip, NetnsExec.Command(netns, ["ping", "-n", "-q", "-M", "do", "-s", payload, "-c", "2", "-i", "0.2", "-W", "2", target.ToString()]),
            cancellationToken: ct).ConfigureAwait(false);
        return result.Succeeded;
    }

    /// <summary>True when a TCP connection to target:port from inside <paramref name="netns"/> is accepted.</summary>
    public async Task<bool> TcpConnectAsync(string netns, IPAddress target, int port, CancellationToken ct = default)
    {
        try
        {
            using var handle = NetworkNamespace.Open(Namespaces.PathOf(netns));
            using var socket = handle.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            await socket.ConnectAsync(new IPEndPoint(target, port), timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is NamespaceNotFoundException or IOException or SocketException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>GETs <c>http://target:port/</c> from inside <paramref name="netns"/>; returns the body, or the failure.</summary>
    public async Task<(string? Body, string? Error)> HttpGetAsync(string netns, IPAddress target, int port, CancellationToken ct = default)
    {
        Socket socket;
        try
        {
            using var handle = NetworkNamespace.Open(Namespaces.PathOf(netns));
            socket = handle.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        }
        catch (Exception e) when (e is NamespaceNotFoundException or IOException)
        {
            return (null, e.Message);
        }
        using (socket)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, port), timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.0\r\nHost: {target}\r\n\r\n"), timeout.Token).ConfigureAwait(false);
                var response = new StringBuilder();
                var buffer = new byte[1024];
                int n;
                while ((n = await socket.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
                    response.Append(Encoding.UTF8.GetString(buffer, 0, n));
                var text = response.ToString();
                var body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var i and >= 0 ? text[(i + 4)..] : text;
                return (body.Trim(), null);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return (null, $"no answer within {Timeout.TotalSeconds:0} s (packets dropped or black-holed)");
            }
            catch (SocketException e)
            {
                return (null, e.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused (nothing listening, or a REJECT rule)",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable => "no route to host",
                    _ => e.Message,
                });
            }
        }
    }
}
