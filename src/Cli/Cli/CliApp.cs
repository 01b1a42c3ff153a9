using System.CommandLine;
using System.Security.Authentication;
using Grpc.Core;
using PatrolHub.Client.Connection;

namespace PatrolHub.Client.Cli;

/// <summary>The <c>patrolhub</c> command line. Exit codes: 0 ok, 1 failure, 2 bad usage, 3 not authenticated or
/// not permitted, 4 not found.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("PatrolHub: mirrored border patrol coordination");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(CertsCommands.Build());
        root.Subcommands.Add(UnitCommands.Build());
        root.Subcommands.Add(PairCommands.Build());
        root.Subcommands.Add(SectorCommands.BuildSector());
        root.Subcommands.Add(SectorCommands.BuildWatch());
        root.Subcommands.Add(AlertCommands.Build());
        root.Subcommands.Add(SimulateCommand.Build());
        foreach (var command in ReviewCommands.Build()) root.Subcommands.Add(command);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        var result = Build().Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var e in result.Errors) await error.WriteLineAsync($"patrolhub: {e.Message}");
            await error.WriteLineAsync("Try 'patrolhub --help'.");
            return ExitCodes.Usage;
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            await error.WriteLineAsync($"patrolhub: {message}");
            return code;
        }
    }

    /// <summary>Every failure as an exit code and one sentence; never a stack trace.</summary>
    private static (int Code, string Message) Describe(Exception e) => e switch
    {
        UsageException => (ExitCodes.Usage, e.Message),
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal } rpc when Retry.Cause<AuthenticationException>(rpc) is { } tls =>
            (ExitCodes.Denied, $"the TLS handshake with the hub failed ({tls.Message}); check --ca and --identity."),
        RpcException rpc => (ExitCodes.For(rpc), $"{Name(rpc.StatusCode)}: {rpc.Status.Detail}"),
        System.Security.Cryptography.CryptographicException => (ExitCodes.Failure, $"could not read a certificate: {e.Message}"),
        OperationCanceledException => (ExitCodes.Failure, "interrupted."),
        _ => (ExitCodes.Failure, e.Message),
    };

    private static string Name(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.Unavailable => "UNAVAILABLE",
        _ => code.ToString().ToUpperInvariant(),
    };
}
