using Provisioner.Cni.Tests.Support;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>A real runtime: containerd + runc run a container with `ctr run --cni` on netlab-cni.</summary>
[Collection(PrivilegedCollection.Name)]
public sealed class ContainerdSpecs
{
    [PrivilegedFact]
    public async Task Containerd_runs_a_container_that_gets_its_address_and_reaches_the_gateway()
    {
        using var lab = new ContainerdLab();
        // cniVersion 1.0.0 with cniVersions listing 1.1.0: containerd 1.6/1.7 (libcni < 1.2) reject 1.1.0 results,
        // newer runtimes pick 1.1.0 from cniVersions.
        lab.WriteConflist($$$"""
            {"cniVersion":"1.0.0","cniVersions":["1.0.0","1.1.0"],"name":"ctrd","plugins":[{"type":"netlab-cni","mode":"bridge",
             "bridge":"netlab0","isGateway":true,"hairpinMode":true,"mtu":1450,"logFile":"{{{lab.CniLog}}}",
             "ipam":{"subnet":"10.88.7.0/24","gateway":"10.88.7.1","routes":[{"dst":"0.0.0.0/0"}],"dataDir":"{{{lab.IpamDirectory}}}"}}]}
            """);

        var id = TestNames.Unique("netlab-ctr"); // runc's state of an earlier, killed run must not collide
        var run = await lab.RunContainerAsync(id, "10.88.7.1");

        Assert.True(run.Succeeded, $"ctr run failed ({run.ExitCode}): {run.StandardError}\n{run.StandardOutput}\ncontainerd: {lab.ContainerdLog}");
        Assert.Matches(@"inet 10\.88\.7\.\d+/24", run.StandardOutput);
        Assert.Contains("mtu 1450", run.StandardOutput);
        Assert.Contains("default via 10.88.7.1 dev eth0", run.StandardOutput);
        Assert.Contains("1 packets received", run.StandardOutput);
        var log = File.ReadAllText(lab.CniLog);
        Assert.Contains($"ADD netlab-{id}/eth0", log);
        Assert.Contains($"DEL netlab-{id}/eth0", log);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(lab.IpamDirectory, "ctrd")), f => char.IsDigit(Path.GetFileName(f)[0])); // DEL released it
    }
}
