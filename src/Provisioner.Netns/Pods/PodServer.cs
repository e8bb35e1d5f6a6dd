using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Provisioner.Netns.Pods;

/// <summary>
/// The lab pods' workload: an HTTP server answering every request with the pod's name and the client address it
/// saw (so a learner can tell which endpoint a Service chose, and whether the client address was preserved).
/// Runs as <c>netlab pod-server</c> inside the pod's namespace; stops cleanly on SIGTERM.
/// </summary>
public static class PodServer
{
    public static string Answer(string podName, EndPoint? client) =>
        $"{podName} client={(client as IPEndPoint)?.Address}\n";

    public static async Task RunAsync(string podName, int port, CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Any, port);
        listener.Start(backlog: 512);
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            _ = Task.Run(() => ServeAsync(socket, podName, ct), ct);
        }
    }

    private static async Task ServeAsync(Socket socket, string podName, CancellationToken ct)
    {
        using (socket)
        {
            try
            {
                // Read the request head (bounded); any request gets the same answer.
                var buffer = new byte[4096];
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await socket.ReceiveAsync(buffer.AsMemory(read), timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                        break;
                    read += n;
                    if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                        break;
                }
                var body = Answer(podName, socket.RemoteEndPoint);
                var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
                await socket.SendAsync(Encoding.UTF8.GetBytes(response), ct).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that went away is not the server's problem.
            }
        }
    }
}
