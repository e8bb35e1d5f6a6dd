using System.Text;

namespace Provisioner.Deploy;

/// <summary>Environment variable names derived from node names and trigger keys (letters, digits, '_').</summary>
public static class EnvironmentName
{
    /// <summary><c>worker-1</c> becomes <c>NETLAB_ADDRESS_WORKER_1</c>.</summary>
    public static string ForAddress(string node) => "NETLAB_ADDRESS_" + Sanitize(node);

    /// <summary><c>files.user-data</c> becomes <c>NETLAB_TRIGGER_FILES_USER_DATA</c>.</summary>
    public static string ForTrigger(string key) => "NETLAB_TRIGGER_" + Sanitize(key);

    private static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return builder.ToString();
    }
}
