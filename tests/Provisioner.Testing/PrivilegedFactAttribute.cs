using Xunit;

namespace Provisioner.Testing;

/// <summary>
/// A test that creates namespaces, links or rules and so needs root. Mark the class with
/// <c>[Trait("Category", "Privileged")]</c> and <c>[Collection(PrivilegedCollection.Name)]</c> as well, so
/// <c>dotnet test --filter Category=Privileged</c> runs these alone, one at a time.
/// Skipped when not root, unless NETLAB_REQUIRE_PRIVILEGED=1 (CI sets it), where it runs and fails instead:
/// CI must never pass by skipping.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PrivilegedFactAttribute : FactAttribute
{
    public PrivilegedFactAttribute()
    {
        if (!Privileges.IsRoot && !Privileges.Required)
            Skip = "needs root (network namespaces); run as root, or set NETLAB_REQUIRE_PRIVILEGED=1 to make this a failure";
    }
}

/// <summary>The privileged counterpart of <see cref="TheoryAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PrivilegedTheoryAttribute : TheoryAttribute
{
    public PrivilegedTheoryAttribute()
    {
        if (!Privileges.IsRoot && !Privileges.Required)
            Skip = "needs root (network namespaces)";
    }
}

public static class Privileges
{
    /// <summary>Environment.UserName resolves the effective uid on Linux.</summary>
    public static bool IsRoot => Environment.UserName == "root";

    public static bool Required => Environment.GetEnvironmentVariable("NETLAB_REQUIRE_PRIVILEGED") == "1";
}

/// <summary>Privileged tests share one collection so they never run in parallel with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PrivilegedCollection
{
    public const string Name = "Privileged";
}
