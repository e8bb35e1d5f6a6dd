using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Validation;

/// <summary>
/// Checks a lab before anything is created and reports every problem at once, each naming the key, the bad value
/// and the command that fixes it.
/// </summary>
public static partial class LabValidator
{
    /// <summary>
    /// Lab and node names become VM names, hostnames and namespace names (<c>lab-node</c>, no length limit there),
    /// and node names also interface names (<c>vx-NODE</c> tunnel ports): 12 keeps those within the kernel's 15 bytes.
    /// </summary>
    public const int MaxNameLength = 12;

    /// <summary>The network a stack gets for every key it leaves out: the examples a fix suggests.</summary>
    private static readonly NetworkSpec DefaultNetwork = new();

    /// <summary>kubeadm's preflight minimums for a control-plane node.</summary>
    public const int MinControlPlaneCpus = 2;
    public static readonly ByteSize MinControlPlaneMemory = ByteSize.FromGiB(2);
    public static readonly ByteSize MinWorkerMemory = ByteSize.FromGiB(1);
    public static readonly ByteSize MinDisk = ByteSize.FromGiB(8);

    /// <summary>kubeadm's v1beta4 config API needs 1.31 or later.</summary>
    public const int MinKubernetesMinor = 31;

    /// <summary>
    /// Labs found valid, by reference: a lab is immutable all the way down, so the stack file's read and the plan of the
    /// same object need not both check 10k services.
    /// </summary>
    private static readonly ConditionalWeakTable<LabConfig, object> Valid = new();
    private static readonly object Checked = new();

    public static IReadOnlyList<ConfigProblem> Validate(LabConfig lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        if (Valid.TryGetValue(lab, out _))
            return [];
        var problems = Check(lab);
        if (problems.Count == 0)
            Valid.AddOrUpdate(lab, Checked);
        return problems;
    }

    /// <summary>A lab this build validated before (the stack cache stores only valid labs, keyed by this build).</summary>
    internal static void RememberValid(LabConfig lab) => Valid.AddOrUpdate(lab, Checked);

    private static List<ConfigProblem> Check(LabConfig lab)
    {
        var problems = new List<ConfigProblem>();
        CheckName(problems, ConfigKeys.Name, lab.Name, "mylab");
        CheckKubernetes(problems, lab);
        CheckNodes(problems, lab);
        CheckNetwork(problems, lab);
        CheckPods(problems, lab);
        CheckServices(problems, lab);
        CheckDns(problems, lab);
        CheckLoadBalancers(problems, lab);
        CheckPolicies(problems, lab);
        return problems;
    }

    /// <summary>
    /// The reader's problems followed by the validator's, leaving out validation problems at (or under) keys the reader
    /// already reported: there the lab holds a fallback, not what the user wrote (cpus "two" must not also read "got '0'").
    /// </summary>
    public static IReadOnlyList<ConfigProblem> Validate(LabConfig lab, IReadOnlyList<ConfigProblem> readProblems)
    {
        bool Reported(string key) => readProblems.Any(r => key == r.Key
            || (key.StartsWith(r.Key, StringComparison.Ordinal) && key[r.Key.Length] is '.' or '['));
        return [.. readProblems, .. Validate(lab).Where(p => !Reported(p.Key))];
    }

    /// <summary>Validates and throws <see cref="LabConfigException"/> with every problem.</summary>
    public static LabConfig EnsureValid(LabConfig lab)
    {
        var problems = Validate(lab);
        return problems.Count == 0 ? lab : throw new LabConfigException(problems);
    }

    private static bool IsName(string name, int max = MaxNameLength) => DnsLabel().IsMatch(name) && name.Length <= max;

    private static void CheckName(List<ConfigProblem> problems, string key, string name, string example, int max = MaxNameLength)
    {
        if (!IsName(name, max))
            problems.Add(new ConfigProblem(key, name,
                $"must be 1-{max} characters of lowercase letters, digits and '-', starting with a letter and not ending with '-' (it becomes a hostname and interface names)",
                ConfigKeys.SetCommand(key, example)));
    }

    private static void CheckKubernetes(List<ConfigProblem> problems, LabConfig lab)
    {
        var match = MinorVersion().Match(lab.Kubernetes.Version);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var minor) || minor < MinKubernetesMinor)
            problems.Add(new ConfigProblem(KubernetesKeys.Path(KubernetesKeys.Version), lab.Kubernetes.Version,
                $"must be a Kubernetes minor version 1.{MinKubernetesMinor} or later, written as 1.NN (it selects the pkgs.k8s.io repository)",
                ConfigKeys.SetCommand(KubernetesKeys.Path(KubernetesKeys.Version), "1.35")));
        if (string.IsNullOrWhiteSpace(lab.Image))
            problems.Add(new ConfigProblem(ConfigKeys.Image, lab.Image, "must name an Ubuntu release Multipass can launch", ConfigKeys.SetCommand(ConfigKeys.Image, "24.04")));
    }

    private static void CheckNodes(List<ConfigProblem> problems, LabConfig lab)
    {
        if (lab.Nodes.IsEmpty)
        {
            problems.Add(new ConfigProblem(ConfigKeys.Nodes, null, "lists no nodes",
                "add at least a control-plane node: pulumi config set --path 'nodes[0].name' cp1 && pulumi config set --path 'nodes[0].role' control-plane"));
            return;
        }
        var controlPlanes = lab.Nodes.Count(n => n.IsControlPlane);
        if (controlPlanes == 0)
            problems.Add(new ConfigProblem(ConfigKeys.Nodes, null, "has no control-plane node",
                "set one node's role: pulumi config set --path 'nodes[0].role' control-plane"));
        else if (controlPlanes > 1)
            problems.Add(new ConfigProblem(ConfigKeys.Nodes, $"{controlPlanes} control-plane nodes",
                "netlab builds single control-plane clusters (an HA control plane needs a load-balanced endpoint)",
                "keep role: control-plane on one node and make the others workers"));

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lab.Nodes.Length; i++)
        {
            var node = lab.Nodes[i];
            var key = $"nodes[{i}]";
            CheckName(problems, $"{key}.{NodeKeys.Name}", node.Name, "worker1");
            if (!seen.Add(node.Name))
                problems.Add(new ConfigProblem($"{key}.{NodeKeys.Name}", node.Name, "is used by another node (node names become VM names and hostnames)",
                    ConfigKeys.SetCommand($"{key}.{NodeKeys.Name}", $"{node.Name}b")));
            CheckResources(problems, key, node);
        }
    }

    private static void CheckResources(List<ConfigProblem> problems, string key, NodeSpec node)
    {
        var minCpus = node.IsControlPlane ? MinControlPlaneCpus : 1;
        var minMemory = node.IsControlPlane ? MinControlPlaneMemory : MinWorkerMemory;
        var what = node.IsControlPlane ? "a control-plane node" : "a worker";
        if (node.Cpus < minCpus)
            problems.Add(new ConfigProblem($"{key}.{NodeKeys.Cpus}", node.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"is below kubeadm's minimum of {minCpus} CPUs for {what}", ConfigKeys.SetCommand($"{key}.{NodeKeys.Cpus}", minCpus.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        if (node.Memory.Bytes < minMemory.Bytes)
            problems.Add(new ConfigProblem($"{key}.{NodeKeys.Memory}", node.Memory.ToString(),
                $"is below kubeadm's minimum of {minMemory} for {what}", ConfigKeys.SetCommand($"{key}.{NodeKeys.Memory}", minMemory.ToString())));
        if (node.Disk.Bytes < MinDisk.Bytes)
            problems.Add(new ConfigProblem($"{key}.{NodeKeys.Disk}", node.Disk.ToString(),
                $"is too small for the OS, containerd and the Kubernetes images (at least {MinDisk})", ConfigKeys.SetCommand($"{key}.{NodeKeys.Disk}", "20G")));
    }

    [GeneratedRegex("^[a-z]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^1\.(\d+)$")]
    private static partial Regex MinorVersion();
}
