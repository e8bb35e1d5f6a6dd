using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Tests;

public sealed class ValidationSpecs
{
    [Fact]
    public void A_sound_table_has_no_problems() =>
        Assert.Empty(ServiceTableValidator.Validate(Samples.All, Samples.NodeA));

    [Fact]
    public void It_reports_every_problem_at_once_naming_the_service_and_the_field()
    {
        var table = new ServiceTable(
        [
            Samples.Web with { Name = "outside", ClusterIP = "10.200.0.1" },
            Samples.Web with { Name = "dup-port", ClusterIP = "10.96.0.20", Ports = [new("a", 80, 8080), new("b", 80, 8081)] },
            Samples.NodePortWeb with { Name = "low-np", ClusterIP = "10.96.0.21", Ports = [new("http", 80, 8080, NodePort: 80)] },
            Samples.NodePortWeb with { Name = "np-one", ClusterIP = "10.96.0.22", Ports = [new("http", 80, 8080, NodePort: 30500)] },
            Samples.NodePortWeb with { Name = "np-two", ClusterIP = "10.96.0.23", Ports = [new("http", 80, 8080, NodePort: 30500)] },
            Samples.Web with { Name = "bad-ep", ClusterIP = "10.96.0.24", Endpoints = [new("10.244.1.999")] },
            Samples.Web with { Name = "same-ip", ClusterIP = "10.96.0.24" },
        ]);

        var problems = ServiceTableValidator.Validate(table, Samples.NodeA);

        Assert.Contains(problems, p => p is { Service: "default/outside", Field: "clusterIP" } && p.Message.Contains("outside the service CIDR", StringComparison.Ordinal));
        Assert.Contains(problems, p => p is { Service: "default/dup-port", Field: "ports[1].port" } && p.Message.Contains("duplicate", StringComparison.Ordinal));
        Assert.Contains(problems, p => p is { Service: "default/low-np", Field: "ports[0].nodePort" } && p.Message.Contains("30000-32767", StringComparison.Ordinal));
        Assert.Contains(problems, p => p is { Service: "default/np-two", Field: "ports[0].nodePort" } && p.Message.Contains("default/np-one", StringComparison.Ordinal));
        Assert.Contains(problems, p => p is { Service: "default/bad-ep", Field: "endpoints[0].address" });
        Assert.Contains(problems, p => p is { Service: "default/same-ip", Field: "clusterIP" } && p.Message.Contains("already served by default/bad-ep", StringComparison.Ordinal));
        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public void The_exception_lists_every_problem_and_says_the_kernel_was_left_alone()
    {
        var table = new ServiceTable([Samples.Web with { ClusterIP = "10.200.0.1", Ports = [new("http", 70000, 8080)] }]);

        var error = Assert.Throws<InvalidServiceTableException>(() => ServiceTableValidator.ThrowIfInvalid(table, Samples.NodeA));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains("left as they were", error.Message, StringComparison.Ordinal);
        Assert.Contains("default/web: ports[0].port: 70000 is not a port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_a_node_context_it_cannot_compile_for()
    {
        var node = Samples.NodeA with { ServiceCidr = "10.96.0.1/12", NodeIPs = ["nope"], NodePortMin = 40000, NodePortMax = 30000 };

        var fields = ServiceTableValidator.Validate(ServiceTable.Empty, node).Select(p => p.Field).ToList();

        Assert.Equal(["nodeIPs", "nodePortRange", "serviceCidr"], fields.Order());
    }
}
