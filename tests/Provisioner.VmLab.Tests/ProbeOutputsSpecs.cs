using System.Net;
using Provisioner.Host.Processes;
using Provisioner.VmLab.Cluster;
using Provisioner.VmLab.Tests.Support;
using Provisioner.VmLab.Verify;
using Xunit;

namespace Provisioner.VmLab.Tests;

public sealed class ProbeOutputsSpecs
{
    [Theory]
    [InlineData("ping-iputils-answered.txt", 0, true, "ping answered")]
    [InlineData("ping-busybox-answered.txt", 0, true, "ping answered")]
    [InlineData("ping-iputils-lost.txt", 1, false, "no ping answer (1 sent, 0 received)")]
    [InlineData("ping-busybox-lost.txt", 1, false, "no ping answer (1 sent, 0 received)")]
    public void I_can_tell_an_answered_ping_from_a_lost_one_in_iputils_and_busybox_output(string fixture, int exitCode, bool answered, string detail)
    {
        Assert.Equal((answered, detail), ProbeOutputs.Ping(new CommandResult(exitCode, Fixtures.Read(fixture), "")));
    }

    [Fact]
    public void A_ping_that_could_not_run_says_why()
    {
        Assert.Equal((false, "ping: sendto: Network unreachable"),
            ProbeOutputs.Ping(new CommandResult(1, "PING 192.168.64.1 (192.168.64.1): 56 data bytes\n", "ping: sendto: Network unreachable\n")));
        Assert.False(ProbeOutputs.Ping(new CommandResult(TimedRun.TimedOut, "", "'kubectl exec' gave no answer within 15 s")).Answered);
    }

    [Theory]
    [InlineData("nslookup-bind-kubernetes.txt")]
    [InlineData("nslookup-busybox-kubernetes.txt")]
    public void I_can_read_the_answer_of_nslookup_and_not_the_servers_own_address(string fixture)
    {
        var (addresses, error) = ProbeOutputs.Nslookup(new CommandResult(0, Fixtures.Read(fixture), ""));

        Assert.Null(error);
        Assert.Equal([IPAddress.Parse("10.96.0.1")], addresses.ToArray()); // not 10.96.0.10, the resolver's
    }

    [Theory]
    [InlineData("nslookup-bind-nxdomain.txt", "NXDOMAIN: no such name")]
    [InlineData("nslookup-bind-timeout.txt", "no DNS server answered")]
    public void A_failed_lookup_says_whether_the_name_is_unknown_or_no_server_answered(string fixture, string expected)
    {
        var (addresses, error) = ProbeOutputs.Nslookup(new CommandResult(1, Fixtures.Read(fixture), ""));

        Assert.Empty(addresses);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(0, "web-2\n", "", "web-2", null)]
    [InlineData(7, "", "curl-refused.stderr", null, "connection refused (nothing listening, or a REJECT rule)")]
    [InlineData(28, "", "curl-timeout.stderr", null, "no answer within the time limit (packets dropped or black-holed)")]
    public void I_can_read_curls_answer_or_its_failure_from_the_exit_code(int exitCode, string stdout, string stderrFixture, string? body, string? error)
    {
        var stderr = stderrFixture.Length == 0 ? "" : Fixtures.Read(stderrFixture);
        Assert.Equal((body, error), ProbeOutputs.Http(new CommandResult(exitCode, stdout, stderr)));
    }

    [Fact]
    public void I_can_find_the_vms_default_gateway()
    {
        Assert.Equal(IPAddress.Parse("192.168.64.1"), ProbeOutputs.DefaultGateway(Fixtures.Read("ip-route-default.txt")));
        Assert.Null(ProbeOutputs.DefaultGateway(""));
    }
}
