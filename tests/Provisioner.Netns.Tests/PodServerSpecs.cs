using System.Net;
using System.Net.Sockets;
using Provisioner.Netns.Pods;
using Xunit;

namespace Provisioner.Netns.Tests;

public class PodServerSpecs
{
    [Fact]
    public async Task It_answers_with_the_pod_name_and_the_client_address_it_saw()
    {
        var port = FreePort();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var server = PodServer.RunAsync("web-1", port, stop.Token);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        var body = await RetryAsync(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/")));
        await stop.CancelAsync();
        await server;

        Assert.Equal("web-1 client=127.0.0.1\n", body);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<string> RetryAsync(Func<Task<string>> get)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await get();
            }
            catch (HttpRequestException) when (i < 200)
            {
                await Task.Delay(50);
            }
        }
    }
}
