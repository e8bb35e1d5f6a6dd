using Provisioner.VmLab.Status;
using Spectre.Console;

namespace Provisioner.Cli.Commands;

/// <summary><c>netlab status</c> of the VM lab, in the netns lab's three tables: nodes, pods, services with endpoints.</summary>
internal static class VmStatusOutput
{
    public static void Print(CliOutput output, VmLabStatus status)
    {
        var nodes = new Table().AddColumns("node", "role", "VM", "address", "pod subnet", "kubernetes");
        foreach (var n in status.Nodes)
        {
            nodes.AddRow(Esc(n.Node.Name), Core.Model.EnumNames.Of(n.Node.Role), Esc($"{n.Node.Vm} ({n.VmState})"), n.Address ?? "-",
                n.Kubernetes?.PodCidr ?? "-",
                n.Kubernetes is null ? "not registered" : $"{(n.Kubernetes.Ready ? "Ready" : "NotReady")} {n.Kubernetes.KubeletVersion}");
        }
        output.Out.Write(nodes);

        var pods = new Table().AddColumns("pod", "node", "address", "state");
        foreach (var p in status.Pods)
            pods.AddRow(Esc(p.Name), Esc(p.Node), p.Pod?.Address ?? "-", Esc(p.Pod?.Describe() ?? "(missing: not on the cluster)"));
        output.Out.Write(pods);

        var services = new Table().AddColumns("service", "type", "cluster IP", "ports", "endpoints");
        foreach (var s in status.Services)
        {
            var endpoints = s.Service is null ? "(missing: not on the cluster)"
                : s.Service.Type == "ExternalName" ? $"DNS only: CNAME {s.Service.ExternalName}"
                : s.Endpoints.IsEmpty ? "none (connections are refused)"
                : string.Join(", ", s.Endpoints.Select(e => $"{e.Pod ?? "?"} {e.Address}:{string.Join(",", e.Ports)}{(e.Ready ? "" : " (not ready)")}"));
            services.AddRow(Esc($"{s.Name}"), s.Service?.Type ?? "-", s.Service?.ClusterIP ?? "-", Esc(string.Join(" ", s.Service?.Ports ?? [])), Esc(endpoints));
        }
        output.Out.Write(services);
    }

    private static string Esc(string text) => Markup.Escape(text);
}
