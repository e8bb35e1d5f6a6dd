// Pulumi's Deployment.Instance (and the PULUMI_CONFIG it reads) is process-wide: mock tests run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
