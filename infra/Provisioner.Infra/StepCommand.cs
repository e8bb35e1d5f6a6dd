using Provisioner.Deploy;
using Pulumi;
using Pulumi.Command.Local;

namespace Provisioner.Infra;

/// <summary>Declares one <see cref="Command"/> for one <see cref="CommandStep"/>: a field-by-field translation.</summary>
internal static class StepCommand
{
    public static Command Declare(string name, CommandStep step, string projectRoot, Resource parent,
        IReadOnlyDictionary<string, Command> declared, Func<string, Output<string>> addressOf)
    {
        var environment = new InputMap<string>();
        foreach (var (variable, value) in step.TriggerVariables)
            environment.Add(variable, value);
        foreach (var (variable, node) in step.AddressVariables)
            environment.Add(variable, addressOf(node));

        var args = new CommandArgs
        {
            Create = step.Create,
            Dir = projectRoot,
            Interpreter = { "/bin/sh", "-c" },
            Environment = environment,
            Triggers = step.ReplaceTriggers.Select(t => (object)t).ToArray(),
            Logging = step.Logging switch
            {
                StepLogging.Stderr => Logging.Stderr,
                StepLogging.None => Logging.None,
                _ => Logging.StdoutAndStderr,
            },
        };
        if (step.Update is not null)
            args.Update = step.Update;
        if (step.Delete is not null)
            args.Delete = step.Delete;
        if (step.StdinFromStep is { } source)
            args.Stdin = Output.CreateSecret(declared[source].Stdout); // a secret on stdin, never on a command line

        var options = new CustomResourceOptions
        {
            Parent = parent,
            DependsOn = step.DependsOn.Select(d => (Resource)declared[d]).ToArray(),
            DeleteBeforeReplace = step.DeleteBeforeReplace,
        };
        if (step.SecretStdout)
            options.AdditionalSecretOutputs.Add("stdout");
        return new Command(name, args, options);
    }
}
