using Provisioner.Host.Processes;
using Xunit;

namespace Provisioner.Host.Tests;

/// <summary>The process runner's time limit: a hung command becomes an error naming it, distinct from a user's cancel.</summary>
public sealed class ProcessRunnerSpecs
{
    [Fact]
    public async Task A_command_that_outlives_its_limit_fails_naming_the_command_the_limit_and_what_to_check()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<CommandTimedOutException>(() =>
            ProcessRunner.Default.WithTimeout(TimeSpan.FromMilliseconds(300), "whether sleep is stuck").RunAsync("sleep", ["30"]));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the command was not stopped at its limit ({clock.Elapsed})");
        Assert.Equal("sleep 30", error.CommandLine);
        Assert.Equal(TimeSpan.FromMilliseconds(300), error.Limit);
        Assert.Contains("'sleep 30' did not finish within 300 ms", error.Message, StringComparison.Ordinal);
        Assert.Contains("Check: whether sleep is stuck", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<CommandFailedException>(error); // reported wherever a failed command is
    }

    [Fact]
    public async Task A_timeout_without_a_hint_still_says_what_to_check_and_try_run_reports_it_too()
    {
        var error = await Assert.ThrowsAsync<CommandTimedOutException>(() =>
            ProcessRunner.Default.WithTimeout(TimeSpan.FromMilliseconds(200)).TryRunAsync("sleep", ["30"]));

        Assert.Contains("Check: whether the program is waiting for a lock or input, or is hung", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_users_cancel_stays_a_cancellation_even_with_a_limit()
    {
        using var user = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var error = await Record.ExceptionAsync(() =>
            ProcessRunner.Default.WithTimeout(TimeSpan.FromSeconds(20)).RunAsync("sleep", ["30"], cancellationToken: user.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(error);
    }

    [Fact]
    public async Task A_command_within_its_limit_returns_its_output()
    {
        var result = await ProcessRunner.Default.WithTimeout(TimeSpan.FromSeconds(20)).RunAsync("echo", ["hello"]);

        Assert.Equal("hello\n", result.StandardOutput);
    }

    [Fact]
    public async Task A_streamed_program_that_ignores_SIGINT_as_background_jobs_do_still_stops_when_cancelled()
    {
        using var stop = new CancellationTokenSource();
        var lines = new List<string>();
        var running = ProcessRunner.Default.StreamAsync("sh", ["-c", "trap '' INT; echo started; exec sleep 300"], line => { lock (lines) lines.Add(line); },
            TimeSpan.FromSeconds(120), stop.Token);
        try
        {
            await WaitForAsync(() => { lock (lines) return lines.Contains("started"); }, "the program printed 'started'");

            await stop.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await stop.CancelAsync(); // stops it even when an assertion failed first
        }
    }

    [Fact]
    public async Task A_streamed_program_that_ignores_SIGTERM_is_killed_once_its_grace_has_passed()
    {
        using var stop = new CancellationTokenSource();
        var lines = new List<string>();
        var running = ProcessRunner.Default.StreamAsync("sh", ["-c", "trap '' TERM INT; echo started; while :; do sleep 1; done"],
            line => { lock (lines) lines.Add(line); }, TimeSpan.FromSeconds(1), stop.Token);
        try
        {
            await WaitForAsync(() => { lock (lines) return lines.Contains("started"); }, "the program printed 'started'");

            await stop.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await stop.CancelAsync(); // stops it even when an assertion failed first
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 60 s for {what}");
            await Task.Delay(50);
        }
    }
}
