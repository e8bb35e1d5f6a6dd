using Provisioner.Core.Tests.Support;

namespace Provisioner.Core.Tests.Validation;

public class PodValidationSpecs
{
    [Fact]
    public void It_refuses_duplicate_pod_names()
    {
        var lab = Labs.Valid().WithPod(1, p => p with { Name = "web-1" });
        Problems.Only(lab).Names("pods[1].name", "web-1").Says("is used by another pod").FixedBySetting("pods[1].name", "web-1b");
    }

    [Fact]
    public void It_refuses_a_pod_on_a_node_the_stack_does_not_have()
    {
        var lab = Labs.Valid().WithPod(2, p => p with { Node = "worker9" });
        Problems.Only(lab).Names("pods[2].node", "worker9").Says("is not a node of the stack (nodes: cp1, worker1, worker2)")
            .FixedBySetting("pods[2].node", "cp1");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-80)]
    [InlineData(65536)]
    public void It_refuses_a_pod_port_that_is_not_a_port(int port)
    {
        var lab = Labs.Valid().WithPod(0, p => p with { Port = port });
        Problems.Only(lab).Names("pods[0].port", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Says("must be a port from 1 to 65535").FixedBySetting("pods[0].port", "8080");
    }

    [Theory]
    [InlineData("Web-1")]
    [InlineData("web_1")]
    [InlineData("a-pod-name-longer-than-thirty-c")]
    public void It_refuses_a_pod_name_that_cannot_name_a_namespace(string name)
    {
        var lab = Labs.Valid().WithPod(0, p => p with { Name = name });
        Problems.Only(lab).Names("pods[0].name", name).Says("must be 1-30 characters").FixedBySetting("pods[0].name", "web-1");
    }
}
