using Provisioner.Cli;

return NetlabCli.Run(args);
