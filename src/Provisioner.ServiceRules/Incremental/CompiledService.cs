using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>One service as the engine compiled it: the service, its hash, its claims and its fragment for the backend
/// (compiled on first use: a sync that turns out to be a no-op compiles nothing). A service read back from the compiled
/// services file (<see cref="CompiledTableFile"/>) that the current table no longer has at this hash has no
/// <see cref="Service"/>: its key, claims and fragment are all a diff against it needs.</summary>
internal sealed class CompiledService
{
    private NftFragment? _nft;
    private IptablesFragment? _iptables;
    private (IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts)? _claims;

    public CompiledService(Service service, UInt128 hash)
    {
        Service = service;
        Hash = hash;
        Key = service.Key;
    }

    /// <summary>A service as the compiled services file holds it (its fragment compiled by an earlier process).</summary>
    public CompiledService(string key, Service? service, UInt128 hash, (IReadOnlyList<string>, IReadOnlyList<string>)? claims,
        NftFragment? nft, IptablesFragment? iptables)
    {
        Key = key;
        Service = service;
        Hash = hash;
        _claims = claims;
        _nft = nft;
        _iptables = iptables;
    }

    public Service? Service { get; }

    public UInt128 Hash { get; }

    public string Key { get; }

    public (IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts) Claims => _claims ??= ServiceTableValidator.Claims(Required);

    public NftFragment Nft(NodeContext node) => _nft ??= NftCompiler.Fragment(Required, node);

    public IptablesFragment Iptables(NodeContext node) => _iptables ??= IptablesCompiler.Fragment(Required, node);

    /// <summary>The same compiled service for another object with equal fields (the proxy's next conversion).</summary>
    public CompiledService For(Service equal) => new(Key, equal, Hash, _claims, _nft, _iptables);

    private Service Required => Service ?? throw new InvalidOperationException($"service {Key} was read back without its fragment (a netlab bug)");
}
