using System.Text.Json;
using System.Text.Json.Nodes;
using Provisioner.Host.Processes;
using Provisioner.Errors;

namespace Provisioner.Netns.Cni;

/// <summary>A CNI plugin failed; the message is the plugin's own error (code, msg, details).</summary>
public sealed class CniException : NetlabException
{
    public CniException() { }

    public CniException(string message) : base(message) { }

    public CniException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The part of a CNI result the lab uses.</summary>
public sealed record CniAttachment(string Address, string Gateway, string HostInterface, string ResultJson);

/// <summary>
/// Calls a CNI plugin the way a container runtime does (what libcni does for containerd): for each plugin of the
/// conflist, its config with the network's <c>name</c> and <c>cniVersion</c> (and <c>prevResult</c> for CHECK and DEL)
/// on stdin, the CNI_* variables in the environment, run in the node's namespace (the plugin's "host" side).
/// The ADD result is cached, as libcni caches it, for the later CHECK and DEL.
/// </summary>
public sealed class CniRuntime(ProcessRunner run, string pluginDirectory)
{
    public async Task<CniAttachment> AddAsync(string conflistPath, string nodeNamespace, string containerId, string podNamespace, string ifName,
        string resultCachePath, CancellationToken ct = default)
    {
        var output = await InvokeAsync("ADD", conflistPath, nodeNamespace, containerId, podNamespace, ifName, prevResult: null, ct).ConfigureAwait(false);
        var temp = resultCachePath + ".tmp";
        await File.WriteAllTextAsync(temp, output, ct).ConfigureAwait(false);
        File.Move(temp, resultCachePath, overwrite: true);
        return Parse(output);
    }

    public async Task CheckAsync(string conflistPath, string nodeNamespace, string containerId, string podNamespace, string ifName,
        string resultCachePath, CancellationToken ct = default)
    {
        var prev = File.Exists(resultCachePath) ? await File.ReadAllTextAsync(resultCachePath, ct).ConfigureAwait(false) : null;
        await InvokeAsync("CHECK", conflistPath, nodeNamespace, containerId, podNamespace, ifName, prev, ct).ConfigureAwait(false);
    }

    public async Task DelAsync(string conflistPath, string nodeNamespace, string containerId, string podNamespace, string ifName,
        string resultCachePath, CancellationToken ct = default)
    {
        var prev = File.Exists(resultCachePath) ? await File.ReadAllTextAsync(resultCachePath, ct).ConfigureAwait(false) : null;
        await InvokeAsync("DEL", conflistPath, nodeNamespace, containerId, podNamespace, ifName, prev, ct).ConfigureAwait(false);
        File.Delete(resultCachePath);
    }

    public static CniAttachment Parse(string resultJson)
    {
        var result = JsonNode.Parse(resultJson) ?? throw new CniException("the plugin printed no result");
        var ip = result["ips"]?[0] ?? throw new CniException("the plugin's result has no IP");
        var hostInterface = result["interfaces"]?.AsArray().FirstOrDefault(i => i?["sandbox"] is null)?["name"]?.GetValue<string>() ?? "";
        return new CniAttachment(ip["address"]?.GetValue<string>() ?? "", ip["gateway"]?.GetValue<string>() ?? "", hostInterface, resultJson);
    }

    private async Task<string> InvokeAsync(string command, string conflistPath, string nodeNamespace, string containerId, string podNamespace,
        string ifName, string? prevResult, CancellationToken ct)
    {
        var conflist = JsonNode.Parse(await File.ReadAllTextAsync(conflistPath, ct).ConfigureAwait(false))!.AsObject();
        var plugin = conflist["plugins"]!.AsArray()[0]!.DeepClone().AsObject();
        plugin["name"] = conflist["name"]!.DeepClone();
        plugin["cniVersion"] = conflist["cniVersion"]!.DeepClone();
        if (prevResult is not null)
            plugin["prevResult"] = JsonNode.Parse(prevResult);
        var type = plugin["type"]!.GetValue<string>();

        var environment = new Dictionary<string, string?>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = Namespaces.PathOf(podNamespace),
            ["CNI_IFNAME"] = ifName,
            ["CNI_PATH"] = pluginDirectory,
        };
        var result = await run.TryRunAsync("nsenter", [$"--net={Namespaces.PathOf(nodeNamespace)}", Path.Combine(pluginDirectory, type)],
            stdin: plugin.ToJsonString(), environment: environment, cancellationToken: ct).ConfigureAwait(false);
        if (result.Succeeded)
            return result.StandardOutput;
        throw new CniException($"{type} {command} for {containerId} failed (exit {result.ExitCode}): {Describe(result.StandardOutput)}{result.StandardError.Trim()}");
    }

    private static string Describe(string errorJson)
    {
        try
        {
            var error = JsonNode.Parse(errorJson);
            return $"code {error?["code"]}: {error?["msg"]}{(error?["details"] is { } d ? $" ({d})" : "")} ";
        }
        catch (JsonException)
        {
            return errorJson;
        }
    }
}
