using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Hosting;
using PatrolHub.Hub.Security;

namespace PatrolHub.Hub.Admission;

/// <summary>
/// Admits each call of an identified caller, and holds its streams:
/// <list type="bullet">
/// <item>every call counts against the caller's call rate (<see cref="CallerLimits.Call"/>);</item>
/// <item>at most <see cref="HubOptions.MaxStreams"/> streams are open on this hub instance;</item>
/// <item>a unit has one <c>Connect</c> stream: a newer one replaces the older, which ends with FAILED_PRECONDITION
/// saying so, and the replacement is audited, so a copied certificate cannot listen silently beside the real unit;</item>
/// <item>an identity has at most <see cref="SecurityOptions.MaxStreamsPerIdentity"/> other streams (watches, replays,
/// exports);</item>
/// <item>when a certificate is revoked, its open streams end with UNAUTHENTICATED saying so.</item>
/// </list>
/// A stream is ended by cancelling the token its handler sees; the status it ends with is the reason it was ended.
/// </summary>
public sealed class CallerAdmission : Interceptor, IDisposable
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);
    private const string ConnectMethod = "/patrolhub.v1.PatrolService/Connect";

    private readonly HubOptions _hub;
    private readonly SecurityOptions _security;
    private readonly CallerLimits _limits;
    private readonly SecurityAudit _audit;
    private readonly ConcurrencyLimiter _streams;
    private readonly ConcurrentDictionary<string, List<OpenStream>> _open = new();

    public CallerAdmission(IOptions<HubOptions> hub, IOptions<SecurityOptions> security, CallerLimits limits, SecurityAudit audit, RevocationList revocations)
    {
        (_hub, _security, _limits, _audit) = (hub.Value, security.Value, limits, audit);
        _streams = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = _hub.MaxStreams, QueueLimit = 0 });
        revocations.Revoked += OnRevoked;
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (Caller(context) is { } caller) _limits.Call(caller);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        HoldAsync(context, held => continuation(request, responseStream, held));

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        HoldAsync(context, held => continuation(requestStream, responseStream, held));

    public void Dispose() => _streams.Dispose();

    private static Identity? Caller(ServerCallContext context) => CallerAuthentication.Find(context.GetHttpContext());

    private async Task HoldAsync(ServerCallContext context, Func<ServerCallContext, Task> handler)
    {
        var caller = Caller(context);
        if (caller is not null) _limits.Call(caller);
        // Every stream counts here, anonymous health watches included.
        using var lease = _streams.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            HubMetrics.AdmissionRefusals.Add(1, new KeyValuePair<string, object?>("limit", "streams"));
            throw ErrorInterceptor.ResourceExhausted($"this hub instance has {_hub.MaxStreams} streams open, its limit (Hub:MaxStreams); retry shortly.", RetryAfter);
        }

        if (caller is null)
        {
            await handler(context);
            return;
        }

        var http = context.GetHttpContext();
        var certificate = http.Connection.ClientCertificate!;
        using var stream = new OpenStream(caller, RevocationFile.SerialOf(certificate), context.Method == ConnectMethod, http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        Open(stream);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stream.Ended);
            await handler(new HeldCallContext(context, linked.Token));
        }
        catch (Exception) when (stream.Reason is { } reason)
        {
            throw reason;
        }
        finally
        {
            Close(stream);
        }

        if (stream.Reason is { } ended) throw ended;
    }

    private void Open(OpenStream stream)
    {
        var streams = _open.GetOrAdd(stream.Caller.Name, _ => []);
        OpenStream? replaced = null;
        lock (streams)
        {
            if (stream.IsConnect)
            {
                replaced = streams.FirstOrDefault(s => s.IsConnect);
                if (replaced is not null) streams.Remove(replaced);
            }
            else if (streams.Count(s => !s.IsConnect) >= _security.MaxStreamsPerIdentity)
            {
                throw _limits.Refused(stream.Caller, nameof(SecurityOptions.MaxStreamsPerIdentity),
                    $"{stream.Caller.Name} already has {_security.MaxStreamsPerIdentity} streams open, the limit {SecurityOptions.Section}:MaxStreamsPerIdentity sets; close one first.",
                    RetryAfter);
            }

            streams.Add(stream);
        }

        if (replaced is null) return;
        var message = $"this stream of {stream.Caller.Name} (from {replaced.Peer}) was replaced by a newer connection of the same unit from {stream.Peer}; a unit holds one stream. If that was not this unit, its certificate should be revoked.";
        replaced.End(new RpcException(new Status(StatusCode.FailedPrecondition, message)));
        _audit.Record(SecurityEvent.StreamReplaced, stream.Caller, $"stream from {replaced.Peer} replaced by one from {stream.Peer}");
    }

    private void Close(OpenStream stream)
    {
        if (!_open.TryGetValue(stream.Caller.Name, out var streams)) return;
        lock (streams) streams.Remove(stream);
    }

    private void OnRevoked(IReadOnlySet<string> serials)
    {
        foreach (var serial in serials)
            _audit.Record(SecurityEvent.Revoked, $"serial {serial}", [Nation.US, Nation.MX], "added to the revocation list");
        foreach (var streams in _open.Values)
        {
            List<OpenStream> revoked;
            lock (streams) revoked = streams.Where(s => serials.Contains(s.Serial)).ToList();
            foreach (var stream in revoked)
            {
                _audit.Record(SecurityEvent.Revoked, stream.Caller, $"open stream from {stream.Peer} ended: certificate serial {stream.Serial} revoked");
                stream.End(new RpcException(new Status(StatusCode.Unauthenticated,
                    $"the client certificate of {stream.Caller.Name} (serial {stream.Serial}) has been revoked; this stream is closed.")));
            }
        }
    }

    private sealed class OpenStream(Identity caller, string serial, bool isConnect, string peer) : IDisposable
    {
        private readonly CancellationTokenSource _ended = new();

        public Identity Caller { get; } = caller;
        public string Serial { get; } = serial;
        public bool IsConnect { get; } = isConnect;
        public string Peer { get; } = peer;
        public CancellationToken Ended => _ended.Token;
        public RpcException? Reason { get; private set; }

        public void End(RpcException reason)
        {
            Reason ??= reason;
            _ended.Cancel();
        }

        public void Dispose() => _ended.Dispose();
    }

    /// <summary>The call's own context, but with a token that also fires when the hub ends the stream.</summary>
    private sealed class HeldCallContext(ServerCallContext inner, CancellationToken token) : ServerCallContext
    {
        private readonly Dictionary<object, object> _state = new(inner.UserState) { ["__HttpContext"] = inner.GetHttpContext() };

        protected override string MethodCore => inner.Method;
        protected override string HostCore => inner.Host;
        protected override string PeerCore => inner.Peer;
        protected override DateTime DeadlineCore => inner.Deadline;
        protected override Metadata RequestHeadersCore => inner.RequestHeaders;
        protected override CancellationToken CancellationTokenCore => token;
        protected override Metadata ResponseTrailersCore => inner.ResponseTrailers;
        protected override AuthContext AuthContextCore => inner.AuthContext;
        protected override IDictionary<object, object> UserStateCore => _state;

        protected override Status StatusCore
        {
            get => inner.Status;
            set => inner.Status = value;
        }

        protected override WriteOptions? WriteOptionsCore
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => inner.WriteResponseHeadersAsync(responseHeaders);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => inner.CreatePropagationToken(options);
    }
}
