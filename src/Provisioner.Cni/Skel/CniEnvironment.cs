namespace Provisioner.Cni.Skel;

/// <summary>The CNI_* variables a runtime passes, validated for the command (spec: "Parameters").</summary>
internal sealed record CniEnvironment(string Command, string ContainerId, string? Netns, string IfName, string? Args, string? Path)
{
    public const string Add = "ADD";
    public const string Del = "DEL";
    public const string Check = "CHECK";
    public const string Version = "VERSION";
    public const string Gc = "GC";
    public const string Status = "STATUS";

    private static readonly string[] Commands = [Add, Del, Check, Version, Gc, Status];

    /// <summary>Reads and validates the variables; a missing or malformed one is error 4 naming it.</summary>
    public static CniEnvironment Read(Func<string, string?> variable)
    {
        var command = variable("CNI_COMMAND");
        if (string.IsNullOrEmpty(command))
            throw Invalid("CNI_COMMAND is not set; set it to one of " + string.Join(", ", Commands));
        if (Array.IndexOf(Commands, command) < 0)
            throw Invalid($"CNI_COMMAND \"{command}\" is unknown; use one of " + string.Join(", ", Commands));

        var env = new CniEnvironment(command, variable("CNI_CONTAINERID") ?? "", NullIfEmpty(variable("CNI_NETNS")),
            variable("CNI_IFNAME") ?? "", NullIfEmpty(variable("CNI_ARGS")), NullIfEmpty(variable("CNI_PATH")));
        if (command is Add or Del or Check)
            env.ValidateAttachment();
        if (command is not Version && env.Path is null)
            throw Invalid("CNI_PATH is not set; set it to the plugin directories, e.g. /opt/cni/bin");
        return env;
    }

    private void ValidateAttachment()
    {
        var missing = new List<string>();
        if (ContainerId.Length == 0)
            missing.Add("CNI_CONTAINERID");
        if (Netns is null && Command is Add or Check)
            missing.Add("CNI_NETNS");
        if (IfName.Length == 0)
            missing.Add("CNI_IFNAME");
        if (missing.Count > 0)
            throw Invalid($"{Command} needs {string.Join(", ", missing)}; the runtime sets them (CNI_NETNS is the path of the pod's network namespace, e.g. /run/netns/pod1)");
        if (!IsValidContainerId(ContainerId))
            throw Invalid($"CNI_CONTAINERID \"{ContainerId}\" is invalid: it must start with a letter or digit followed by letters, digits, '_', '.' or '-'");
        if (IfName.Length > 15 || IfName is "." or ".." || IfName.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
            throw Invalid($"CNI_IFNAME \"{IfName}\" is invalid: at most 15 characters, not '.' or '..', no '/', ':' or whitespace");
    }

    private static CniException Invalid(string message) => new(CniErrorCode.InvalidEnvironment, message);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Spec: alphanumeric first, then alphanumerics, '_', '.' or '-'.</summary>
    private static bool IsValidContainerId(string id) =>
        char.IsAsciiLetterOrDigit(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
