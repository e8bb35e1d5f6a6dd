using System.Collections.Immutable;
using System.Runtime.Versioning;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using Provisioner.Deploy.Multipass;
using Provisioner.Host.Processes;
using Xunit;

namespace Provisioner.Deploy.Tests;

public sealed class WorkloadStepSpecs
{
    private static CommandStep StepOf(LabConfig lab) => Labs.Multipass(lab: lab).Step(WorkloadSteps.Id);

    private static CommandStep Example => StepOf(Labs.Example);

    private static string[] ChangedKeys(CommandStep before, CommandStep after) =>
        [.. before.Triggers.Keys.Union(after.Triggers.Keys).Where(k => before.Triggers.GetValueOrDefault(k) != after.Triggers.GetValueOrDefault(k)).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_preview_shows_one_readable_line_per_pod_and_per_service()
    {
        var triggers = Example.Triggers;

        Assert.Equal("pod web-2 on worker2 (dev-worker2): agnhost netexec :8080, labels app=web", triggers["pod.web-2"]);
        var api = Labs.Multipass().Plan.Addresses.Services.Single(s => s.Spec.Name == "api").ClusterIP;
        Assert.Equal($"service default/api NodePort {api} 8080->8080/TCP:30080 selector app=api affinity=ClientIP(10800s)", triggers["service.default/api"]);
        Assert.Equal(6 + 4, triggers.Keys.Count(k => k.StartsWith("pod.", StringComparison.Ordinal) || k.StartsWith("service.", StringComparison.Ordinal)));
        Assert.Equal(WorkloadManifest.AgnhostImage, triggers["image"]);
    }

    [Fact]
    public void Moving_a_pod_changes_only_that_pods_trigger()
    {
        var moved = Labs.Example with { Pods = [.. Labs.Example.Pods.Select(p => p.Name == "web-2" ? p with { Node = "cp1" } : p)] };

        Assert.Equal(["pod.web-2"], ChangedKeys(Example, StepOf(moved)));
        Assert.Equal(ChangeMode.UpdateInPlace, Example.OnChange); // applied again, not replaced: the other objects stay
        Assert.Equal("NETLAB_TRIGGER_POD_WEB_2", Assert.Single(ChangedKeysOf(Example.TriggerVariables, StepOf(moved).TriggerVariables)));
    }

    [Fact]
    public void Changing_a_services_affinity_or_adding_one_changes_only_that_services_trigger()
    {
        var services = Labs.Example.Services;
        var noAffinity = Labs.Example with { Services = [.. services.Select(s => s.Name == "api" ? s with { SessionAffinity = SessionAffinity.None } : s)] };
        var added = Labs.Example with { Services = services.Add(services[0] with { Name = "web2" }) };

        Assert.Equal(["service.default/api"], ChangedKeys(Example, StepOf(noAffinity)));
        Assert.Equal(["service.default/web2"], ChangedKeys(Example, StepOf(added)));
    }

    [Fact]
    public void It_prunes_what_is_no_longer_in_the_manifest_and_keeps_what_is()
    {
        var fewer = Labs.Example with { Pods = Labs.Example.Pods.RemoveAt(0) };
        var before = WorkloadManifest.Objects(LabPlan.For(Labs.Example));
        var removed = before.Single(o => o.Key == "pod.web-1").SpecHash;

        var prune = StepOf(fewer).Create.Split(" && ")[0];
        Assert.StartsWith("multipass exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=60s delete pods,services,networkpolicies.networking.k8s.io " +
            "--all-namespaces --selector 'app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev,netlab.io/spec notin (", prune, StringComparison.Ordinal);
        Assert.DoesNotContain(removed, prune, StringComparison.Ordinal);
        Assert.All(before.Where(o => o.Key != "pod.web-1"), o => Assert.Contains(o.SpecHash, prune, StringComparison.Ordinal));
    }

    [Fact]
    public void Its_delete_removes_exactly_the_labs_objects_and_namespaces_whatever_the_stack_says_later()
    {
        Assert.Equal("if multipass info dev-cp1 --format json </dev/null >/dev/null 2>&1; then multipass exec dev-cp1 -- sudo kubectl " +
            "--kubeconfig /etc/kubernetes/admin.conf --request-timeout=60s delete pods,services,networkpolicies.networking.k8s.io,namespaces --all-namespaces " +
            "--selector app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev --ignore-not-found --wait=true </dev/null; fi", Example.Delete);
        Assert.Equal(Example.Delete, StepOf(Labs.Example with { Pods = [], Services = [] }).Delete);
        Assert.Equal(Example.Delete, StepOf(InTeamA).Delete);
    }

    /// <summary>The example with pod web-2 and service web in namespace team-a (labelled), service api and its pods in team-b.</summary>
    private static LabConfig InTeamA => Labs.Example with
    {
        Pods = [.. Labs.Example.Pods.Select(p => p.Name == "web-2" ? p with { Namespace = "team-a" } : p.Name.StartsWith("api", StringComparison.Ordinal) ? p with { Namespace = "team-b" } : p)],
        Services = [.. Labs.Example.Services.Select(s => s.Name switch { "web" => s with { Namespace = "team-a" }, "api" => s with { Namespace = "team-b" }, _ => s })],
        Namespaces = [new NamespaceSpec { Name = "team-a", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("team", "a") }],
    };

    [Fact]
    public void Pods_and_services_outside_default_get_their_namespaces_applied_first_and_a_preview_names_them()
    {
        var step = StepOf(InTeamA);
        var commands = step.Create.Split(" && ");

        Assert.Equal("pod team-a/web-2 on worker2 (dev-worker2): agnhost netexec :8080, labels app=web", step.Triggers["pod.web-2"]);
        Assert.Equal("namespace team-a (the lab's), labels team=a", step.Triggers["namespace.team-a"]);
        Assert.Equal("namespace team-b (the lab's), no labels", step.Triggers["namespace.team-b"]);
        Assert.StartsWith("service team-a/web ClusterIP", step.Triggers["service.team-a/web"], StringComparison.Ordinal);
        Assert.Equal([".netlab/dev/namespaces.yaml", ".netlab/dev/workloads.yaml"], step.LocalFiles.Select(f => f.Path));
        Assert.Equal([
            "delete pods,services,networkpolicies.networking.k8s.io --all-namespaces",
            "delete namespaces --selector 'app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev,kubernetes.io/metadata.name notin (team-a,team-b)' --ignore-not-found --wait=true",
            "apply --server-side --field-manager=netlab --force-conflicts -f - < .netlab/dev/namespaces.yaml",
            "wait --namespace team-a --for=create serviceaccount/default --timeout=60s",
            "wait --namespace team-b --for=create serviceaccount/default --timeout=60s",
            "apply --server-side --field-manager=netlab --force-conflicts -f - < .netlab/dev/workloads.yaml",
            "wait --all-namespaces --for=condition=Ready pods --selector app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev --timeout=300s",
        ], commands.Select(Kubectl).ToArray());
        Assert.Contains("name: team-a", step.LocalFiles[0].Content, StringComparison.Ordinal);
        Assert.DoesNotContain("kind: Namespace", step.LocalFiles[1].Content, StringComparison.Ordinal);
    }

    [Fact]
    public void The_step_dump_shows_the_namespaces_and_the_pods_in_them()
    {
        var listing = StepListing.Write(Labs.Multipass(lab: InTeamA));

        Assert.Contains("NETLAB_TRIGGER_NAMESPACE_TEAM_A=namespace team-a (the lab's), labels team=a\n", listing, StringComparison.Ordinal);
        Assert.Contains("NETLAB_TRIGGER_POD_API_1=pod team-b/api-1 on worker1", listing, StringComparison.Ordinal);
        Assert.Contains("in their namespaces (2 of them the lab's)", listing, StringComparison.Ordinal);
        Assert.Contains("--request-timeout=60s apply --server-side --field-manager=netlab --force-conflicts -f - < .netlab/dev/namespaces.yaml &&", listing, StringComparison.Ordinal);
    }

    [Fact]
    public void A_namespace_the_stack_no_longer_names_is_pruned_by_name_and_a_changed_label_recreates_nothing()
    {
        var relabelled = InTeamA with { Namespaces = [new NamespaceSpec { Name = "team-a", Labels = ImmutableSortedDictionary<string, string>.Empty.Add("team", "z") }] };

        Assert.Equal(["namespace.team-a"], ChangedKeys(StepOf(InTeamA), StepOf(relabelled)));
        Assert.Equal(StepOf(InTeamA).Create.Split(" && ")[..2], StepOf(relabelled).Create.Split(" && ")[..2]); // same prunes: nothing deleted
        Assert.Equal("delete namespaces --selector app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev --ignore-not-found --wait=true",
            Kubectl(Example.Create.Split(" && ")[1]));
    }

    /// <summary>A command of the step after <c>multipass exec VM -- sudo kubectl --kubeconfig ... --request-timeout=60s</c>, without its stdin redirect.</summary>
    private static string Kubectl(string command)
    {
        const string prefix = "multipass exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=60s ";
        Assert.StartsWith(prefix, command, StringComparison.Ordinal);
        var rest = command[prefix.Length..];
        return rest.StartsWith("delete pods", StringComparison.Ordinal) ? rest[..rest.IndexOf(" --selector", StringComparison.Ordinal)] // its spec hashes vary
            : rest.EndsWith(" </dev/null", StringComparison.Ordinal) ? rest[..^" </dev/null".Length] : rest;
    }

    [Fact]
    public void It_runs_after_the_cluster_and_its_networking_and_applies_the_manifest_from_stdin()
    {
        var step = Example;
        Assert.Contains(LabPlan.ControlPlaneId, step.DependsOn);
        Assert.Contains(LabPlan.JoinId("worker2"), step.DependsOn);
        Assert.Contains(LabPlan.CniId("worker1"), step.DependsOn);
        Assert.Contains(LabPlan.ServiceRulesId("cp1"), step.DependsOn);
        var manifest = Assert.Single(step.LocalFiles);
        Assert.Equal(".netlab/dev/workloads.yaml", manifest.Path);

        var commands = step.Create.Split(" && ");
        Assert.Equal("multipass exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=60s apply --server-side " +
            "--field-manager=netlab --force-conflicts -f - < .netlab/dev/workloads.yaml", commands[2]);
        Assert.Equal("multipass exec dev-cp1 -- sudo kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=60s wait --all-namespaces " +
            "--for=condition=Ready pods --selector app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev --timeout=300s </dev/null", commands[3]);
        Assert.Equal(step.Create, step.Update);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Running_it_with_a_fake_multipass_feeds_kubectl_the_manifest_and_the_prune_selector()
    {
        var step = Example;
        var calls = await RunWithFakeMultipassAsync(step);

        Assert.Equal(4, calls.Count);
        Assert.Contains(calls[0].Args, a => a.StartsWith("app.kubernetes.io/managed-by=netlab,netlab.io/lab=dev,netlab.io/spec notin (", StringComparison.Ordinal));
        Assert.Equal("", calls[0].Stdin);
        Assert.Contains("namespaces", calls[1].Args);
        Assert.Equal(step.LocalFiles[0].Content, calls[2].Stdin);
        Assert.Equal(["exec", "dev-cp1", "--"], calls[2].Args[..3]);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Running_it_for_namespaced_pods_applies_the_namespaces_before_the_objects_in_them()
    {
        var step = StepOf(InTeamA);
        var calls = await RunWithFakeMultipassAsync(step);

        Assert.Equal(7, calls.Count); // prune objects, prune namespaces, namespaces, 2 service accounts, objects, ready
        Assert.Equal(step.LocalFiles[0].Content, calls[2].Stdin);
        Assert.Contains("kind: Namespace", calls[2].Stdin, StringComparison.Ordinal);
        Assert.Equal(["team-a", "serviceaccount/default"], calls[3].Args.Where(a => a is "team-a" or "serviceaccount/default"));
        Assert.Equal(step.LocalFiles[1].Content, calls[5].Stdin);
        Assert.Contains("namespace: team-b", calls[5].Stdin, StringComparison.Ordinal);
        Assert.Contains("--all-namespaces", calls[6].Args);
    }

    /// <summary>Runs the step's create with a stand-in <c>multipass</c> that records each call's arguments and stdin.</summary>
    [UnsupportedOSPlatform("windows")]
    private static async Task<List<(string[] Args, string Stdin)>> RunWithFakeMultipassAsync(CommandStep step)
    {
        var folder = Directory.CreateTempSubdirectory("netlab-workloads-");
        try
        {
            var fake = Path.Combine(folder.FullName, "multipass");
            await File.WriteAllTextAsync(fake, $"""
                #!/bin/sh
                n=$(ls '{folder.FullName}' | grep -c '^call')
                printf '%s\n' "$@" > '{folder.FullName}/call'$n
                cat > '{folder.FullName}/stdin'$n
                """.ReplaceLineEndings("\n"));
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (var file in step.LocalFiles)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder.FullName, file.Path))!);
                await File.WriteAllTextAsync(Path.Combine(folder.FullName, file.Path), file.Content);
            }

            var result = await ProcessRunner.Default.TryRunAsync("/bin/sh", ["-c", $"cd {ShellQuote.Quote(folder.FullName)} && {step.Create}"],
                environment: new Dictionary<string, string?> { ["PATH"] = $"{folder.FullName}:/usr/bin:/bin" });

            Assert.True(result.Succeeded, result.StandardError);
            var calls = new List<(string[], string)>();
            for (var n = 0; File.Exists(Path.Combine(folder.FullName, $"call{n}")); n++)
                calls.Add((await File.ReadAllLinesAsync(Path.Combine(folder.FullName, $"call{n}")), await File.ReadAllTextAsync(Path.Combine(folder.FullName, $"stdin{n}"))));
            return calls;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static IEnumerable<string> ChangedKeysOf(ImmutableSortedDictionary<string, string> a, ImmutableSortedDictionary<string, string> b) =>
        a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k));
}
