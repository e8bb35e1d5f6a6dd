using Provisioner.Netns.Pods;

namespace Provisioner.Netns;

/// <summary>Where the netns backend finds its programs and keeps its state.</summary>
public sealed record NetnsOptions
{
    /// <summary>The directory holding <c>netlab-cni</c> (CNI_PATH), as <c>/opt/cni/bin</c> is for a runtime.</summary>
    public required string CniPluginDirectory { get; init; }

    /// <summary>How to run netlab itself, for the pods' <c>netlab pod-server</c> processes.</summary>
    public IReadOnlyList<string> NetlabCommand { get; init; } = PodSupervisor.CurrentNetlab();

    public string StateRoot { get; init; } = LabLayout.DefaultStateRoot;

    /// <summary>The default plugin directory: next to the running netlab (out/bin), else where runtimes keep plugins.</summary>
    public static string DefaultCniPluginDirectory()
    {
        var here = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
        return File.Exists(Path.Combine(here, "netlab-cni")) ? here : "/opt/cni/bin";
    }
}
