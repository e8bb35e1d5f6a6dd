using Provisioner.Core.Verification;
using System.Net;
using Provisioner.Core.Model;
using Provisioner.Netns.LoadBalancers;

namespace Provisioner.Netns.Verify;

public sealed partial class LabVerifier
{
    /// <summary>
    /// Every LoadBalancer EXTERNAL-IP and external IP from the outside client: exactly one node announces it, and an
    /// HTTP request to it is answered by an endpoint (with externalTrafficPolicy Local, one on the announcing node).
    /// </summary>
    private async Task<IEnumerable<VerifyCheck>> LoadBalancersAsync(CancellationToken ct)
    {
        var checks = new List<VerifyCheck>();
        var layer = new LoadBalancerLayer(plan, layout, Run, podAddress);
        var current = await layer.CurrentAsync(ct).ConfigureAwait(false);
        var holders = current.SelectMany(kv => kv.Value.Select(a => (Address: a, Node: kv.Key))).ToLookup(x => x.Address, x => x.Node);
        foreach (var announcement in layer.Desired(current))
        {
            var request = announcement.Request;
            var service = UserServices.First(s => $"{s.Spec.Namespace}/{s.Spec.Name}" == request.Service);
            var nodes = holders[request.Address].ToList();
            var hint = $"ip -n {layout.OutsideNamespace} neigh show {request.Address}; ip -n <node> addr show dev lo label {LabLayout.AnnounceLabel}";
            if (nodes.Count != 1)
            {
                checks.Add(new VerifyCheck(Layer.LoadBalancer, $"{request.Address} (service {service.Spec.Name}) announced", false,
                    nodes.Count == 0 ? $"no node answers ARP for it ({announcement.Reason}); sudo netlab up announces it" : $"announced by {string.Join(" and ", nodes)}: ARP answers conflict",
                    hint));
                continue;
            }
            var expected = Lab.Pods.Where(p => Core.Validation.LabValidator.Selects(service.Spec, p)
                    && (!request.LocalOnly || p.Node == nodes[0])).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var port in service.Ports.Where(p => p.Protocol == TransportProtocol.TCP))
            {
                var (body, error) = await probe.HttpGetAsync(layout.OutsideNamespace, request.Address, port.Port, ct).ConfigureAwait(false);
                var answeredBy = body?.Split(' ')[0];
                var ok = answeredBy is not null && expected.Contains(answeredBy);
                checks.Add(new VerifyCheck(Layer.LoadBalancer, $"outside -> {request.Address}:{port.Port} (service {service.Spec.Name}, announced by {nodes[0]})", ok,
                    ok ? $"answered by {answeredBy}" : error ?? $"answered by '{answeredBy}'",
                    $"{hint}; ip netns exec {layout.NodeNamespace(nodes[0])} {RuleDump}"));
            }
        }
        foreach (var service in UserServices)
        {
            foreach (var ip in service.Spec.ExternalIPs.Select(IPAddress.Parse).Where(a => !plan.Addresses.NodeCidr.Contains(a)))
                checks.Add(new VerifyCheck(Layer.LoadBalancer, $"{ip} (external IP of {service.Spec.Name})", true,
                    $"skipped: outside the node network {plan.Addresses.NodeCidr}, so nothing announces it; route it to a node to reach it",
                    $"ip -n {layout.OutsideNamespace} route add {ip} via {plan.Addresses.Nodes[0].UnderlayAddress}", Skipped: true));
        }
        return checks;
    }
}
