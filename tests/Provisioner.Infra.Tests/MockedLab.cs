using System.Collections.Immutable;
using System.Text.Json;
using Provisioner.Testing;
using Pulumi;
using Pulumi.Command.Local;
using Pulumi.Testing;
using YamlDotNet.RepresentationModel;

namespace Provisioner.Infra.Tests;

/// <summary>
/// Runs <see cref="LabDeployment"/> under mocks with a stack's config in PULUMI_CONFIG (as the Pulumi CLI passes it:
/// structured values as JSON text), a temporary project root, and a transformation that records every resource's
/// args and options. Dispose clears the environment.
/// </summary>
public sealed class MockedLab : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("netlab-infra-").FullName;

    public MockedLab(IReadOnlyDictionary<string, string> config)
    {
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", JsonSerializer.Serialize(config.ToDictionary(c => $"netlab:{c.Key}", c => c.Value)));
        Environment.SetEnvironmentVariable(LabDeployment.ProjectRootVariable, _root);
    }

    public string Root => _root;

    /// <summary>What the transformation saw, by resource name.</summary>
    public Dictionary<string, (ResourceArgs Args, ResourceOptions Options)> Declared { get; } = new(StringComparer.Ordinal);

    public (CommandArgs Args, CustomResourceOptions Options) CommandDeclared(string name) =>
        ((CommandArgs)Declared[name].Args, (CustomResourceOptions)Declared[name].Options);

    public Task<ImmutableArray<Resource>> RunAsync(IMocks mocks, bool preview = false)
    {
        var options = new StackOptions();
        options.ResourceTransformations.Add(args =>
        {
            lock (Declared)
                Declared[args.Resource.GetResourceName()] = (args.Args, args.Options);
            return null;
        });
        return Deployment.TestWithServiceProviderAsync<LabDeployment>(mocks, new Provider(() => new LabDeployment(options)),
            new TestOptions { ProjectName = "netlab", StackName = "dev", IsPreview = preview });
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", null);
        Environment.SetEnvironmentVariable(LabDeployment.ProjectRootVariable, null);
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The example stack's config (Pulumi.dev.yaml) as the Pulumi CLI hands it to the program.</summary>
    public static Dictionary<string, string> ExampleConfig(Action<Dictionary<string, YamlNode>>? change = null)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(RepoPaths.Of("Pulumi.dev.yaml"))));
        var config = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("config")];
        var values = config.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!["netlab:".Length..], c => c.Value);
        change?.Invoke(values);
        return values.ToDictionary(v => v.Key, v => v.Value is YamlScalarNode s ? s.Value ?? "" : JsonSerializer.Serialize(ToPlain(v.Value)));
    }

    private static object? ToPlain(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value,
        YamlSequenceNode q => q.Children.Select(ToPlain).ToList(),
        YamlMappingNode m => m.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ToPlain(c.Value)),
        _ => null,
    };

    public static Task<T> ValueOf<T>(Output<T> output)
    {
        var source = new TaskCompletionSource<T>();
        output.Apply(value =>
        {
            source.TrySetResult(value);
            return value;
        });
        return source.Task;
    }

    private sealed class Provider(Func<object> create) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(LabDeployment) ? create() : null;
    }
}
