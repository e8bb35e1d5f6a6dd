using Provisioner.Core.Config;
using Provisioner.Core.Tests.Support;
using Provisioner.Core.Validation;

namespace Provisioner.Core.Tests.Validation;

/// <summary>How infra/ combines what the reader and the validator say about Pulumi's config values.</summary>
public class ReadAndValidateSpecs
{
    [Fact]
    public void Reader_problems_come_first_and_hide_the_validators_complaints_about_their_fallbacks()
    {
        var (lab, read) = LabConfigReader.Read(key => key switch
        {
            "nodes" => """[{"name":"cp1","role":"control-plane","cpus":"two"},"oops",{"name":"BAD"}]""",
            "network" => """{"vni":0}""",
            _ => null,
        }, "lab");

        var problems = LabValidator.Validate(lab, read);

        Assert.Equal(["nodes[0].cpus", "nodes[1]"], read.Select(p => p.Key));
        Assert.Equal(["nodes[0].cpus", "nodes[1]", "nodes[2].name", "network.vni"], problems.Select(p => p.Key));
    }

    [Fact]
    public void Without_reader_problems_it_is_the_validators_list()
    {
        var lab = Labs.Valid().WithNetwork(n => n with { Vni = 0 });
        Assert.Equal(LabValidator.Validate(lab), LabValidator.Validate(lab, []));
    }

    [Fact]
    public void EnsureValid_returns_a_valid_lab_and_throws_with_every_problem_otherwise()
    {
        var lab = Labs.Valid();
        Assert.Same(lab, LabValidator.EnsureValid(lab));
        var e = Assert.Throws<LabConfigException>(() => LabValidator.EnsureValid(lab.WithNetwork(n => n with { Vni = 0, UnderlayMtu = 100 })));
        Assert.Equal(2, e.Problems.Count);
    }
}
