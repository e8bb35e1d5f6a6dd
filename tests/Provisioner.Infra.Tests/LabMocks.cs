using System.Collections.Concurrent;
using System.Collections.Immutable;
using Pulumi;
using Pulumi.Testing;

namespace Provisioner.Infra.Tests;

/// <summary>
/// Records every resource and every <c>local.run</c> lookup; the lookups "print" what <c>multipass info</c> would
/// (192.168.64.11, .12, ... in node order, or the addresses set in <see cref="Addresses"/>).
/// </summary>
public sealed class LabMocks(params string[] vms) : IMocks
{
    public const string RunToken = "command:local:run";

    public ConcurrentQueue<MockResourceArgs> Resources { get; } = new();

    public ConcurrentQueue<MockCallArgs> Calls { get; } = new();

    /// <summary>A VM's address as multipass info reports it now (default: 192.168.64.(11 + its index)).</summary>
    public ConcurrentDictionary<string, string> Addresses { get; } = new(StringComparer.Ordinal);

    /// <summary>VMs multipass info reports as stopped (no address).</summary>
    public ConcurrentDictionary<string, bool> Stopped { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, ImmutableDictionary<string, Output<object?>>> OutputsByUrn { get; } = new();

    public IEnumerable<MockResourceArgs> Commands => Resources.Where(r => r.Type == "command:local:Command");

    public MockResourceArgs Command(string name) => Commands.Single(c => c.Name == name);

    public Task<(string? id, object state)> NewResourceAsync(MockResourceArgs args)
    {
        Resources.Enqueue(args);
        var state = args.Inputs;
        if (args.Type == "command:local:Command")
            state = state.SetItem("stdout", "").SetItem("stderr", "");
        return Task.FromResult<(string? id, object state)>(($"{args.Name}-id", state));
    }

    public Task<object> CallAsync(MockCallArgs args)
    {
        Calls.Enqueue(args);
        if (args.Token != RunToken)
            return Task.FromResult<object>(args.Args);
        var command = args.Args["command"] as string ?? "";
        var result = args.Args.SetItem("stdout", Info(command)).SetItem("stderr", "");
        return Task.FromResult<object>(result);
    }

    public Task RegisterResourceOutputs(MockRegisterResourceOutputsRequest args)
    {
        OutputsByUrn[args.Urn] = args.Outputs;
        return Task.CompletedTask;
    }

    /// <summary>What <c>multipass info VM --format json</c> prints for the VM the command names.</summary>
    private string Info(string command)
    {
        for (var i = 0; i < vms.Length; i++)
        {
            if (!command.Contains($"multipass info {vms[i]} ", StringComparison.Ordinal))
                continue;
            var address = Addresses.TryGetValue(vms[i], out var a) ? a : $"192.168.64.{11 + i}";
            var stopped = Stopped.ContainsKey(vms[i]);
            return System.Text.Json.JsonSerializer.Serialize(new
            {
                errors = Array.Empty<string>(),
                info = new Dictionary<string, object>
                {
                    [vms[i]] = new { ipv4 = stopped ? [] : new[] { "10.0.2.15", address }, state = stopped ? "Stopped" : "Running" },
                },
            });
        }
        return "";
    }
}
