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
    public const string Namespaces = "namespaces";
    public const string NetworkPolicies = "networkPolicies";

    public static readonly IReadOnlyList<string> All = [Name, Backend, Image, Kubernetes, Network, Nodes, Pods, Services, Namespaces, NetworkPolicies];

    /// <summary>
    /// A problem for each configured key of netlab's namespace that netlab does not know: a misspelling must not be
    /// silently ignored. <paramref name="keys"/> are full keys (<c>netlab:nodes</c>); other namespaces are not ours.
    /// </summary>
    public static IEnumerable<Validation.ConfigProblem> Unknown(IEnumerable<string> keys)
    {
        var prefix = Namespace + ":";
        return keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !All.Contains(k[prefix.Length..]))
            .Select(k => new Validation.ConfigProblem(k, null, "is not a known key",
                $"remove it (pulumi config rm {k}) or check its spelling; known keys: {string.Join(", ", All.Select(a => prefix + a))}"));
    }

    /// <summary>The command that sets a key (with <c>--path</c> for nested keys), for error messages.</summary>
    public static string SetCommand(string path, string example) =>
        path.Contains('.') || path.Contains('[')
            ? $"pulumi config set --path '{path}' {example}"
            : $"pulumi config set {path} {example}";
}
