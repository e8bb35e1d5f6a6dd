using Provisioner.Cni.Skel;

using var stdin = Console.OpenStandardInput();
using var stdout = Console.OpenStandardOutput();
return CniPlugin.Run(Environment.GetEnvironmentVariable, stdin, stdout);
