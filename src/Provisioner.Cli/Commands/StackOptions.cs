using System.CommandLine;
using Provisioner.Core.Config;

namespace Provisioner.Cli.Commands;

/// <summary>Options several commands share, defined once so they read the same everywhere.</summary>
public static class StackOptions
{
    /// <summary><c>--stack FILE</c>: the Pulumi stack file, <c>Pulumi.dev.yaml</c> in the current directory by default.</summary>
    public static Option<FileInfo> Stack() => new("--stack", "-s")
    {
        Description = "The stack file (Pulumi.<stack>.yaml) describing the lab",
        DefaultValueFactory = _ => new FileInfo(StackFile.DefaultPath),
        HelpName = "FILE",
    };
}
