using System.Text.RegularExpressions;
using Provisioner.Core.Config;
using Provisioner.Core.Model;
using Provisioner.Core.Planning;
using static Provisioner.Core.Config.ConfigKeys;

namespace Provisioner.Core.Validation;

public static partial class LabValidator
{
    /// <summary>A DNS-1123 label's longest length (a namespace, a hostname, one label of a domain).</summary>
    public const int MaxDnsLabelLength = 63;

    private static void CheckDns(List<ConfigProblem> problems, LabConfig lab)
    {
        var zone = lab.Network.ClusterDomain;
        if (!IsDnsSubdomain(zone))
            problems.Add(new ConfigProblem(NetworkKeys.Path(NetworkKeys.ClusterDomain), zone,
                "must be a DNS domain of lowercase labels (a-z, 0-9, '-', at most 63 characters each) joined by dots, without a trailing dot",
                ConfigKeys.SetCommand(NetworkKeys.Path(NetworkKeys.ClusterDomain), DefaultNetwork.ClusterDomain)));

        for (var i = 0; i < lab.Pods.Length; i++)
        {
            var pod = lab.Pods[i];
            var key = $"pods[{i}]";
            CheckDnsLabel(problems, $"{key}.{PodKeys.Namespace}", pod.Namespace, "default", "it becomes part of DNS names: name.NAMESPACE.svc.zone");
            if (pod.Hostname is { } hostname)
                CheckDnsLabel(problems, $"{key}.{PodKeys.Hostname}", hostname, "web-0", "it becomes the pod's DNS name under its subdomain");
            if (pod.Subdomain is { } subdomain)
            {
                CheckDnsLabel(problems, $"{key}.{PodKeys.Subdomain}", subdomain, "web", "it names the headless service the pod's DNS name lives under");
                if (!lab.Services.Any(s => s.Name == subdomain && s.Namespace == pod.Namespace && s.IsHeadless))
                    problems.Add(new ConfigProblem($"{key}.{PodKeys.Subdomain}", subdomain,
                        $"names no headless service of namespace {pod.Namespace}, so the pod gets no name hostname.{subdomain}.{pod.Namespace}.svc.{zone}",
                        $"add a service named {subdomain} with clusterIP: None in namespace {pod.Namespace}, or remove the subdomain"));
                if (pod.Hostname is null)
                    problems.Add(new ConfigProblem($"{key}.{PodKeys.Hostname}", null,
                        "is needed with a subdomain: the endpoint's DNS name is hostname.subdomain (Kubernetes names an endpoint only by its pod's hostname)",
                        ConfigKeys.SetCommand($"{key}.{PodKeys.Hostname}", pod.Name)));
            }
            if (ClusterDns.IsDnsPod(pod) || pod.Name == ClusterDns.PodName)
                problems.Add(new ConfigProblem($"{key}.{PodKeys.Name}", pod.Name, "is reserved for the lab's cluster DNS pod", ConfigKeys.SetCommand($"{key}.{PodKeys.Name}", pod.Name + "-app")));
        }

        for (var i = 0; i < lab.Services.Length; i++)
        {
            var service = lab.Services[i];
            var key = $"services[{i}]";
            CheckDnsLabel(problems, $"{key}.{ServiceKeys.Namespace}", service.Namespace, "default", "it becomes part of the service's DNS name");
            if (ClusterDns.IsDnsService(service))
                problems.Add(new ConfigProblem($"{key}.{ServiceKeys.Name}", service.Name, $"is reserved in namespace {ClusterDns.Namespace} for the cluster DNS service",
                    ConfigKeys.SetCommand($"{key}.{ServiceKeys.Name}", service.Name + "-app")));
            if (service.Type == ServiceType.ExternalName && !string.IsNullOrWhiteSpace(service.ExternalName) && !IsDnsSubdomain(service.ExternalName))
                problems.Add(new ConfigProblem($"{key}.{ServiceKeys.ExternalName}", service.ExternalName,
                    "must be a DNS name (lowercase labels joined by dots, no trailing dot): the service's name becomes a CNAME to it",
                    ConfigKeys.SetCommand($"{key}.{ServiceKeys.ExternalName}", "example.com")));
        }
    }

    private static void CheckDnsLabel(List<ConfigProblem> problems, string key, string value, string example, string why)
    {
        if (value.Length > MaxDnsLabelLength || !DnsLabelDigitsToo().IsMatch(value))
            problems.Add(new ConfigProblem(key, value,
                $"must be 1-{MaxDnsLabelLength} characters of lowercase letters, digits and '-', starting and ending with a letter or digit ({why})",
                ConfigKeys.SetCommand(key, example)));
    }

    /// <summary>A DNS-1123 subdomain: what Kubernetes accepts as a domain (kubelet's clusterDomain, an ExternalName).</summary>
    private static bool IsDnsSubdomain(string? name) =>
        name is { Length: > 0 and <= 253 } && name.Split('.').All(l => l.Length <= MaxDnsLabelLength && DnsLabelDigitsToo().IsMatch(l));

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex DnsLabelDigitsToo();
}
