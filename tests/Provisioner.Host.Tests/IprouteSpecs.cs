using Provisioner.Host.Iproute;
using Provisioner.Host.Processes;
using Xunit;

namespace Provisioner.Host.Tests;

/// <summary>The one way to enter a namespace, write an ip batch and read <c>ip -j addr</c>.</summary>
public sealed class IprouteSpecs
{
    [Fact]
    public void A_command_in_a_namespace_is_ip_netns_exec_and_the_host_runs_it_as_it_is()
    {
        Assert.Equal(["ip", "netns", "exec", "nl-a", "nft", "list", "ruleset"], NetnsExec.Argv("nl-a", "nft", ["list", "ruleset"]));
        var (program, arguments) = NetnsExec.Wrap(null, "conntrack", ["-L"]);
        Assert.Equal("conntrack", program);
        Assert.Equal(["-L"], arguments);
        Assert.Equal("ip netns exec nl-a sh -c 'echo hi'", NetnsExec.Line("nl-a", "sh", "-c", "echo hi"));
    }

    [Fact]
    public void A_batch_is_one_line_per_command_and_refuses_an_argument_the_batch_reader_would_split()
    {
        Assert.Equal("link set eth0 up\naddr add 10.0.0.1/24 dev eth0\n",
            IpBatch.Script([["link", "set", "eth0", "up"], ["addr", "add", "10.0.0.1/24", "dev", "eth0"]]));
        Assert.Throws<ArgumentException>(() => IpBatch.Script([["link", "set", "eth0 up"]]));
        Assert.Throws<ArgumentException>(() => IpBatch.Line(["link", "set", "", "up"]));
        Assert.False(IpBatch.CanBatch(["addr", "add", "10.0.0.1/24", "dev", "eth0#x"]));
    }

    [Fact]
    public async Task The_parser_reads_what_ip_j_addr_prints_for_loopback()
    {
        var text = (await ProcessRunner.Default.RunAsync("ip", ["-j", "-d", "addr", "show", "dev", "lo"])).StandardOutput;

        var lo = Assert.Single(IpAddrJson.Parse(text));
        Assert.Equal("lo", lo.Name);
        Assert.True(lo.Mtu > 0);
        Assert.Contains(lo.Ipv4, a => a.Cidr == "127.0.0.1/8" && a.Label == "lo");
    }

    [Fact]
    public void The_parser_reads_a_vxlan_devices_kind_data_addresses_and_master()
    {
        const string json = """
            [{"ifindex":5,"ifname":"vxlan0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"master":"netlab0",
              "address":"aa:bb:cc:dd:ee:ff","linkinfo":{"info_kind":"vxlan","info_data":{"id":42,"local":"192.168.64.10","port":4789}},
              "addr_info":[{"family":"inet","local":"10.244.0.0","prefixlen":32,"label":"vxlan0"},{"family":"inet6","local":"fe80::1","prefixlen":64}]},
             {"ifindex":6,"ifname":"eth0","flags":["BROADCAST"],"mtu":1500}]
            """;

        var links = IpAddrJson.Parse(json);

        Assert.Equal(["vxlan0", "eth0"], links.Select(l => l.Name));
        var vxlan = links[0];
        Assert.True(vxlan.Up);
        Assert.Equal(("netlab0", "aa:bb:cc:dd:ee:ff", "vxlan", 42), (vxlan.Master, vxlan.HardwareAddress, vxlan.Kind, vxlan.KindData!.Value.GetProperty("id").GetInt32()));
        Assert.Equal(["10.244.0.0/32"], vxlan.Ipv4.Select(a => a.Cidr));
        Assert.False(links[1].Up);
        Assert.Empty(links[1].Ipv4);
        Assert.Empty(IpAddrJson.Parse(""));
    }

    [Fact]
    public void The_parser_reads_what_a_label_filter_prints_links_without_their_names()
    {
        // ip -j addr show dev lo label LABEL: only addr_info, empty when no address has the label
        var announced = IpAddrJson.Parse("""[{"addr_info":[{"family":"inet","local":"10.9.9.9","prefixlen":32,"scope":"global","label":"lo:x"}]}]""");
        var none = IpAddrJson.Parse("""[{"addr_info":[]}]""");

        Assert.Equal(["10.9.9.9"], announced.SelectMany(l => l.Ipv4).Where(a => a.Label == "lo:x").Select(a => a.Local));
        Assert.Empty(none.SelectMany(l => l.Ipv4));
    }
}
