using System.Reflection;
using Provisioner.Errors;

namespace Provisioner.Testing;

/// <summary>The exception types of an assembly that do not derive from <see cref="NetlabException"/> (there should be none).</summary>
public static class ExceptionRoot
{
    public static IReadOnlyList<string> StrayTypes(Assembly assembly) =>
        [.. assembly.GetTypes()
            .Where(t => typeof(Exception).IsAssignableFrom(t) && t != typeof(NetlabException) && !typeof(NetlabException).IsAssignableFrom(t))
            .Select(t => t.FullName ?? t.Name)];
}
