using Provisioner.Testing;
using Xunit;

namespace Provisioner.Deploy.Tests;

/// <summary>
/// The step listing of the example stack against its golden copy (Golden/steps-dev-*.txt). After an intended change:
/// <c>NETLAB_UPDATE_GOLDEN=1 dotnet test tests/Provisioner.Deploy.Tests --filter StepListingSpecs</c>, and read the diff.
/// </summary>
public sealed class StepListingSpecs
{
    [Theory]
    [InlineData("multipass")]
    [InlineData("netns")]
    public void The_listing_of_the_example_stack_is_the_golden_one(string backend)
    {
        var listing = StepListing.Write(backend == "netns" ? Labs.Netns() : Labs.Multipass());
        var golden = RepoPaths.Of("tests", "Provisioner.Deploy.Tests", "Golden", $"steps-dev-{backend}.txt");
        if (Environment.GetEnvironmentVariable("NETLAB_UPDATE_GOLDEN") == "1")
            File.WriteAllText(golden, listing);

        Assert.True(File.Exists(golden), $"{golden} is missing; create it with NETLAB_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(golden), listing);
    }

    [Fact]
    public void It_lists_every_step_the_program_declares_with_its_resource_name_and_commands()
    {
        var deployment = Labs.Multipass();
        var listing = StepListing.Write(deployment);

        Assert.All(deployment.Steps, s => Assert.Contains($"== dev-dev-{s.Id}\n", listing, StringComparison.Ordinal));
        var unwrapped = listing.Replace("&&\n" + new string(' ', 23), "&& ", StringComparison.Ordinal); // one command a line, cut after &&
        Assert.All(deployment.Steps, s => Assert.Contains(s.Create, unwrapped, StringComparison.Ordinal));
        Assert.All(deployment.Steps.Where(s => s.Delete is not null), s => Assert.Contains(s.Delete!, unwrapped, StringComparison.Ordinal));
        Assert.Contains("parent:                node dev-dev-worker1", listing, StringComparison.Ordinal);
        Assert.Contains("stdout:                [secret]", listing, StringComparison.Ordinal);
        Assert.Contains("on every preview and up", listing, StringComparison.Ordinal);
        Assert.Equal("join with [secret] now", StepListing.Redact($"join with {FakeMultipass.Token} now"));
    }
}
