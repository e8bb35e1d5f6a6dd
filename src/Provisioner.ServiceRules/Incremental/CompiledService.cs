using Provisioner.ServiceRules.Iptables;
using Provisioner.ServiceRules.Model;
using Provisioner.ServiceRules.Nftables;
using Provisioner.ServiceRules.Validation;

namespace Provisioner.ServiceRules.Incremental;

/// <summary>One service as the engine compiled it: the service, its hash, its claims and its fragment for the backend
/// (compiled on first use: a sync that turns out to be a no-op compiles nothing).</summary>
internal sealed class CompiledService(Service service, UInt128 hash)
{
    private NftFragment? _nft;
    private IptablesFragment? _iptables;
    private (IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts)? _claims;

    public Service Service { get; } = service;

    public UInt128 Hash { get; } = hash;

    public string Key { get; } = service.Key;

    public (IReadOnlyList<string> Frontends, IReadOnlyList<string> NodePorts) Claims => _claims ??= ServiceTableValidator.Claims(Service);

    public NftFragment Nft(NodeContext node) => _nft ??= NftCompiler.Fragment(Service, node);

    public IptablesFragment Iptables(NodeContext node) => _iptables ??= IptablesCompiler.Fragment(Service, node);

    /// <summary>The same compiled service for another object with equal fields (the proxy's next conversion).</summary>
    public CompiledService For(Service equal) => new(equal, Hash) { _nft = _nft, _iptables = _iptables, _claims = _claims };
}
