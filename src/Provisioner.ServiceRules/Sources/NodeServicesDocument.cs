using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioner.ServiceRules.Applying;
using Provisioner.ServiceRules.Model;

namespace Provisioner.ServiceRules.Sources;

/// <summary>
/// What <c>netlab node services apply FILE</c> reads on a node: the rule backend, the service table and the node's
/// context as far as the plan knows it. <see cref="NodeContext.NodeIPs"/> may be empty: the node's address is then
/// given at apply time (<see cref="WithNodeAddress"/>), since a VM's address is known only once it runs.
/// </summary>
public sealed record NodeServicesDocument(RuleBackend Backend, NodeContext Node, ServiceTable Table)
{
    /// <summary>The context with the node's address, unless the document already names one.</summary>
    public NodeContext NodeWith(IPAddress? address) =>
        address is not null ? Node with { NodeIPs = [address.ToString()] }
        : Node.NodeIPs.Count > 0 ? Node
        : throw new InvalidDataException(
            $"the services document has no address for node {Node.NodeName}; pass --node-address {Node.NodeName}=IP");

    /// <summary>The same document with the node's address set.</summary>
    public NodeServicesDocument WithNodeAddress(IPAddress address) => this with { Node = NodeWith(address) };

    public string Serialize() => JsonSerializer.Serialize(this, NodeServicesJsonContext.Default.NodeServicesDocument);

    /// <summary>Reads a document; a malformed or incomplete one raises <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static NodeServicesDocument Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, NodeServicesJsonContext.Default.NodeServicesDocument)
                ?? throw new InvalidDataException("the services document is empty (null); write it with NodeServicesDocument.Serialize");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the services document is not valid: {e.Message}", e);
        }
    }
}

[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    IgnoreReadOnlyProperties = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(NodeServicesDocument))]
internal sealed partial class NodeServicesJsonContext : JsonSerializerContext;
