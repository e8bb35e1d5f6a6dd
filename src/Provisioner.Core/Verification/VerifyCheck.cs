namespace Provisioner.Core.Verification;

/// <summary>
/// The layers a packet crosses, bottom up: a failure is reported at the lowest layer that broke. The same on every
/// backend (the netns lab and the VM lab), so <c>netlab verify</c> reads the same on both. <see cref="Conntrack"/> comes
/// first: a node whose connection-tracking table is full drops every new flow through it, whatever layer that flow tests.
/// </summary>
public enum Layer { Conntrack, Underlay, PodNetwork, NodeBridge, Fabric, ServiceRules, NodePort, LoadBalancer, Egress, Dns, Policy }

/// <summary>One line of <c>netlab verify</c>: what was tried, whether it worked, and where to look when it did not.</summary>
public sealed record VerifyCheck(Layer Layer, string Name, bool Passed, string Detail, string? LookFurther = null, bool Skipped = false)
{
    /// <summary>The lowest layer with a failed check: where to start looking.</summary>
    public static VerifyCheck? FirstBroken(IEnumerable<VerifyCheck> checks) =>
        checks.Where(c => !c.Passed).OrderBy(c => c.Layer).FirstOrDefault();
}
