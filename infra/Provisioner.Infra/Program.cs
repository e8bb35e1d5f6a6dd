return await Pulumi.Deployment.RunAsync<Provisioner.Infra.LabDeployment>();
