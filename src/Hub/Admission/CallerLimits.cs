using Grpc.Core;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Hosting;
using PatrolHub.Hub.Security;

namespace PatrolHub.Hub.Admission;

/// <summary>
/// The rates each identity is held to: calls, positions and alert raises, each a token bucket per identity. A refusal
/// is RESOURCE_EXHAUSTED naming the setting, with the time until the bucket holds a token again as its retry-after
/// hint, and is audited (summarised per second).
/// </summary>
public sealed class CallerLimits(IOptions<SecurityOptions> options, SecurityAudit audit, TimeProvider time)
{
    private readonly SecurityOptions _options = options.Value;
    private readonly TokenBuckets _calls = Buckets(options.Value.CallBurst, options.Value.CallsPerSecond, TimeSpan.FromSeconds(1), time);
    private readonly TokenBuckets _positions = Buckets(options.Value.PositionBurst, options.Value.PositionsPerSecond, TimeSpan.FromSeconds(1), time);
    private readonly TokenBuckets _raises = Buckets(options.Value.AlertRaisesPerMinute, options.Value.AlertRaisesPerMinute, TimeSpan.FromMinutes(1), time);

    public void Call(Identity caller)
    {
        if (_calls.TryTake(caller.Name, out var retryAfter)) return;
        throw Refused(caller, "CallsPerSecond",
            $"{caller.Name} is calling faster than {SecurityOptions.Section}:CallsPerSecond allows ({_options.CallsPerSecond} a second, bursts of {_options.CallBurst}).",
            retryAfter);
    }

    public void Position(Identity caller)
    {
        if (_positions.TryTake(caller.Name, out var retryAfter)) return;
        throw Refused(caller, "PositionsPerSecond",
            $"{caller.Name} is sending positions faster than {SecurityOptions.Section}:PositionsPerSecond allows ({_options.PositionsPerSecond} a second, bursts of {_options.PositionBurst}); what was acknowledged is recorded.",
            retryAfter);
    }

    public void AlertRaise(Identity caller)
    {
        if (_raises.TryTake(caller.Name, out var retryAfter)) return;
        throw Refused(caller, "AlertRaisesPerMinute",
            $"{caller.Name} is raising alerts faster than {SecurityOptions.Section}:AlertRaisesPerMinute allows ({_options.AlertRaisesPerMinute} a minute).",
            retryAfter);
    }

    /// <summary>A refusal at one of the caller's limits (a <see cref="SecurityOptions"/> setting): counted, audited,
    /// and returned for the caller to throw.</summary>
    public RpcException Refused(Identity caller, string setting, string message, TimeSpan retryAfter)
    {
        HubMetrics.AdmissionRefusals.Add(1, new KeyValuePair<string, object?>("limit", setting));
        audit.Record(SecurityEvent.LimitRefused, caller, $"{SecurityOptions.Section}:{setting}");
        return ErrorInterceptor.ResourceExhausted(message, retryAfter);
    }

    private static TokenBuckets Buckets(int burst, int perPeriod, TimeSpan period, TimeProvider time) =>
        new(Math.Max(burst, perPeriod), perPeriod, period, time);
}
