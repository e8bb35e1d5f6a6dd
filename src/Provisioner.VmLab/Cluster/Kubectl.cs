using Provisioner.Host.Processes;

namespace Provisioner.VmLab.Cluster;

/// <summary>
/// <c>kubectl</c> against the lab's own kubeconfig (never the learner's current context): <c>get -o json</c> and
/// <c>exec</c>. Argument lists, never a shell; every call has a deadline.
/// </summary>
public sealed class Kubectl(ProcessRunner runner, string kubeconfig, string program = Kubectl.Program)
{
    public const string Program = "kubectl";
    public static readonly TimeSpan GetTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The pod's container the probes run in (agnhost has curl, ping and nslookup).</summary>
    public const string ProbeContainer = Deploy.Multipass.WorkloadManifest.ContainerName;

    public string Kubeconfig => kubeconfig;

    /// <summary><c>kubectl get RESOURCES -o json</c> (all namespaces unless <paramref name="ns"/>); throws with what to check.</summary>
    public async Task<string> GetJsonAsync(string resources, string? selector = null, string? ns = null, CancellationToken ct = default)
    {
        IReadOnlyList<string> arguments = [.. Base, "get", resources, .. ns is null ? ["--all-namespaces"] : new[] { "--namespace", ns },
            .. selector is null ? [] : new[] { "--selector", selector }, "--output", "json"];
        CommandResult result;
        try
        {
            result = await TimedRun.TryRunAsync(runner, program, arguments, GetTimeout, ct: ct).ConfigureAwait(false);
        }
        catch (ToolMissingException e)
        {
            throw new ToolMissingException($"'{program}' was not found on PATH. Fix: install kubectl (https://kubernetes.io/docs/tasks/tools/), " +
                "the same minor version as the lab's Kubernetes or one next to it.", e);
        }
        if (!result.Succeeded)
            throw new CommandFailedException(ShellQuote.Join([program, .. arguments]), result.ExitCode, result.StandardError,
                "check that the lab's VMs run ('multipass list') and that the API server answers: " + Line("get", "nodes"));
        return result.StandardOutput;
    }

    /// <summary><c>kubectl exec POD -c netexec -- COMMAND</c>; a failure or a timeout is the result, not an exception.</summary>
    public Task<CommandResult> ExecAsync(string pod, string ns, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct = default) =>
        TimedRun.TryRunAsync(runner, program, ExecArguments(pod, ns, command), timeout, ct: ct);

    public IReadOnlyList<string> ExecArguments(string pod, string ns, IReadOnlyList<string> command) =>
        [.. Base, "exec", "--namespace", ns, pod, "--container", ProbeContainer, "--", .. command];

    /// <summary>A <c>kubectl</c> command line to print (e.g. in "look further"), with the lab's kubeconfig.</summary>
    public string Line(params string[] arguments) => ShellQuote.Join([Program, "--kubeconfig", kubeconfig, .. arguments]);

    private string[] Base => ["--kubeconfig", kubeconfig];
}
