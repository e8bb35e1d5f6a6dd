namespace Provisioner.Core.Config;

/// <summary>The stack file's keys, in one place. Pulumi namespaces them with the project name: <c>netlab:nodes</c>.</summary>
public static class ConfigKeys
{
    public const string Namespace = "netlab";

    public const string Name = "name";
    public const string Backend = "backend";
    public const string Image = "image";
    public const string Kubernetes = "kubernetes";
    public const string Network = "network";
    public const string Nodes = "nodes";
    public const string Pods = "pods";
    public const string Services = "services";

    public static readonly IReadOnlyList<string> All = [Name, Backend, Image, Kubernetes, Network, Nodes, Pods, Services];

    /// <summary>The command that sets a key (with <c>--path</c> for nested keys), for error messages.</summary>
    public static string SetCommand(string path, string example) =>
        path.Contains('.') || path.Contains('[')
            ? $"pulumi config set --path '{path}' {example}"
            : $"pulumi config set {path} {example}";
}
