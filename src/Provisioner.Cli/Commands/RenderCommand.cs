using System.CommandLine;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Deploy;
using Provisioner.Rendering;
using Provisioner.Rendering.Templates;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab render [--stack FILE] --out DIR</c>: writes, per node, exactly what that node receives (user-data, kubeadm
/// config, CNI conflist, scripts), and the deployment's steps (<see cref="StepListing"/>: what <c>pulumi up</c> would
/// run), so a learner can read the lab before building it.
/// </summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var stack = StackOptions.Stack();
        var outDir = new Option<DirectoryInfo>("--out", "-o")
        {
            Description = "Directory to write into: one folder per node",
            Required = true,
            HelpName = "DIR",
        };
        var templates = new Option<DirectoryInfo?>("--templates")
        {
            Description = "Use templates from this directory where present (default: the built-in templates)",
            HelpName = "DIR",
        };
        var command = new Command("render", "Write what each node would receive (cloud-init, kubeadm, CNI, scripts) without building anything")
        {
            stack, outDir, templates,
        };
        command.SetAction(parseResult => Run(CliOutput.For(parseResult), parseResult.GetRequiredValue(stack),
            parseResult.GetRequiredValue(outDir), parseResult.GetValue(templates)));
        return command;
    }

    private static int Run(CliOutput output, FileInfo stackFile, DirectoryInfo outDir, DirectoryInfo? templateDir)
    {
        try
        {
            var plan = LabPlan.For(StackFile.Load(stackFile.FullName));
            var renderer = templateDir is null ? TemplateRenderer.Embedded : TemplateRenderer.WithOverride(templateDir.FullName);
            var rendered = LabRenderer.RenderAll(plan, renderer); // everything renders before anything is written
            foreach (var (node, files) in rendered)
            {
                foreach (var file in files)
                    Write(Path.Combine(outDir.FullName, node, file.RelativePath), file);
                File.WriteAllLines(Path.Combine(outDir.FullName, node, "SHA256SUMS"), files.Select(f => $"{f.Sha256}  {f.RelativePath}"));
                output.Line($"{node}: {files.Count} files in {Path.Combine(outDir.FullName, node)}");
                foreach (var file in files)
                    output.Line($"  {file.RelativePath,-34} {file.OctalMode}  {Describe(file)}");
            }
            var steps = StepListing.Write(DeploymentPlanner.For(plan, DeployOptionsFor(stackFile), RenderedNodeFiles.Instance, NodeComponents.Instance));
            Directory.CreateDirectory(outDir.FullName);
            File.WriteAllText(Path.Combine(outDir.FullName, StepListing.FileName), steps);
            output.Line($"{StepListing.FileName}: the steps 'pulumi up' would run, in order, in {Path.Combine(outDir.FullName, StepListing.FileName)}");
            output.Success($"rendered lab '{plan.Lab.Name}' ({rendered.Count} nodes) into {outDir.FullName}");
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            return CommandErrors.Report(output, e);
        }
    }

    /// <summary>The stack of <c>Pulumi.&lt;stack&gt;.yaml</c>; the sources' fingerprint when the file is in a checkout.</summary>
    private static DeployOptions DeployOptionsFor(FileInfo stackFile)
    {
        var name = stackFile.Name;
        var stack = name.StartsWith("Pulumi.", StringComparison.Ordinal) && name.EndsWith(".yaml", StringComparison.Ordinal) && name.Length > 12
            ? name["Pulumi.".Length..^".yaml".Length]
            : Path.GetFileNameWithoutExtension(name);
        string version;
        try
        {
            version = SourceFingerprint.Compute(SourceFingerprint.FindProjectRoot(stackFile.DirectoryName ?? "."));
        }
        catch (InvalidOperationException)
        {
            version = "(the sources of the checkout pulumi runs in)";
        }
        return new DeployOptions { StackName = stack, SourceVersion = version, HostIsWindows = false };
    }

    private static string Describe(RenderedFile file) => file.Delivery switch
    {
        FileDelivery.LaunchUserData => "multipass launch --cloud-init",
        FileDelivery.InsideUserData => $"{file.NodePath} (inside user-data)",
        _ => $"{file.NodePath} (multipass transfer)",
    };

    private static void Write(string path, RenderedFile file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, file.Content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, file.Mode);
    }
}
