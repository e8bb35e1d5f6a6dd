using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Provisioner.Testing;

/// <summary>
/// A test that creates namespaces, links or rules and so needs root. It carries the trait <c>Category=Privileged</c>
/// itself (so <c>dotnet test --filter Category!=Privileged</c> leaves it out); its class joins
/// <c>[Collection(PrivilegedCollection.Name)]</c> so that privileged tests run one at a time (a spec checks every class does).
/// Skipped when not root, unless NETLAB_REQUIRE_PRIVILEGED=1 (CI sets it), where it runs and fails instead:
/// CI must never pass by skipping.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[TraitDiscoverer(PrivilegedTrait.Discoverer, PrivilegedTrait.Assembly)]
public sealed class PrivilegedFactAttribute : FactAttribute, ITraitAttribute
{
    public PrivilegedFactAttribute()
    {
        if (!Privileges.IsRoot && !Privileges.Required)
            Skip = "needs root (network namespaces); run as root, or set NETLAB_REQUIRE_PRIVILEGED=1 to make this a failure";
    }
}

/// <summary>The privileged counterpart of <see cref="TheoryAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
[TraitDiscoverer(PrivilegedTrait.Discoverer, PrivilegedTrait.Assembly)]
public sealed class PrivilegedTheoryAttribute : TheoryAttribute, ITraitAttribute
{
    public PrivilegedTheoryAttribute()
    {
        if (!Privileges.IsRoot && !Privileges.Required)
            Skip = "needs root (network namespaces)";
    }
}

/// <summary>Gives <see cref="PrivilegedFactAttribute"/> and <see cref="PrivilegedTheoryAttribute"/> their trait, <c>Category=Privileged</c>.</summary>
public sealed class PrivilegedTrait : ITraitDiscoverer
{
    public const string Discoverer = "Provisioner.Testing.PrivilegedTrait";
    public const string Assembly = "Provisioner.Testing";
    public const string Category = "Category";
    public const string Value = "Privileged";

    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute) => [new(Category, Value)];
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
