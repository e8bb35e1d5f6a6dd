using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Core.Validation;
using Provisioner.Deploy.Multipass;
using Provisioner.Deploy.Netns;

namespace Provisioner.Deploy;

/// <summary>Plans a lab's deployment: config, validation, plan, then the backend's command steps.</summary>
public static class DeploymentPlanner
{
    /// <summary>What the mappers read: the plan, the options, each node's rendered files and node components.</summary>
    public sealed record Inputs(LabPlan Plan, DeployOptions Options, INodeFiles Files, INodeComponents Components)
    {
        private readonly Dictionary<string, IReadOnlyList<NodeFile>> _files = new(StringComparer.Ordinal);

        /// <summary>A rendered file of a node; a missing one is a netlab bug (every template is built in).</summary>
        public NodeFile File(string node, string name)
        {
            if (!_files.TryGetValue(node, out var files))
                _files[node] = files = Files.For(Plan, node);
            return files.FirstOrDefault(f => f.Name == name) ?? throw new InvalidOperationException($"the rendering of node {node} has no file {name}");
        }
    }

    /// <summary>
    /// Reads the stack's config the way Pulumi gives it (<paramref name="rawValue"/>: a key's text, JSON for structured
    /// values), validates it and plans the deployment. Throws <see cref="LabConfigException"/> with every problem, each
    /// naming the <c>pulumi config set</c> command that fixes it, before anything is created.
    /// </summary>
    /// <param name="configuredKeys">Every key set in the stack (<c>netlab:nodes</c>, ...), so a misspelled one is reported.</param>
    public static DeploymentPlan FromConfig(Func<string, string?> rawValue, DeployOptions options, INodeFiles files, INodeComponents components,
        IEnumerable<string>? configuredKeys = null)
    {
        var (lab, problems) = LabConfigReader.Read(rawValue, options.StackName);
        var all = ConfigKeys.Unknown(configuredKeys ?? []).Concat(LabValidator.Validate(lab, problems)).Distinct().ToList();
        if (all.Count > 0)
            throw new LabConfigException(all);
        return For(LabPlan.For(lab), options, files, components);
    }

    public static DeploymentPlan For(LabPlan plan, DeployOptions options, INodeFiles files, INodeComponents components)
    {
        var inputs = new Inputs(plan, options.Validated(), files, components);
        if (plan.Lab.Backend == Backend.Multipass)
        {
            var mapper = new MultipassStepMapper(inputs);
            return new DeploymentPlan
            {
                Plan = plan, Options = options, Steps = DeploymentPlan.Ordered([.. mapper.Map()]),
                Nodes = [.. plan.Lab.Nodes.Select(mapper.Deployed)], KubeconfigPath = mapper.KubeconfigPath,
            };
        }
        var netns = new NetnsStepMapper(inputs);
        return new DeploymentPlan
        {
            Plan = plan, Options = options, Steps = DeploymentPlan.Ordered([.. netns.Map()]),
            Nodes = [.. plan.Lab.Nodes.Select(netns.Deployed)],
        };
    }
}
