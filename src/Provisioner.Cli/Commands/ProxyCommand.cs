using System.CommandLine;
using Provisioner.Proxy;
using Provisioner.Proxy.Config;
using Provisioner.Proxy.Health;
using Provisioner.Proxy.Rules;
using Provisioner.ServiceRules.Applying;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab proxy</c>: netlab-proxy, netlab's kube-proxy, as a subcommand of the netlab binary every node already
/// has (one self-contained file to ship and version). Its flags are kube-proxy's where they mean the same.
/// </summary>
public static class ProxyCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<FileInfo?>("--kubeconfig") { Description = "Kubeconfig of the netlab-proxy ServiceAccount (default: in-cluster)" };
        var hostname = new Option<string>("--hostname-override")
        {
            Description = "This node's name, as its Node object and EndpointSlices' nodeName spell it (default: the host name)",
            DefaultValueFactory = _ => Environment.MachineName.ToLowerInvariant(),
        };
        var healthz = new Option<string>("--healthz-bind-address") { Description = "IP:PORT for /healthz and /livez", DefaultValueFactory = _ => ProxyOptions.DefaultHealthzBindAddress };
        var metrics = new Option<string>("--metrics-bind-address") { Description = "IP:PORT for /metrics (Prometheus)", DefaultValueFactory = _ => ProxyOptions.DefaultMetricsBindAddress };
        var mode = new Option<string>("--proxy-mode") { Description = "The rule backend", DefaultValueFactory = _ => "iptables", HelpName = "iptables|nftables" };
        mode.AcceptOnlyFromAmong("iptables", "nftables");
        var config = new Option<FileInfo>("--config") { Required = true, Description = "YAML with clusterCIDR, serviceCIDR, nodePortRange, masqueradeAll, syncPeriod, minSyncPeriod" };
        var netns = new Option<string?>("--netns") { Description = "Program the rules of this network namespace instead of the host's (tests, the netns lab)" };
        var cleanup = new Option<bool>("--cleanup") { Description = "Delete netlab's service and NetworkPolicy rules and exit (as kube-proxy --cleanup)" };
        var command = new Command("proxy", "Run netlab-proxy: watch Services, EndpointSlices and Nodes and program this node's Service rules")
        {
            kubeconfig, hostname, healthz, metrics, mode, config, netns, cleanup,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var output = CliOutput.For(parseResult);
            return await CommandErrors.UntilStoppedAsync(output, async () =>
            {
                var options = new ProxyOptions
                {
                    Kubeconfig = parseResult.GetValue(kubeconfig)?.FullName,
                    HostnameOverride = parseResult.GetRequiredValue(hostname),
                    HealthzBindAddress = BindAddress(parseResult.GetRequiredValue(healthz), "--healthz-bind-address"),
                    MetricsBindAddress = BindAddress(parseResult.GetRequiredValue(metrics), "--metrics-bind-address"),
                    ProxyMode = parseResult.GetRequiredValue(mode) == "nftables" ? RuleBackend.Nftables : RuleBackend.Iptables,
                    Config = ProxyConfigFile.Load(parseResult.GetRequiredValue(config).FullName),
                    Netns = parseResult.GetValue(netns),
                };
                if (parseResult.GetValue(cleanup))
                {
                    using var engine = new ServiceRulesEngine(options.ProxyMode, options.Netns);
                    var removed = await new EngineRuleSink(engine).RemoveAsync(ct);
                    var policyRules = await Provisioner.Proxy.Policy.PolicyEnforcement.RemoveAsync(options, ct);
                    await new Provisioner.Host.Announcing.L2Announcer(Provisioner.Host.Processes.ProcessRunner.Default, options.Netns,
                        Provisioner.Proxy.LoadBalancing.LoadBalancerController.Label).RemoveAsync(ct);
                    output.Line(removed.Summary);
                    output.Line("NetworkPolicy rules: " + policyRules.Summary);
                    return ExitCodes.Ok;
                }
                await new NetlabProxy(options, parseResult.InvocationConfiguration.Error).RunAsync(ct);
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    private static string BindAddress(string value, string option)
    {
        try
        {
            _ = HttpEndpoints.Prefix(value);
            return value;
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{option} '{value}' is not IP:PORT; write e.g. {option} 0.0.0.0:10256");
        }
    }
}
