using System.CommandLine;
using System.Runtime.InteropServices;
using Provisioner.Netns.Pods;

namespace Provisioner.Cli.Commands;

/// <summary>
/// <c>netlab pod-server</c> (hidden): a lab pod's workload, started by <c>netlab up</c> inside the pod's namespace.
/// Answers HTTP with the pod's name and the client address it saw; stops cleanly on SIGTERM.
/// </summary>
public static class PodServerCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Required = true, Description = "The pod's name" };
        var port = new Option<int>("--port") { DefaultValueFactory = _ => 8080, Description = "Port to listen on" };
        var log = new Option<FileInfo?>("--log") { Description = "Log file (nothing goes to stdout)" };
        var command = new Command("pod-server", "Run a lab pod's HTTP server") { Hidden = true, Options = { name, port, log } };
        command.SetAction(async (parseResult, ct) =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            var logFile = parseResult.GetValue(log);
            var pod = parseResult.GetRequiredValue(name);
            var listen = parseResult.GetValue(port);
            Log(logFile, $"pod {pod} listening on :{listen}");
            await PodServer.RunAsync(pod, listen, stop.Token);
            Log(logFile, $"pod {pod} stopped");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Log(FileInfo? file, string line)
    {
        if (file is not null)
            File.AppendAllText(file.FullName, $"{DateTimeOffset.UtcNow:O} {line}{Environment.NewLine}");
    }
}
