using System.Text.Json;
using Provisioner.Cni.Commands;
using Provisioner.Cni.Config;
using Provisioner.Host.Namespaces;
using Provisioner.Host.Netlink;

namespace Provisioner.Cni.Skel;

/// <summary>
/// The plugin's entry: reads CNI_* and stdin, dispatches the verb, writes the result (or the spec's error JSON) to
/// stdout and returns the exit code. Like the reference skel: environment first (4), then decoding (6), then the
/// version (1), then the config (7).
/// </summary>
internal static class CniPlugin
{
    public static int Run(Func<string, string?> variable, Stream stdin, Stream stdout)
    {
        string? version = null;
        try
        {
            var env = CniEnvironment.Read(variable);
            var input = ReadAll(stdin);
            if (env.Command == CniEnvironment.Version)
                return Write(stdout, VersionInfo(input));
            var json = ConfigParser.Decode(input);
            version = ConfigParser.Version(json);
            var config = ConfigParser.Validate(json);
            var log = new PluginLog(config.LogFile, env);
            return Dispatch(config, env, log, stdout);
        }
        catch (Exception e)
        {
            var error = Classify(e);
            return WriteError(stdout, version, error);
        }
    }

    private static int Dispatch(PluginConfig config, CniEnvironment env, PluginLog log, Stream stdout)
    {
        switch (env.Command)
        {
            case CniEnvironment.Add:
                return Write(stdout, AddCommand.Run(config, env, log));
            case CniEnvironment.Del:
                DelCommand.Run(config, env, log);
                return 0;
            case CniEnvironment.Check:
                if (!CniVersions.AllowsCheck(config.CniVersion))
                    throw new CniException(CniErrorCode.IncompatibleVersion, $"config version {config.CniVersion} does not allow CHECK; use cniVersion 0.4.0 or later");
                CheckCommand.Run(config, env);
                return 0;
            case CniEnvironment.Gc:
                RequireGcAndStatus(config, "GC");
                GcCommand.Run(config, log);
                return 0;
            default:
                RequireGcAndStatus(config, "STATUS");
                StatusCommand.Run(config);
                return 0;
        }
    }

    private static void RequireGcAndStatus(PluginConfig config, string verb)
    {
        if (!CniVersions.AllowsGcAndStatus(config.CniVersion))
            throw new CniException(CniErrorCode.IncompatibleVersion, $"config version {config.CniVersion} does not allow {verb}; it needs cniVersion 1.1.0");
    }

    /// <summary>VERSION answers in the version asked for when netlab-cni speaks it, else in the latest.</summary>
    private static VersionJson VersionInfo(ReadOnlySpan<byte> input)
    {
        var asked = CniVersions.Latest;
        try
        {
            if (!input.Trim(" \t\r\n"u8).IsEmpty && JsonSerializer.Deserialize(input, CniJsonContext.Default.NetConfJson)?.CniVersion is { } v && CniVersions.IsSupported(v))
                asked = v;
        }
        catch (JsonException)
        {
            // VERSION needs no config; a bad one does not matter
        }
        return new VersionJson { CniVersion = asked, SupportedVersions = [.. CniVersions.Supported] };
    }

    private static CniException Classify(Exception e) => e switch
    {
        CniException cni => cni,
        NamespaceNotFoundException ns => new CniException(CniErrorCode.UnknownContainer, ns.Message),
        NetlinkException netlink => new CniException(CniErrorCode.Internal, "the kernel refused: " + netlink.Message),
        IOException or UnauthorizedAccessException => new CniException(CniErrorCode.IoFailure, e.Message),
        _ => new CniException(CniErrorCode.Internal, $"{e.GetType().Name}: {e.Message}"),
    };

    private static byte[] ReadAll(Stream stdin)
    {
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static int Write(Stream stdout, ResultJson result)
    {
        JsonSerializer.Serialize(stdout, result, CniJsonContext.Default.ResultJson);
        return 0;
    }

    private static int Write(Stream stdout, VersionJson info)
    {
        JsonSerializer.Serialize(stdout, info, CniJsonContext.Default.VersionJson);
        return 0;
    }

    private static int WriteError(Stream stdout, string? version, CniException error)
    {
        var json = new ErrorJson
        {
            CniVersion = version ?? CniVersions.Latest,
            Code = (int)error.Code,
            Msg = error.Message,
            Details = error.Details,
        };
        JsonSerializer.Serialize(stdout, json, CniJsonContext.Default.ErrorJson);
        return 1;
    }
}
