using Provisioner.Core.Config;
using Provisioner.Core.Config.Cache;
using Provisioner.Core.Planning;
using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Config;

/// <summary>A lab's key names exactly what it was read from: the same for a cache miss and hit of the same file, another
/// for other bytes, and none for a lab made or changed in code.</summary>
public sealed class LabIdentitySpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netlab-lab-identity-").FullName;
    private StackCache Cache => new(Path.Combine(_dir, "cache"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Stack(string yaml)
    {
        var path = Path.Combine(_dir, "Pulumi.test.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void I_get_the_same_key_for_a_stack_read_and_read_back_from_the_cache_and_another_for_an_edited_one()
    {
        var path = Stack(Stacks.Minimal);
        var miss = LabIdentity.Of(Cache.Load(path));
        var hit = LabIdentity.Of(Cache.Load(path));
        Assert.NotNull(miss);
        Assert.Equal(miss, hit);

        File.WriteAllText(path, Stacks.Minimal + "\n  netlab:image: \"22.04\"\n");
        Assert.NotEqual(miss, LabIdentity.Of(Cache.Load(path)));
    }

    [Fact]
    public void A_lab_made_or_changed_in_code_has_no_key_and_so_no_inputs()
    {
        var read = Cache.Load(Stack(Stacks.Minimal));
        Assert.Null(LabIdentity.Of(StackFile.Parse(Stacks.Minimal, "Pulumi.test.yaml")));
        Assert.Null(LabIdentity.Of(read with { Image = "22.04" }));
        Assert.Null(LabIdentity.Inputs(read with { Image = "22.04" }, "x"));
        Assert.NotEqual(LabIdentity.Inputs(read, "x"), LabIdentity.Inputs(read, "y"));
    }

    [Fact]
    public void The_plan_of_a_keyed_netns_lab_keeps_a_key_of_its_own_for_the_lab_it_plans()
    {
        var read = Cache.Load(Stack(Stacks.Minimal.Replace("config:\n", "config:\n  netlab:backend: netns\n", StringComparison.Ordinal)));
        var plan = LabPlan.For(read);
        Assert.NotSame(read, plan.Lab); // the DNS workloads added
        Assert.NotNull(LabIdentity.Of(plan.Lab));
        Assert.NotEqual(LabIdentity.Of(read), LabIdentity.Of(plan.Lab));
    }
}
