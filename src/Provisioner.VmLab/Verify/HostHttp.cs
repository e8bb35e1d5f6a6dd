using System.Net;

namespace Provisioner.VmLab.Verify;

/// <summary>An HTTP GET from this machine (the learner's host), as an outside client of the lab.</summary>
public interface IHostHttp
{
    Task<(string? Body, string? Error)> GetAsync(IPAddress address, int port, string path, CancellationToken ct = default);
}

/// <summary><see cref="IHostHttp"/> over <see cref="HttpClient"/>, with a short deadline and the failure said plainly.</summary>
public sealed class HostHttp : IHostHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<(string? Body, string? Error)> GetAsync(IPAddress address, int port, string path, CancellationToken ct = default)
    {
        using var client = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(new Uri($"http://{address}:{port}{path}"), ct).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim();
            return response.IsSuccessStatusCode ? (body, null) : (null, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"no answer within {Timeout.TotalSeconds:0} s (packets dropped or black-holed)");
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError when e.InnerException is System.Net.Sockets.SocketException
                    { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } => "connection refused (nothing listening, or a REJECT rule)",
                _ => e.InnerException?.Message ?? e.Message,
            });
        }
    }
}
