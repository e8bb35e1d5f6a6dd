using System.Text.Json.Nodes;

namespace Provisioner.Cni.Tests.Support;

/// <summary>One plugin invocation's outcome: exit code, stdout (the result or error JSON) and stderr.</summary>
public sealed record PluginRun(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public JsonNode? Json => string.IsNullOrWhiteSpace(Stdout) ? null : JsonNode.Parse(Stdout);

    /// <summary>The spec error code on stdout, null on success.</summary>
    public int? ErrorCode => Succeeded ? null : Json?["code"]?.GetValue<int>();

    public string? ErrorMessage => Json?["msg"]?.GetValue<string>();

    /// <summary>The container address of an ADD result, e.g. "10.77.0.2" (without the prefix).</summary>
    public string Address => (Json?["ips"]?[0]?["address"]?.GetValue<string>() ?? throw new InvalidOperationException("no ips in: " + this))
        .Split('/')[0];

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
