using Provisioner.Cli;

return await NetlabCli.RunAsync(args);
