using System.Text.Json;
using Provisioner.Host.Processes;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Provisioner.Rendering.Tests;

/// <summary>The user-data of every node of every golden stack, checked by cloud-init itself and against its schema's keys.</summary>
public class CloudInitSpecs
{
    [Theory]
    [MemberData(nameof(Stacks.Nodes), MemberType = typeof(Stacks))]
    public async Task Cloud_init_accepts_the_user_data_of_every_node(string goldenCase, string node)
    {
        var userData = Stacks.Rendered(Stacks.Plan(goldenCase), node, NodeFiles.UserData).Content;
        var file = Path.Combine(Path.GetTempPath(), $"netlab-user-data-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, userData);
        try
        {
            var result = await ProcessRunner.Default.TryRunAsync("cloud-init", ["schema", "--config-file", file]);
            Assert.True(result.Succeeded, $"cloud-init schema rejected {goldenCase}/{node}/user-data:\n{result.StandardOutput}{result.StandardError}");
            Assert.Contains("Valid cloud-config", result.StandardOutput);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary><c>cloud-init schema</c> accepts a misspelled top-level key (it would be ignored at boot), so check them ourselves.</summary>
    [Theory]
    [MemberData(nameof(Stacks.Nodes), MemberType = typeof(Stacks))]
    public void Every_top_level_key_is_one_the_cloud_init_schema_defines(string goldenCase, string node)
    {
        var userData = Stacks.Rendered(Stacks.Plan(goldenCase), node, NodeFiles.UserData).Content;
        Assert.Empty(UnknownTopLevelKeys(userData));
    }

    [Fact]
    public void The_key_check_catches_a_misspelled_key_that_cloud_init_schema_lets_through()
    {
        Assert.Equal(["hostnme"], UnknownTopLevelKeys("#cloud-config\nhostnme: x\npackages: [curl]\n"));
    }

    [Fact]
    public void User_data_starts_with_the_cloud_config_header_cloud_init_requires()
    {
        Assert.StartsWith("#cloud-config\n", Stacks.Rendered(Stacks.Dev, "cp1", NodeFiles.UserData).Content);
    }

    internal static IReadOnlyList<string> UnknownTopLevelKeys(string userData)
    {
        var known = SchemaTopLevelKeys.Value;
        return [.. TopLevel(userData).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => !known.Contains(k))];
    }

    internal static YamlMappingNode TopLevel(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>The union of the properties of every module schema the cloud-config schema combines (allOf of $defs).</summary>
    private static readonly Lazy<HashSet<string>> SchemaTopLevelKeys = new(() =>
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaFile()));
        var defs = schema.RootElement.GetProperty("$defs");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in schema.RootElement.GetProperty("allOf").EnumerateArray())
        {
            var def = defs.GetProperty(reference.GetProperty("$ref").GetString()!.Split('/')[^1]);
            if (def.TryGetProperty("properties", out var properties))
                keys.UnionWith(properties.EnumerateObject().Select(p => p.Name));
        }
        Assert.True(keys.Count > 50, "the schema's module properties were not found");
        return keys;
    });

    /// <summary>
    /// The JSON schema the installed cloud-init package ships (its own copy, so the check matches the tool): found with
    /// <c>dpkg -L cloud-init</c>, or else by asking the Python that runs <c>cloud-init</c> (its shebang).
    /// </summary>
    private static string SchemaFile()
    {
        var dpkg = ProcessRunner.Default.TryRunAsync("dpkg", ["-L", "cloud-init"]).GetAwaiter().GetResult();
        var file = dpkg.StandardOutput.Split('\n').FirstOrDefault(l => l.EndsWith("/schema-cloud-config-v1.json", StringComparison.Ordinal));
        if (file is null)
        {
            var cloudInit = ProcessRunner.Default.Run("sh", "-c", "command -v cloud-init").Trim();
            var python = File.ReadLines(cloudInit).First().TrimStart('#', '!').Trim().Split(' ')[0];
            var dir = ProcessRunner.Default.Run(python, "-c", "from cloudinit.config.schema import get_schema_dir; print(get_schema_dir())").Trim();
            file = Path.Combine(dir, "schema-cloud-config-v1.json");
        }
        Assert.True(File.Exists(file), $"cloud-init's schema is not at {file} (apt-get install cloud-init)");
        return file;
    }
}
