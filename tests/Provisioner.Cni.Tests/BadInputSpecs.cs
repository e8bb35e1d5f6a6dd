using System.Text.Json.Nodes;
using Provisioner.Cni.Tests.Support;
using Provisioner.Testing;
using Xunit;

namespace Provisioner.Cni.Tests;

/// <summary>
/// Every bad-input class, against both plugins: the spec error JSON on stdout, a non-zero exit, and the code each
/// plugin gives. The expected codes side by side are the documented differences (docs/cni.md).
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class BadInputSpecs
{
    /// <summary>A bad input: what to break, then the code netlab-cni and the reference answer (null: the reference accepts it).</summary>
    public sealed record BadInput(string Name, Action<Dictionary<string, string?>, JsonObject> Break, string? RawStdin, int NetlabCode, int? ReferenceCode, string NetlabMessage)
    {
        public override string ToString() => Name;
    }

    private static readonly BadInput[] Cases =
    [
        new("malformed JSON", (_, _) => { }, "{\"cniVersion\": ", 6, 6, "cannot be decoded"),
        new("empty stdin", (_, _) => { }, "", 6, 6, "no network configuration on stdin"),
        new("CNI_NETNS missing on ADD", (env, _) => env["CNI_NETNS"] = null, null, 4, 4, "CNI_NETNS"),
        new("CNI_IFNAME with a slash", (env, _) => env["CNI_IFNAME"] = "eth0/x", null, 4, 4, "CNI_IFNAME"),
        new("CNI_CONTAINERID starting with a dash", (env, _) => env["CNI_CONTAINERID"] = "-bad", null, 4, 4, "CNI_CONTAINERID"),
        new("CNI_PATH missing", (env, _) => env["CNI_PATH"] = null, null, 4, 4, "CNI_PATH"),
        new("unknown cniVersion", (_, conf) => conf["cniVersion"] = "9.9.9", null, 1, 1, "incompatible CNI versions"),
        new("network name missing", (_, conf) => conf.Remove("name"), null, 7, 7, "name is missing"),
        // The reference reports a bad CIDR as a generic error (999).
        new("subnet not a CIDR", (_, conf) => conf["ipam"]!["subnet"] = "10.77.0.0/33", null, 7, 999, "ipam.subnet"),
        // The reference accepts a gateway outside the subnet, allocates, and fails late at the route (999).
        new("gateway outside the subnet", (_, conf) => conf["ipam"]!["gateway"] = "10.78.0.1", null, 7, 999, "outside ipam.subnet"),
        // The reference reports a missing namespace as a generic error (999); the spec's 3 says "container unknown".
        new("CNI_NETNS that does not exist", (env, _) => env["CNI_NETNS"] = "/run/netns/nlc-does-not-exist", null, 3, 999, "does not exist"),
    ];

    public static TheoryData<string> CaseNames => new(Cases.Select(c => c.Name));

    [PrivilegedTheory]
    [MemberData(nameof(CaseNames))]
    public void Bad_input_gets_the_spec_error_from_both_plugins(string caseName)
    {
        var bad = Cases.Single(c => c.Name == caseName);
        using var lab = new CniLab();

        var netlab = Run(lab, Plugin.NetlabCni, bad);
        var reference = Run(lab, Plugin.Reference, bad);

        Assert.Equal(1, netlab.ExitCode);
        Assert.Equal(bad.NetlabCode, netlab.ErrorCode);
        Assert.Contains(bad.NetlabMessage, netlab.ErrorMessage);
        Assert.NotNull(netlab.Json!["cniVersion"]);
        if (bad.ReferenceCode is { } referenceCode)
            Assert.Equal(referenceCode, reference.ErrorCode);
        else
            Assert.True(reference.Succeeded, "the reference was expected to accept this: " + reference);
    }

    [PrivilegedFact]
    public void A_failed_ADD_leaves_nothing_behind()
    {
        using var lab = new CniLab();
        var pod = lab.NewPod();
        Assert.True(lab.Exec(pod, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other").Succeeded); // the name ADD wants is taken

        var added = lab.Run(Plugin.NetlabCni, "ADD", lab.Config(Plugin.NetlabCni), "c1", pod);

        Assert.False(added.Succeeded);
        Assert.Contains("already exists", added.ErrorMessage);
        Assert.Empty(lab.AllocationFiles());
        Assert.DoesNotContain("nlc", lab.Exec(lab.Node, "ip", "-o", "link").StandardOutput);
    }

    private static PluginRun Run(CniLab lab, Plugin plugin, BadInput bad)
    {
        var pod = lab.NewPod();
        var env = CniLab.Environment("ADD", "c1", pod);
        var config = lab.Config(plugin);
        bad.Break(env, config);
        return lab.RunAsync(plugin, "ADD", bad.RawStdin ?? config.ToJsonString(), env).GetAwaiter().GetResult();
    }
}
