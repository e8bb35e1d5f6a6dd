namespace Provisioner.Netns.Verify;

/// <summary>The layers a packet crosses, bottom up: a failure is reported at the lowest layer that broke.</summary>
public enum Layer { Underlay, PodNetwork, NodeBridge, Fabric, ServiceRules, NodePort, LoadBalancer, Dns }

/// <summary>One line of <c>netlab verify</c>: what was tried, whether it worked, and where to look when it did not.</summary>
public sealed record VerifyCheck(Layer Layer, string Name, bool Passed, string Detail, string? LookFurther = null, bool Skipped = false);
