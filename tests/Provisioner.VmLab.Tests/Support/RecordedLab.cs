using System.Net;
using System.Runtime.Versioning;
using Provisioner.Core.Config;
using Provisioner.Core.Planning;
using Provisioner.Deploy;
using Provisioner.Deploy.Multipass;
using Provisioner.Host.Processes;
using Provisioner.Multipass;
using Provisioner.Testing;
using Provisioner.VmLab.Cluster;
using Provisioner.VmLab.Verify;

namespace Provisioner.VmLab.Tests.Support;

/// <summary>
/// The example stack's VM lab (Pulumi.dev.yaml: cp1, worker1, worker2 at 192.168.64.5-7; six pods; four services)
/// as recorded answers of a healthy lab: every ping answered, every pod answering <c>/hostname</c> with its name,
/// CoreDNS resolving. Tests break one answer and look at what verify says.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class RecordedLab : IDisposable
{
    /// <param name="projectRoot">Where the stack file and <c>.netlab/dev/kubeconfig</c> are (default: the tools' folder).</param>
    /// <param name="nodeNetwork">The VMs' network as Multipass reports it: tests that send real traffic use loopback's.</param>
    public RecordedLab(string? projectRoot = null, string nodeNetwork = "192.168.64.")
    {
        _nodeNetwork = nodeNetwork;
        var deployment = DeploymentPlanner.For(LabPlan.For(StackFile.Load(RepoPaths.Of("Pulumi.dev.yaml"))),
            new DeployOptions { StackName = "dev", SourceVersion = "test" }, RenderedNodeFiles.Instance, NodeComponents.Instance);
        Target = VmLabTarget.From(deployment, projectRoot ?? Tools.Folder);
        Kubectl = new Kubectl(ProcessRunner.Default, Target.Kubeconfig, Tools.Kubectl);
        RecordHealthy();
    }

    public ReplayTools Tools { get; } = new();

    public VmLabTarget Target { get; }

    public Kubectl Kubectl { get; }

    public FakeHostHttp Host { get; } = new();

    public VmProbes Probes => new(ProcessRunner.Default, Kubectl, Host, Tools.Multipass);

    private readonly string _nodeNetwork;

    public IPAddress NodeAddress(string node) => IPAddress.Parse(_nodeNetwork + node switch { "cp1" => "5", "worker1" => "6", _ => "7" });

    public static readonly IReadOnlyDictionary<string, string> PodAddresses = new Dictionary<string, string>
    {
        ["web-1"] = "10.244.1.2", ["web-2"] = "10.244.2.2", ["web-3"] = "10.244.0.2", ["api-1"] = "10.244.1.3", ["api-2"] = "10.244.2.3", ["client"] = "10.244.0.3",
    };

    public LabPlan Plan => Target.Plan;

    public IPAddress ClusterIp(string service) => Plan.Addresses.Services.Single(s => s.Spec.Name == service).ClusterIP!;

    public void Pods(string fixture) => PodsJson(Fixtures.Read(fixture));

    /// <summary>What <c>kubectl get pods</c> of the lab's pods (in every namespace) answers.</summary>
    public void PodsJson(string json) =>
        Tools.On("kubectl", ["--kubeconfig", Target.Kubeconfig, "get", "pods", "--all-namespaces", "--selector", WorkloadLabels.Selector("dev"), "--output", "json"], json);

    public void VmPing(string fromVm, IPAddress target, string fixture, int exitCode = 0) =>
        Tools.On("multipass", MultipassDriver.ExecArguments(fromVm, VmProbes.PingCommand(target)), Fixtures.Read(fixture), exitCode: exitCode);

    public void PodPing(string pod, IPAddress target, string fixture, int exitCode = 0) =>
        Tools.On("kubectl", Kubectl.ExecArguments(pod, "default", VmProbes.PingCommand(target)), Fixtures.Read(fixture), exitCode: exitCode);

    public void PodHttp(string pod, IPAddress target, int port, string answer, string stderr = "", int exitCode = 0) =>
        Tools.On("kubectl", Kubectl.ExecArguments(pod, "default", VmProbes.HttpCommand(target, port, VmLabVerifier.NamePath)), answer, stderr, exitCode);

    public void PodLookup(string pod, string name, string stdout, int exitCode = 0) =>
        Tools.On("kubectl", Kubectl.ExecArguments(pod, "default", ["nslookup", name]), stdout, exitCode: exitCode);

    private void RecordHealthy()
    {
        foreach (var node in Target.Nodes)
            Tools.On("multipass", MultipassDriver.InfoArguments(node.Vm),
                Fixtures.Read($"multipass-info-{node.Vm}.json").Replace("192.168.64.", _nodeNetwork, StringComparison.Ordinal));
        foreach (var (resource, ns, selector) in new[] { ("nodes", (string?)null, (string?)null), ("services", null, WorkloadLabels.Selector("dev")), ("endpointslices", null, null) })
        {
            Tools.On("kubectl", ["--kubeconfig", Target.Kubeconfig, "get", resource, "--all-namespaces", .. selector is null ? [] : new[] { "--selector", selector }, "--output", "json"],
                Fixtures.Read($"kubectl-get-{resource}.json"));
        }
        Pods("kubectl-get-pods.json");
        VmPing("dev-cp1", NodeAddress("worker1"), "ping-iputils-answered.txt");
        VmPing("dev-cp1", NodeAddress("worker2"), "ping-iputils-answered.txt");
        foreach (var pod in Plan.Lab.Pods)
        {
            PodPing(pod.Name, Plan.Addresses.Node(pod.Node).Gateway, "ping-busybox-answered.txt");
            foreach (var other in Plan.Lab.Pods)
                PodHttp(pod.Name, IPAddress.Parse(PodAddresses[other.Name]), other.Port, other.Name);
        }
        PodHttp("web-1", ClusterIp("web"), 80, "web-2");
        PodHttp("web-1", ClusterIp("api"), 8080, "api-1");
        PodHttp("web-1", ClusterIp("web-local"), 80, "web-3");
        PodHttp("web-1", ClusterIp("web-lb"), 80, "web-1");
        foreach (var node in Target.Nodes)
        {
            Host.Answer(NodeAddress(node.Name), 30080, node.Name == "worker1" ? "api-1" : "api-2");
            Host.Answer(NodeAddress(node.Name), NodePort("web-local"), Plan.Lab.Pods.First(p => p.Node == node.Name && p.Labels["app"] == "web").Name);
            Host.Answer(NodeAddress(node.Name), NodePort("web-lb"), "web-2");
        }
        Tools.On("multipass", MultipassDriver.ExecArguments("dev-worker1", ["ip", "-4", "route", "show", "default"]), Fixtures.Read("ip-route-default.txt"));
        PodPing("web-1", IPAddress.Parse("192.168.64.1"), "ping-busybox-answered.txt");
        PodLookup("web-1", "kubernetes.default", Fixtures.Read("nslookup-bind-kubernetes.txt"));
        PodLookup("web-1", "web.default", Fixtures.Read("nslookup-bind-kubernetes.txt")
            .Replace("kubernetes.default", "web.default", StringComparison.Ordinal).Replace("10.96.0.1\n", $"{ClusterIp("web")}\n", StringComparison.Ordinal));
    }

    public int NodePort(string service) => Plan.Addresses.Services.Single(s => s.Spec.Name == service).Ports[0].NodePort;

    public void Dispose() => Tools.Dispose();
}

/// <summary>This machine's HTTP to the VMs, answered from a table (nothing leaves the test).</summary>
public sealed class FakeHostHttp : IHostHttp
{
    private readonly Dictionary<(string, int), string?> _answers = [];

    public void Answer(IPAddress address, int port, string? body) => _answers[(address.ToString(), port)] = body;

    public Task<(string? Body, string? Error)> GetAsync(IPAddress address, int port, string path, CancellationToken ct = default) =>
        Task.FromResult(_answers.TryGetValue((address.ToString(), port), out var body) && body is not null
            ? ((string?)body, (string?)null)
            : (null, "connection refused (nothing listening, or a REJECT rule)"));
}
