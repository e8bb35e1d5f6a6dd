
namespace Provisioner.Fabric.Convergence;

/// <summary>
/// Merges consecutive commands of one kind into one process: <c>ip -batch -</c> / <c>bridge -batch -</c>, one
/// <c>ovs-vsctl</c> transaction (commands joined by <c>--</c>), one <c>ovs-ofctl add-flows BRIDGE -</c>.
/// Best-effort commands (<see cref="FabricCommand.MayFail"/>) always run alone.
/// </summary>
internal static class CommandBatch
{
    public static string? KeyOf(FabricCommand c) => c.MayFail ? null : c.Program switch
    {
        "ip" or "bridge" when c.IsBatchable => c.Program,
        "ovs-vsctl" => c.Program,
        "ovs-ofctl" when c.Arguments[0] == "add-flow" => $"ovs-ofctl add-flow {c.Arguments[1]}",
        _ => null,
    };

    /// <summary>True when a failure of the merged command can be traced to its line (<c>Command failed -:N</c>).</summary>
    public static bool ReportsFailedLine(FabricCommand first) => first.Program is "ip" or "bridge";

    public static FabricCommand Merge(IReadOnlyList<FabricCommand> commands, FabricTarget target)
    {
        var first = commands[0];
        switch (first.Program)
        {
            case "ip" or "bridge":
                return new FabricCommand(first.Program, ["-batch", "-"], InNetns: true)
                {
                    Stdin = string.Join('\n', commands.Select(c => c.BatchLine)) + "\n",
                };
            case "ovs-vsctl":
                var options = FabricCommand.VsctlOptions(target).ToList();
                var args = new List<string>(options);
                foreach (var c in commands)
                {
                    if (args.Count > options.Count)
                        args.Add("--");
                    args.AddRange(c.Arguments.Skip(options.Count));
                }
                return new FabricCommand("ovs-vsctl", [.. args], InNetns: false);
            default:
                return new FabricCommand("ovs-ofctl", ["add-flows", first.Arguments[1], "-"], InNetns: false)
                {
                    Stdin = string.Join('\n', commands.Select(c => c.Arguments[2])) + "\n",
                };
        }
    }

}
