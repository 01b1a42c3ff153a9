using Grpc.Core;
using Grpc.Core.Interceptors;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>Every call but health needs an identity from a client certificate; the services read it with <see cref="Caller"/>.</summary>
public sealed class IdentityInterceptor(CallerIdentities identities) : Interceptor
{
    private const string Key = "patrolhub.identity";

    public static Identity Caller(ServerCallContext context) =>
        context.GetHttpContext().Items[Key] as Identity
        ?? throw new InvalidOperationException("The identity interceptor did not run for this call.");

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (context.Method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal)) return;
        var http = context.GetHttpContext();
        http.Items[Key] = identities.Resolve(http.Connection.ClientCertificate);
    }
}
