using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Tests;

/// <summary>
/// Random service tables that change a few services at a time, drawn from small pools so services collide the way
/// real ones do: pods behind several services (shared hairpin elements), a ClusterIP, external IP or node port two
/// services claim (an invalid table), endpoint counts past 8 (the nftables pick chains grow), affinity timeouts coming
/// and going (the skeleton changes), Local policies, headless and ExternalName services, endpoints not ready.
/// </summary>
internal sealed class RandomTables(int seed)
{
    private readonly Random _random = new(seed);
    private static readonly int[] Timeouts = [10800, 60, 300];

    public ServiceTable Next(ServiceTable table, bool keepUnchangedObjects)
    {
        var services = table.Services.ToDictionary(s => s.Key, StringComparer.Ordinal);
        for (int i = 0, changes = 1 + _random.Next(_random.Next(4) == 0 ? 8 : 3); i < changes; i++)
        {
            var key = $"ns{_random.Next(3)}/svc-{_random.Next(24)}";
            switch (_random.Next(10))
            {
                case 0 when services.Count > 0:
                    services.Remove(services.Keys.ElementAt(_random.Next(services.Count)));
                    break;
                case 1 or 2 when services.TryGetValue(key, out var existing):
                    services[key] = existing with { Endpoints = Endpoints() };
                    break;
                default:
                    services[key] = Service(key);
                    break;
            }
        }
        // the proxy's tracker passes the same object for an unchanged service; netlab up builds every object anew
        return new ServiceTable([.. services.Values.Select(s => keepUnchangedObjects ? s : s with { })]);
    }

    private Service Service(string key)
    {
        var type = _random.Next(12) switch
        {
            0 => ServiceType.ExternalName,
            < 3 => ServiceType.NodePort,
            < 5 => ServiceType.LoadBalancer,
            _ => ServiceType.ClusterIP,
        };
        var ports = _random.Next(4) == 0
            ? new[] { Port("http", 80, type), Port("dns", 53, type, ServiceProtocol.UDP) }
            : [Port("", 80 + _random.Next(2), type)];
        return new Service
        {
            Namespace = key.Split('/')[0],
            Name = key.Split('/')[1],
            Type = type,
            ClusterIP = type == ServiceType.ExternalName ? null : _random.Next(15) == 0 ? Model.Service.Headless : $"10.96.0.{1 + _random.Next(40)}",
            ExternalName = type == ServiceType.ExternalName ? "example.com" : null,
            Ports = type == ServiceType.ExternalName ? [] : ports,
            ExternalIPs = _random.Next(6) == 0 ? [$"192.168.60.{1 + _random.Next(6)}"] : [],
            LoadBalancerIPs = type == ServiceType.LoadBalancer ? [$"192.168.70.{1 + _random.Next(10)}"] : [],
            SessionAffinity = _random.Next(5) == 0 ? SessionAffinity.ClientIP : SessionAffinity.None,
            SessionAffinityTimeoutSeconds = Timeouts[_random.Next(Timeouts.Length)],
            ExternalTrafficPolicy = _random.Next(4) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster,
            InternalTrafficPolicy = _random.Next(6) == 0 ? TrafficPolicy.Local : TrafficPolicy.Cluster,
            Endpoints = type == ServiceType.ExternalName ? [] : Endpoints(),
        };
    }

    private ServicePort Port(string name, int port, ServiceType type, ServiceProtocol protocol = ServiceProtocol.TCP) =>
        new(name, port, 8000 + _random.Next(3), protocol,
            type is ServiceType.NodePort or ServiceType.LoadBalancer ? 30000 + _random.Next(30) : null);

    private IReadOnlyList<Endpoint> Endpoints() =>
        [.. Enumerable.Range(0, _random.Next(5) == 0 ? 9 + _random.Next(4) : _random.Next(4)).Select(_ => new Endpoint(
            $"10.244.{_random.Next(2)}.{1 + _random.Next(30)}", _random.Next(3) == 0 ? "node-b" : "node-a", Ready: _random.Next(8) != 0))];
}
