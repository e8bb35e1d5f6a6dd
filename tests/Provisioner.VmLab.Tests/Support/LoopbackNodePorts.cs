using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Provisioner.VmLab.Tests.Support;

/// <summary>
/// NodePorts on loopback addresses standing in for the VMs (127.0.64.5-7): each answers <c>GET /hostname</c> with a
/// pod's name, as agnhost netexec behind the node's rules would. Real HTTP from the CLI, nothing leaves the machine.
/// </summary>
public sealed class LoopbackNodePorts : IDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();

    public void Answer(IPAddress address, int port, string podName)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        _listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var read = 0;
                while (read < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    read += await stream.ReadAsync(buffer.AsMemory(read), _stop.Token).ConfigureAwait(false);
                var body = Encoding.ASCII.GetString(buffer, 0, read).StartsWith("GET /hostname ", StringComparison.Ordinal) ? podName : "NOW: 2026-12-01";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token).ConfigureAwait(false);
            }
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var listener in _listeners)
            listener.Stop();
        _stop.Dispose();
    }
}
