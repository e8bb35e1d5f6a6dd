using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Provisioner.Host.Processes;

namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Runs a node's changes in order, consecutive commands of one kind merged into one process (<see cref="CommandBatch"/>).
/// <c>ip -batch</c> stops at the first failure and says which line failed, so the error still names its step.
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
            var key = CommandBatch.KeyOf(steps[i].Command);
            var run = 1;
            while (key is not null && i + run < steps.Count && CommandBatch.KeyOf(steps[i + run].Command) == key)
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
        var command = CommandBatch.Merge([.. batch.Select(s => s.Command)], shell.Target);
        try
        {
            await shell.RunAsync(command, ct).ConfigureAwait(false);
        }
        catch (CommandFailedException e)
        {
            var match = FailedLine().Match(e.StandardError);
            if (CommandBatch.ReportsFailedLine(command) && match.Success)
            {
                var failed = batch[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) - 1];
                throw new FabricException(node, failed.Difference.Step, $"'{failed.Command.Render(shell.Target)}' failed: {e.StandardError.Trim()}", e);
            }
            var steps = batch.Select(s => s.Difference.Step).Distinct().ToList();
            throw new FabricException(node, steps[0],
                $"{e.Message} (one {command.Program} run for: {string.Join("; ", steps)})", e);
        }
        catch (ToolMissingException e)
        {
            throw new FabricException(node, batch[0].Difference.Step, e.Message, e);
        }
    }

    /// <summary>ip/bridge report the failing batch line as <c>Command failed -:N</c>.</summary>
    [GeneratedRegex(@"Command failed -:(\d+)")]
    private static partial Regex FailedLine();
}
