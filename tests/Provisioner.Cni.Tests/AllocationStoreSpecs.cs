using System.Net;
using Provisioner.Cni.Attach;
using Provisioner.Cni.Ipam;
using Provisioner.Cni.Skel;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>The IPAM store on a temporary directory: files, round-robin, exclusions, exhaustion, idempotency.</summary>
public sealed class AllocationStoreSpecs : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("netlab-ipam-spec-").FullName;

    [Fact]
    public void I_can_allocate_one_file_per_address_holding_container_and_interface()
    {
        var range = Range("""{"subnet":"10.1.0.0/24"}""");
        using var store = AllocationStore.Open(_dataDir, "net");

        var first = store.Allocate(range, "c1", "eth0");
        var second = store.Allocate(range, "c2", "eth0");

        Assert.Equal("10.1.0.2", first.ToString()); // .1 is the gateway
        Assert.Equal("10.1.0.3", second.ToString());
        Assert.Equal("c1\neth0", File.ReadAllText(Path.Combine(_dataDir, "net", "10.1.0.2")));
        Assert.Equal("10.1.0.3", File.ReadAllText(Path.Combine(_dataDir, "net", AllocationStore.LastReservedFile)));
    }

    [Fact]
    public void It_hands_out_addresses_round_robin_so_a_released_one_is_not_reused_at_once()
    {
        var range = Range("""{"subnet":"10.1.0.0/29"}""");
        using var store = AllocationStore.Open(_dataDir, "net");
        var first = store.Allocate(range, "c1", "eth0");
        store.Release("c1", "eth0");

        var next = store.Allocate(range, "c2", "eth0");

        Assert.NotEqual(first, next);
    }

    [Fact]
    public void It_skips_the_gateway_reserved_and_allocated_addresses_and_stays_in_the_range()
    {
        var range = Range("""{"subnet":"10.1.0.0/24","gateway":"10.1.0.11","rangeStart":"10.1.0.10","rangeEnd":"10.1.0.14","reserved":["10.1.0.12"]}""");
        using var store = AllocationStore.Open(_dataDir, "net");

        var addresses = new[] { "a", "b", "c" }.Select(id => store.Allocate(range, id, "eth0").ToString()).ToList();

        Assert.Equal(["10.1.0.10", "10.1.0.13", "10.1.0.14"], addresses);
    }

    [Fact]
    public void An_exhausted_range_is_try_again_later_naming_the_subnet()
    {
        var range = Range("""{"subnet":"10.1.0.0/30"}""");
        using var store = AllocationStore.Open(_dataDir, "net");
        store.Allocate(range, "c1", "eth0");

        var error = Assert.Throws<CniException>(() => store.Allocate(range, "c2", "eth0"));

        Assert.Equal(CniErrorCode.TryAgainLater, error.Code);
        Assert.Contains("10.1.0.0/30", error.Message);
    }

    [Fact]
    public void A_retried_ADD_gets_the_address_it_already_holds()
    {
        var range = Range("""{"subnet":"10.1.0.0/24"}""");
        using var store = AllocationStore.Open(_dataDir, "net");

        var first = store.Allocate(range, "c1", "eth0");
        var again = store.Allocate(range, "c1", "eth0");

        Assert.Equal(first, again);
        Assert.Single(store.List());
    }

    [Fact]
    public void Release_frees_only_that_attachment_and_is_idempotent()
    {
        var range = Range("""{"subnet":"10.1.0.0/24"}""");
        using var store = AllocationStore.Open(_dataDir, "net");
        store.Allocate(range, "c1", "eth0");
        store.Allocate(range, "c1", "net1");

        Assert.Single(store.Release("c1", "eth0"));
        Assert.Empty(store.Release("c1", "eth0"));
        Assert.Equal("net1", Assert.Single(store.List()).IfName);
    }

    [Fact]
    public void It_reads_host_local_files_with_CRLF()
    {
        Directory.CreateDirectory(Path.Combine(_dataDir, "net"));
        File.WriteAllText(Path.Combine(_dataDir, "net", "10.1.0.9"), "c9\r\neth0");
        using var store = AllocationStore.Open(_dataDir, "net");

        Assert.Equal(new Allocation(IPAddress.Parse("10.1.0.9"), "c9", "eth0"), store.Find("c9", "eth0"));
    }

    [Fact]
    public void Opening_removes_temporary_files_a_killed_plugin_left()
    {
        Directory.CreateDirectory(Path.Combine(_dataDir, "net"));
        File.WriteAllText(Path.Combine(_dataDir, "net", ".tmp-999-10.1.0.2"), "half");

        using var store = AllocationStore.Open(_dataDir, "net");

        Assert.Empty(Directory.GetFiles(store.Directory, ".tmp-*"));
    }

    [Fact]
    public async Task A_second_store_waits_for_the_lock()
    {
        using var holder = AllocationStore.Open(_dataDir, "net");
        var opened = Task.Run(() => AllocationStore.Open(_dataDir, "net"));

        var first = await Task.WhenAny(opened, Task.Delay(300));
        Assert.NotSame(opened, first); // the second store must not get the lock while the first holds it
        holder.Dispose();
        using var second = await opened.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Host_veth_names_are_stable_short_and_distinct()
    {
        var name = HostVethName.For("net", "c1", "eth0");

        Assert.Equal(name, HostVethName.For("net", "c1", "eth0"));
        Assert.NotEqual(name, HostVethName.For("net", "c1", "eth1"));
        Assert.True(name.Length <= 15);
        Assert.StartsWith("nlc", name);
    }

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    private static Config.IpamConfig Range(string ipam) =>
        ConfigParserSpecs.Parse($$"""{"cniVersion":"1.1.0","name":"net","ipam":{{ipam}}}""").Ipam;
}
