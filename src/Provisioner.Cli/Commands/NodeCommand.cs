using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Provisioner.Fabric.Convergence;
using Provisioner.Fabric.Model;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Sources;

namespace Provisioner.Cli.Commands;

/// <summary>
/// The hidden <c>netlab node</c> group a lab node runs (the Pulumi program calls it on each VM, as root):
/// <c>netlab node fabric apply FILE [--node-address NAME=IP]...</c> converges this host to a <see cref="NodeFabric"/>;
/// <c>netlab node services apply FILE [--node-address NAME=IP]</c> applies a <see cref="NodeServicesDocument"/>'s rules.
/// Addresses the document leaves empty (a VM's are known only once it runs) come from <c>--node-address</c>.
/// After a successful apply, the document with its addresses filled in is saved (<see cref="AppliedDocuments"/>), and
/// <c>netlab node reapply</c> applies the saved ones again: the boot-time <c>netlab-node.service</c> runs it.
/// </summary>
public static class NodeCommand
{
    public static Command Create()
    {
        var node = new Command("node", "Converge this machine's node components from a document (run on a lab node)") { Hidden = true };
        node.Subcommands.Add(new Command("fabric", "The pod network between the nodes (bridge, tunnels, routes, flows)") { FabricApply() });
        node.Subcommands.Add(new Command("services", "The Service rules (iptables or nftables)") { ServicesApply() });
        node.Subcommands.Add(Reapply());
        return node;
    }

    /// <summary><c>--state-dir DIR</c>: where applied documents are saved and <c>reapply</c> reads them.</summary>
    internal static Option<DirectoryInfo> StateDir() => new("--state-dir")
    {
        Description = $"Where the applied documents are saved for `netlab node reapply` (default {AppliedDocuments.DefaultDirectory})",
        HelpName = "DIR",
        DefaultValueFactory = _ => new DirectoryInfo(AppliedDocuments.DefaultDirectory),
    };

    /// <summary><c>--node-address NAME=IP</c>, repeatable; parsed into a map by node name.</summary>
    internal static Option<IReadOnlyDictionary<string, IPAddress>> NodeAddresses() => new("--node-address")
    {
        Description = "A node's underlay address as NAME=IP; repeat it for each node the document leaves without one",
        HelpName = "NAME=IP",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = ParseNodeAddresses,
        DefaultValueFactory = _ => new Dictionary<string, IPAddress>(StringComparer.Ordinal),
    };

    internal static IReadOnlyDictionary<string, IPAddress> ParseNodeAddresses(ArgumentResult result)
    {
        var addresses = new Dictionary<string, IPAddress>(StringComparer.Ordinal);
        foreach (var token in result.Tokens.Select(t => t.Value))
        {
            var (name, text) = token.IndexOf('=', StringComparison.Ordinal) is var i and > 0 ? (token[..i], token[(i + 1)..]) : ("", token);
            if (name.Length == 0)
                result.AddError($"--node-address '{token}' is not NAME=IP; write e.g. --node-address worker1=192.168.64.11");
            else if (!IPAddress.TryParse(text, out var address) || address.ToString() != text)
                result.AddError($"--node-address {name}: '{text}' is not an IP address; write e.g. --node-address {name}=192.168.64.11");
            else if (addresses.TryGetValue(name, out var other) && !other.Equals(address))
                result.AddError($"--node-address {name} is given twice ({other} and {address}); give each node once");
            else
                addresses[name] = address;
        }
        return addresses;
    }

    private static Command FabricApply()
    {
        var (file, addresses, stateDir) = (Document("the node's fabric (JSON)"), NodeAddresses(), StateDir());
        var apply = new Command("apply", "Converge this host's fabric to the document: add what is missing, remove what is no longer wanted")
        {
            file, addresses, stateDir,
        };
        apply.SetAction((parseResult, ct) => Run(CliOutput.For(parseResult), async () =>
        {
            var desired = FabricJson.Load(parseResult.GetRequiredValue(file).FullName).WithAddresses(parseResult.GetRequiredValue(addresses));
            var result = await ApplyFabric(desired, ct).ConfigureAwait(false);
            Saved(parseResult, stateDir).SaveFabric(FabricJson.Serialize(desired));
            return result;
        }));
        return apply;
    }

    private static async Task<string> ApplyFabric(NodeFabric desired, CancellationToken ct) =>
        (await new FabricConverger().ApplyAsync(desired, FabricTarget.Host, ct).ConfigureAwait(false)).ToString();

    private static async Task<string> ApplyServices(NodeServicesDocument document, CancellationToken ct)
    {
        var result = await new ServiceRulesApplier(document.Backend).ApplyAsync(document.Table, document.Node, ct).ConfigureAwait(false);
        return $"{document.Node.NodeName}: {result}";
    }

    private static AppliedDocuments Saved(ParseResult parseResult, Option<DirectoryInfo> stateDir) =>
        new(parseResult.GetRequiredValue(stateDir).FullName);

    private static Command ServicesApply()
    {
        var (file, addresses, stateDir) = (Document("the node's services document (JSON)"), NodeAddresses(), StateDir());
        var apply = new Command("apply", "Apply the document's Service rules on this host in one transaction") { file, addresses, stateDir };
        apply.SetAction((parseResult, ct) => Run(CliOutput.For(parseResult), async () =>
        {
            var document = NodeServicesDocument.Deserialize(await File.ReadAllTextAsync(parseResult.GetRequiredValue(file).FullName, ct).ConfigureAwait(false));
            var resolved = document with { Node = document.NodeWith(parseResult.GetRequiredValue(addresses).GetValueOrDefault(document.Node.NodeName)) };
            var result = await ApplyServices(resolved, ct).ConfigureAwait(false);
            Saved(parseResult, stateDir).SaveServices(resolved.Serialize());
            return result;
        }));
        return apply;
    }

    /// <summary>
    /// <c>netlab node reapply</c>: the saved fabric, then the saved Service rules, as they were last applied (at boot,
    /// when the kernel has lost them). Fails, saying why, when nothing was ever saved.
    /// </summary>
    private static Command Reapply()
    {
        var stateDir = StateDir();
        var reapply = new Command("reapply", "Apply again the fabric and Service rules last applied on this host (run at boot by netlab-node.service)")
        {
            stateDir,
        };
        reapply.SetAction((parseResult, ct) => Run(CliOutput.For(parseResult), async () =>
        {
            var saved = Saved(parseResult, stateDir);
            var (fabric, services) = (AppliedDocuments.Read(saved.Fabric), AppliedDocuments.Read(saved.Services));
            if (fabric is null && services is null)
                throw new CommandInputException($"nothing to re-apply: {saved.Directory} has no {AppliedDocuments.FabricFile} or " +
                    $"{AppliedDocuments.ServicesFile}; `netlab node fabric apply` and `netlab node services apply` save them there when they succeed");
            var lines = new List<string>();
            if (fabric is not null)
                lines.Add(await ApplyFabric(FabricJson.Deserialize(fabric), ct).ConfigureAwait(false));
            if (services is not null)
                lines.Add(await ApplyServices(NodeServicesDocument.Deserialize(services), ct).ConfigureAwait(false));
            return string.Join(Environment.NewLine, lines);
        }));
        return reapply;
    }

    private static Argument<FileInfo> Document(string what) => new("FILE") { Description = $"The document: {what}, as the plan wrote it" };

    /// <summary>Prints what was done, or the problem (with its fix) and <see cref="ExitCodes.Failed"/>.</summary>
    private static async Task<int> Run(CliOutput output, Func<Task<string>> apply)
    {
        try
        {
            foreach (var line in (await apply().ConfigureAwait(false)).Split(Environment.NewLine))
                output.Line(line);
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            return CommandErrors.Report(output, e);
        }
    }
}
