using System.Security.Cryptography;
using System.Text;
using Provisioner.Core.Planning;
using Provisioner.Rendering.Models;
using Provisioner.Rendering.Templates;

namespace Provisioner.Rendering;

/// <summary>
/// Renders, per node, exactly what that node receives: its cloud-init user-data, its kubeadm config, netlab-cni's
/// conflist and the scripts the build runs on it. Pure: the same plan always renders the same bytes.
/// </summary>
public static class LabRenderer
{
    /// <summary>Scripts every node gets, in the order they run.</summary>
    private static readonly string[] CommonScripts = [NodeFiles.WaitForCloudInit, NodeFiles.NodeIp, NodeFiles.InstallCni];
    private static readonly string[] ControlPlaneScripts = [NodeFiles.KubeadmInitScript, NodeFiles.PrintJoinCommand];
    private static readonly string[] WorkerScripts = [NodeFiles.KubeadmJoinScript];

    public static IReadOnlyList<RenderedFile> RenderNode(LabPlan plan, string nodeName, TemplateRenderer? templates = null, NodePaths? paths = null)
    {
        templates ??= TemplateRenderer.Embedded;
        var model = RenderModels.ForNode(plan, nodeName, paths);
        var p = model.Paths;
        var files = new List<RenderedFile>();

        var prepare = templates.Render(NodeFiles.ScriptTemplate(NodeFiles.PrepareNode), model);
        var nodeService = templates.Render(NodeFiles.NodeServiceTemplate, model);
        files.Add(new RenderedFile(NodeFiles.UserData,
            templates.Render(NodeFiles.UserDataTemplate, model,
                new Dictionary<string, object?> { ["prepare_node_script"] = prepare, ["node_service"] = nodeService }),
            RenderedFile.Readable, null, FileDelivery.LaunchUserData));
        files.Add(new RenderedFile(NodeFiles.Script(NodeFiles.PrepareNode), prepare, RenderedFile.Executable,
            p.Script(NodeFiles.PrepareNode), FileDelivery.InsideUserData));
        files.Add(new RenderedFile(NodeFiles.NodeService, nodeService, RenderedFile.Readable, p.NodeServiceUnit, FileDelivery.InsideUserData));

        var isCp = model.Node.IsControlPlane;
        files.Add(new RenderedFile(isCp ? NodeFiles.KubeadmInit : NodeFiles.KubeadmJoin,
            templates.Render(isCp ? NodeFiles.KubeadmInitTemplate : NodeFiles.KubeadmJoinTemplate, model),
            RenderedFile.Private, p.KubeadmConfig(isCp), FileDelivery.Transfer));

        files.Add(new RenderedFile(NodeFiles.Conflist, RenderConflist(RenderModels.Conflist(plan, nodeName, p), templates),
            RenderedFile.Readable, p.StagedConflist, FileDelivery.Transfer));

        foreach (var script in CommonScripts.Concat(isCp ? ControlPlaneScripts : WorkerScripts))
            files.Add(new RenderedFile(NodeFiles.Script(script), templates.Render(NodeFiles.ScriptTemplate(script), model),
                RenderedFile.Executable, p.Script(script), FileDelivery.Transfer));
        return files;
    }

    /// <summary>Every node's files, by node name, in the stack's node order.</summary>
    public static IReadOnlyList<(string Node, IReadOnlyList<RenderedFile> Files)> RenderAll(LabPlan plan, TemplateRenderer? templates = null) =>
        [.. plan.Lab.Nodes.Select(n => (n.Name, RenderNode(plan, n.Name, templates)))];

    /// <summary>netlab-cni's conflist from its model (templates/cni/10-netlab.conflist.sbn).</summary>
    public static string RenderConflist(ConflistModel model, TemplateRenderer? templates = null) =>
        (templates ?? TemplateRenderer.Embedded).Render(NodeFiles.ConflistTemplate, model);

    /// <summary>One hash over several files (path, mode and content), e.g. a step's trigger for all the files it installs.</summary>
    public static string Sha256Of(IEnumerable<RenderedFile> files)
    {
        var text = string.Join('\n', files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).Select(f => $"{f.RelativePath} {f.Sha256}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
