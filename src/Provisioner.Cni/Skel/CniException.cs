using Provisioner.Errors;

namespace Provisioner.Cni.Skel;

/// <summary>The well-known error codes of the CNI spec (1-99) and netlab-cni's own (100+).</summary>
internal enum CniErrorCode
{
    IncompatibleVersion = 1,
    UnsupportedField = 2,
    UnknownContainer = 3,
    InvalidEnvironment = 4,
    IoFailure = 5,
    DecodeFailure = 6,
    InvalidNetworkConfig = 7,
    TryAgainLater = 11,
    PluginNotAvailable = 50,
    LimitedConnectivity = 51,

    /// <summary>netlab-cni: CHECK found the container's network differs from prevResult.</summary>
    CheckFailed = 100,

    /// <summary>Anything else (a kernel refusal, an OVS error); the same code the reference plugins use.</summary>
    Internal = 999,
}

/// <summary>A failure to report as the spec's error JSON: a code, a message a learner can act on, optional details.</summary>
internal sealed class CniException : NetlabException
{
    public CniException(CniErrorCode code, string message, string? details = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Details = details;
    }

    public CniException() : this(CniErrorCode.Internal, "netlab-cni failed") { }

    public CniException(string message) : this(CniErrorCode.Internal, message) { }

    public CniException(string message, Exception inner) : this(CniErrorCode.Internal, message, null, inner) { }

    public CniErrorCode Code { get; }

    public string? Details { get; }
}
