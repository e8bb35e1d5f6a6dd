using Provisioner.Host.Processes;
using Xunit;

namespace Provisioner.Rendering.Tests;

/// <summary>Every rendered script of every golden stack passes shellcheck (all severities) and runs strict.</summary>
public class ShellcheckSpecs
{
    public static TheoryData<string, string, string> Scripts()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var c in Stacks.GoldenCases())
            foreach (var (node, files) in LabRenderer.RenderAll(Stacks.Plan(c)))
                foreach (var f in files.Where(f => f.RelativePath.EndsWith(".sh", StringComparison.Ordinal)))
                    data.Add(c, node, f.RelativePath);
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Every_script_passes_shellcheck(string goldenCase, string node, string script)
    {
        var content = Stacks.Rendered(Stacks.Plan(goldenCase), node, script).Content;

        var result = await ProcessRunner.Default.TryRunAsync("shellcheck", ["--shell=bash", "--severity=style", "-"], stdin: content);

        Assert.True(result.Succeeded, $"shellcheck on {goldenCase}/{node}/{script}:\n{result.StandardOutput}{result.StandardError}");
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Every_script_is_bash_with_errexit_nounset_and_pipefail(string goldenCase, string node, string script)
    {
        var lines = Stacks.Rendered(Stacks.Plan(goldenCase), node, script).Content.Split('\n');

        Assert.Equal("#!/usr/bin/env bash", lines[0]);
        Assert.Contains("set -euo pipefail", lines);
    }

    [Fact]
    public async Task Shellcheck_really_rejects_a_bad_script()
    {
        var result = await ProcessRunner.Default.TryRunAsync("shellcheck", ["--shell=bash", "-"], stdin: "#!/usr/bin/env bash\nrm -rf $1/*\n");
        Assert.False(result.Succeeded);
    }
}
