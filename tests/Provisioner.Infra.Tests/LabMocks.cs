using System.Collections.Concurrent;
using System.Collections.Immutable;
using Pulumi;
using Pulumi.Testing;

namespace Provisioner.Infra.Tests;

/// <summary>
/// Records every resource; commands "print" what the real ones would: <c>multipass info</c> JSON for the address
/// steps (192.168.64.11, .12, ... in node order), a join command for the join-command step.
/// </summary>
public sealed class LabMocks(params string[] vms) : IMocks
{
    public const string JoinCommand =
        "kubeadm join 192.168.64.11:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    public ConcurrentQueue<MockResourceArgs> Resources { get; } = new();
    public ConcurrentDictionary<string, ImmutableDictionary<string, Output<object?>>> OutputsByUrn { get; } = new();

    public IEnumerable<MockResourceArgs> Commands => Resources.Where(r => r.Type == "command:local:Command");

    public MockResourceArgs Command(string name) => Commands.Single(c => c.Name == name);

    public Task<(string? id, object state)> NewResourceAsync(MockResourceArgs args)
    {
        Resources.Enqueue(args);
        var state = args.Inputs;
        if (args.Type == "command:local:Command")
            state = state.SetItem("stdout", Stdout(args.Name ?? "")).SetItem("stderr", "");
        return Task.FromResult<(string? id, object state)>(($"{args.Name}-id", state));
    }

    public Task<object> CallAsync(MockCallArgs args) => Task.FromResult<object>(args.Args);

    public Task RegisterResourceOutputs(MockRegisterResourceOutputsRequest args)
    {
        OutputsByUrn[args.Urn] = args.Outputs;
        return Task.CompletedTask;
    }

    private string Stdout(string name)
    {
        if (name.EndsWith("-join-command", StringComparison.Ordinal))
            return JoinCommand;
        for (var i = 0; i < vms.Length; i++)
        {
            var node = vms[i][(vms[i].IndexOf('-', StringComparison.Ordinal) + 1)..];
            if (name.EndsWith($"-address-{node}", StringComparison.Ordinal))
                return System.Text.Json.JsonSerializer.Serialize(new
                {
                    errors = Array.Empty<string>(),
                    info = new Dictionary<string, object> { [vms[i]] = new { ipv4 = new[] { "10.0.2.15", $"192.168.64.{11 + i}" }, state = "Running" } },
                });
        }
        return "";
    }
}
