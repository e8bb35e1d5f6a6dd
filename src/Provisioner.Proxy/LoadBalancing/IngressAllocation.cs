using System.Net;
using System.Text.Json;
using Provisioner.Core.LoadBalancing;
using Provisioner.Proxy.Tracking;

namespace Provisioner.Proxy.LoadBalancing;

/// <summary>One service whose <c>status.loadBalancer.ingress</c> must change, from what it holds to what it should hold.</summary>
public sealed record IngressChange(string Namespace, string Name, IReadOnlyList<string> Current, IReadOnlyList<string> Desired)
{
    public string Key => $"{Namespace}/{Name}";

    /// <summary>The JSON merge patch of the status subresource (a merge patch replaces the list whole).</summary>
    public string MergePatch() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["status"] = new Dictionary<string, object>
        {
            ["loadBalancer"] = Desired.Count == 0
                ? new Dictionary<string, object>()
                : new Dictionary<string, object> { ["ingress"] = Desired.Select(ip => new Dictionary<string, string> { ["ip"] = ip }).ToList() },
        },
    });

    public override string ToString() => Desired.Count == 0
        ? $"{Key}: EXTERNAL-IP {string.Join(",", Current)} released"
        : $"{Key}: EXTERNAL-IP {string.Join(",", Desired)}{(Current.Count == 0 ? "" : $" (was {string.Join(",", Current)})")}";
}

/// <summary>
/// The allocator's decision (the proxy with <c>loadBalancerAllocator: true</c>): every LoadBalancer service of no other
/// <c>loadBalancerClass</c> gets an address of the pool, by the same <see cref="LoadBalancerAllocator"/> the netns lab
/// uses (loadBalancerIP honoured, an address already held kept); a service no longer of type LoadBalancer gives its
/// pool address back. Pure: what to write, not the writing.
/// </summary>
public static class IngressAllocation
{
    public static IReadOnlyList<IngressChange> Plan(LoadBalancingView view, IPNetwork2 pool)
    {
        var balancers = view.Services.Where(s => Ours(s)).OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        var claims = balancers.Select(s => new AddressClaim(s.Key, NonEmpty(s.Api.Spec.LoadBalancerIP),
            Ingress(s).FirstOrDefault(ip => IPAddress.TryParse(ip, out var a) && pool.Contains(a)))).ToList();
        var addresses = LoadBalancerAllocator.Allocate(claims, pool);
        var changes = new List<IngressChange>();
        foreach (var service in balancers)
        {
            IReadOnlyList<string> desired = addresses.TryGetValue(service.Key, out var ip) ? [ip.ToString()] : [];
            if (!desired.SequenceEqual(Ingress(service)))
                changes.Add(new IngressChange(service.Api.Metadata.NamespaceProperty, service.Api.Metadata.Name, Ingress(service), desired));
        }
        foreach (var service in view.Services.Where(s => s.Api.Spec?.Type != "LoadBalancer"))
        {
            var held = Ingress(service);
            if (held.Count > 0 && held.All(i => IPAddress.TryParse(i, out var a) && pool.Contains(a)))
                changes.Add(new IngressChange(service.Api.Metadata.NamespaceProperty, service.Api.Metadata.Name, held, []));
        }
        return changes;
    }

    /// <summary>A LoadBalancer service this pool serves: one naming another implementation's class is left to it.</summary>
    public static bool Ours(BalancedService service) =>
        service.Api.Spec?.Type == "LoadBalancer" && string.IsNullOrEmpty(service.Api.Spec.LoadBalancerClass);

    public static IReadOnlyList<string> Ingress(BalancedService service) =>
        [.. (service.Api.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip).Where(ip => !string.IsNullOrEmpty(ip))];

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
