using Provisioner.Deploy;
using Pulumi;
using Pulumi.Command.Local;

namespace Provisioner.Infra;

/// <summary>Declares one <see cref="CommandStep"/>: a field-by-field translation, nothing decided here.</summary>
internal static class StepCommand
{
    private static readonly string[] Interpreter = ["/bin/sh", "-c"];

    /// <summary>
    /// A <see cref="Command"/>. No <c>dir</c>: every command finds the project root itself (<see cref="Shell.FromProjectRoot"/>),
    /// so the state pins no absolute path. <c>addPreviousOutputInEnv</c> is off: no step's stdout is ever put into
    /// another run's environment.
    /// </summary>
    public static Command Declare(string name, CommandStep step, Resource parent, Resource[] dependsOn, Func<string, Output<string>> addressOf)
    {
        var args = new CommandArgs
        {
            Create = Shell.FromProjectRoot(step.Create),
            Interpreter = Interpreter,
            Environment = Environment(step, addressOf),
            Triggers = step.ReplaceTriggers.Select(t => (object)t).ToArray(),
            AddPreviousOutputInEnv = false,
            Logging = step.Logging switch
            {
                StepLogging.Stderr => Logging.Stderr,
                StepLogging.None => Logging.None,
                _ => Logging.StdoutAndStderr,
            },
        };
        if (step.Update is not null)
            args.Update = Shell.FromProjectRoot(step.Update);
        if (step.Delete is not null)
            args.Delete = Shell.FromProjectRoot(step.Delete);

        var options = new CustomResourceOptions
        {
            Parent = parent,
            DependsOn = dependsOn,
            DeleteBeforeReplace = step.DeleteBeforeReplace,
        };
        if (step.SecretStdout)
            options.AdditionalSecretOutputs.Add("stdout");
        return new Command(name, args, options);
    }

    /// <summary>
    /// A <see cref="CommandStep.ReadOnEveryRun"/> lookup: a <c>local.run</c> invoke after its dependencies, run on
    /// every preview and up (in a preview, once they exist), never stored as a resource. Returns its stdout.
    /// </summary>
    public static Output<string> Read(CommandStep step, Resource parent, Resource[] dependsOn)
    {
        var result = Run.Invoke(new RunInvokeArgs
        {
            Command = Shell.FromProjectRoot(step.Create),
            Interpreter = Interpreter,
            AddPreviousOutputInEnv = false,
        }, new InvokeOutputOptions { Parent = parent, DependsOn = dependsOn });
        return result.Apply(r => r.Stdout);
    }

    private static InputMap<string> Environment(CommandStep step, Func<string, Output<string>> addressOf)
    {
        var environment = new InputMap<string>();
        foreach (var (variable, value) in step.TriggerVariables)
            environment.Add(variable, value);
        foreach (var (variable, node) in step.AddressVariables)
            environment.Add(variable, addressOf(node));
        return environment;
    }
}
