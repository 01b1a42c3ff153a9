using System.Diagnostics;
using System.Text;

namespace PatrolHub.Hub.Tests;

/// <summary>Runs the built programs (patrolhub, the hub) as processes, the way a user does.</summary>
internal static class Processes
{
    /// <summary>A program's own build output (bin/CONFIG/TFM beside its project), whose deps and runtime
    /// config are its own: a copy in the test's folder would resolve against the test's dependencies.</summary>
    public static string Program(string project, string dll)
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (bin.Name, bin.Parent!.Name);
        var root = bin;
        while (!File.Exists(Path.Combine(root.FullName, "PatrolHub.sln"))) root = root.Parent ?? throw new InvalidOperationException("PatrolHub.sln not found above the test folder.");
        return Path.Combine(root.FullName, "src", project, "bin", configuration, framework, dll);
    }

    public static ProcessStartInfo Dotnet(string dll, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Remove("PATROLHUB_HUB");
        start.Environment.Remove("PATROLHUB_IDENTITY");
        start.Environment.Remove("PATROLHUB_CA");
        return start;
    }

    /// <summary>Runs the CLI to completion; returns its exit code and output.</summary>
    public static async Task<(int Code, string Out, string Error)> CliAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(Dotnet(Program("Cli", "patrolhub.dll"), args, workingDirectory))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}

/// <summary>The hub as a separate process, which a test can kill with SIGKILL.</summary>
internal sealed class HubProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Received(e.Data);
        _process.ErrorDataReceived += (_, e) => Received(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>Starts the hub and waits until it listens.</summary>
    public static async Task<HubProcess> StartAsync(string dataPath, int port, params string[] more)
    {
        var args = HubFixture.Settings(dataPath, port).SelectMany(s => new[] { $"--{s.Key}", s.Value! }).Concat(more);
        var hub = new HubProcess(Process.Start(Processes.Dotnet(Processes.Program("Hub", "PatrolHub.Hub.dll"), args, dataPath))!);
        await Task.WhenAny(hub._ready.Task, hub._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (hub._ready.Task.IsCompleted) return hub;
        await hub.DisposeAsync();
        throw new InvalidOperationException($"The hub did not start within 60 s:\n{hub.Log}");
    }

    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    private void Received(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains("PatrolHub listening on", StringComparison.Ordinal)) _ready.TrySetResult();
    }
}
