using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using PatrolHub.Grains;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;
using PatrolHub.Hub.Security;
using Status = Google.Rpc.Status;

namespace PatrolHub.Hub.Errors;

/// <summary>Maps domain and runtime exceptions to gRPC statuses with a message that says what was wrong.</summary>
public sealed partial class ErrorInterceptor(SecurityAudit audit, ILogger<ErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception e) when (Map(e, context) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The status for an exception, null to let it pass as it is; a denial is audited on the way.</summary>
    private RpcException? Map(Exception e, ServerCallContext context)
    {
        var mapped = MapCore(e, context);
        if ((mapped ?? e as RpcException) is { StatusCode: StatusCode.PermissionDenied } denied
            && CallerAuthentication.Find(context.GetHttpContext()) is { } caller)
        {
            audit.Record(SecurityEvent.Denied, caller, $"{context.Method}: {denied.Status.Detail}");
        }

        return mapped;
    }

    private RpcException? MapCore(Exception e, ServerCallContext context)
    {
        switch (e)
        {
            case RpcException:
                return null;
            case Google.Protobuf.InvalidProtocolBufferException:
                // A streamed message that does not parse: the client's mistake, not a broken connection.
                return new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"a message on the stream is not a valid protobuf message: {e.Message}"));
            case InvalidDataException:
                // A frame grpc-dotnet could not read (for example a compression flag other than 0 or 1).
                return new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"a message on the stream is malformed: {e.Message}"));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
            case IOException:
                // The client went away, or its connection broke: nobody is left to tell.
                return new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "the call was cancelled or its connection broke."));
            case SiloUnavailableException or TimeoutException or OrleansMessageRejectionException:
                Log.Unavailable(logger, e, context.Method);
                return new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the hub is temporarily unable to serve this call; retry."));
        }

        if (ToRpcException(e) is { } mapped) return mapped;
        Log.Unexpected(logger, e, context.Method);
        return new RpcException(new Grpc.Core.Status(StatusCode.Internal, "the hub failed to handle this call; it has been logged."));
    }

    /// <summary>The status for a domain exception (or an RpcException as it is), else null.</summary>
    public static RpcException? ToRpcException(Exception e) => e switch
    {
        RpcException rpc => rpc,
        DomainValidationException v => new Status
        {
            Code = (int)Code.InvalidArgument,
            Message = v.Message,
            Details = { Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Message } } }) },
        }.ToRpcException(),
        DomainConflictException => new RpcException(new Grpc.Core.Status(StatusCode.FailedPrecondition, e.Message)),
        DomainNotFoundException => new RpcException(new Grpc.Core.Status(StatusCode.NotFound, e.Message)),
        DomainPermissionException => new RpcException(new Grpc.Core.Status(StatusCode.PermissionDenied, e.Message)),
        OverloadedException o => ResourceExhausted(o.Message, o.RetryAfter),
        JournalUnavailableException or LogConflictException => new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, $"{e.Message} Retry.")),
        _ => null,
    };

    /// <summary>RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when to try again.</summary>
    public static RpcException ResourceExhausted(string message, TimeSpan retryAfter) => new Status
    {
        Code = (int)Code.ResourceExhausted,
        Message = message,
        Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
    }.ToRpcException();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "{Method} failed: the cluster was unavailable")]
        public static partial void Unavailable(ILogger logger, Exception exception, string method);

        [LoggerMessage(2, LogLevel.Error, "{Method} failed unexpectedly")]
        public static partial void Unexpected(ILogger logger, Exception exception, string method);
    }
}
