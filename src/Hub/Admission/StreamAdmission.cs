using System.Threading.RateLimiting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Admission;

/// <summary>Admits at most <see cref="HubOptions.MaxStreams"/> open streams (unit connections and sector watches) on
/// this hub instance; past it a new stream is refused at once with RESOURCE_EXHAUSTED and a retry-after hint.</summary>
public sealed class StreamAdmission(IOptions<HubOptions> options) : Interceptor, IDisposable
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    private readonly ConcurrencyLimiter _streams = new(new ConcurrencyLimiterOptions { PermitLimit = options.Value.MaxStreams, QueueLimit = 0 });

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = Admit();
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = Admit();
        await continuation(requestStream, responseStream, context);
    }

    public void Dispose() => _streams.Dispose();

    private RateLimitLease Admit()
    {
        var lease = _streams.AttemptAcquire();
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        HubMetrics.AdmissionRefusals.Add(1, new KeyValuePair<string, object?>("limit", "streams"));
        throw ErrorInterceptor.ResourceExhausted($"this hub instance has {options.Value.MaxStreams} streams open, its limit; retry shortly.", RetryAfter);
    }
}
