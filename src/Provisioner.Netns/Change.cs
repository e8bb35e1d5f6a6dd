namespace Provisioner.Netns;

/// <summary>
/// One difference between what the stack wants and what the kernel has, with the action that removes it.
/// <c>netlab plan</c> prints changes; <c>netlab up</c> applies them; a converged lab has none.
/// </summary>
public sealed record Change(string Step, string Description, Func<CancellationToken, Task> Apply)
{
    public override string ToString() => $"{Step}: {Description}";
}
