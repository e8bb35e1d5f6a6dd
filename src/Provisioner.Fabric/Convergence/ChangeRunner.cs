using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Runs a node's changes in order. Consecutive <c>ip</c> (or <c>bridge</c>) commands go to one <c>ip -batch -</c>
/// process, which stops at the first failure and says which line failed, so the error still names its step.
/// </summary>
internal sealed partial class ChangeRunner(NodeShell shell, string node)
{
    private sealed record Step(Difference Difference, FabricCommand Command);

    public async Task<FabricChanges> RunAsync(IReadOnlyList<Difference> diff, CancellationToken ct)
    {
        var target = shell.Target;
        var steps = diff.SelectMany(d => d.Commands(target).Select(c => new Step(d, c))).ToList();
        for (var i = 0; i < steps.Count;)
        {
            var run = 1;
            while (steps[i].Command.IsBatchable && i + run < steps.Count && steps[i + run].Command.IsBatchable
                && steps[i + run].Command.Program == steps[i].Command.Program)
                run++;
            if (run == 1)
                await RunOneAsync(steps[i], ct).ConfigureAwait(false);
            else
                await RunBatchAsync(steps.GetRange(i, run), ct).ConfigureAwait(false);
            i += run;
        }
        return new FabricChanges(node,
            [.. diff.Select(d => new FabricChange(d.Kind, d.Item.Line, [.. d.Commands(target).Select(c => c.Render(target))]))]);
    }

    private async Task RunOneAsync(Step step, CancellationToken ct)
    {
        try
        {
            await shell.RunAsync(step.Command, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CommandFailedException or ToolMissingException)
        {
            throw new FabricException(node, step.Difference.Step, e.Message, e);
        }
    }

    private async Task RunBatchAsync(List<Step> batch, CancellationToken ct)
    {
        var program = batch[0].Command.Program;
        var command = new FabricCommand(program, ["-batch", "-"], InNetns: true)
        {
            Stdin = string.Join('\n', batch.Select(s => s.Command.BatchLine)) + "\n",
        };
        try
        {
            await shell.RunAsync(command, ct).ConfigureAwait(false);
        }
        catch (CommandFailedException e)
        {
            var match = FailedLine().Match(e.StandardError);
            var failed = match.Success ? batch[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) - 1] : batch[0];
            throw new FabricException(node, failed.Difference.Step,
                $"'{failed.Command.Render(shell.Target)}' failed: {e.StandardError.Trim()}", e);
        }
    }

    /// <summary>ip/bridge report the failing batch line as <c>Command failed -:N</c>.</summary>
    [GeneratedRegex(@"Command failed -:(\d+)")]
    private static partial Regex FailedLine();
}
