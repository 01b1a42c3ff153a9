using System.Threading.RateLimiting;
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
/// is RESOURCE_EXHAUSTED naming the setting, with a retry-after hint, and is audited (summarised per second).
/// </summary>
public sealed class CallerLimits(IOptions<SecurityOptions> options, SecurityAudit audit) : IDisposable
{
    private readonly SecurityOptions _options = options.Value;
    private readonly PartitionedRateLimiter<string> _calls = Buckets(options.Value.CallBurst, options.Value.CallsPerSecond, TimeSpan.FromSeconds(1));
    private readonly PartitionedRateLimiter<string> _positions = Buckets(options.Value.PositionBurst, options.Value.PositionsPerSecond, TimeSpan.FromSeconds(1));
    private readonly PartitionedRateLimiter<string> _raises = Buckets(options.Value.AlertRaisesPerMinute, options.Value.AlertRaisesPerMinute, TimeSpan.FromMinutes(1));

    public void Call(Identity caller) => Take(_calls, caller, "CallsPerSecond",
        $"{caller.Name} is calling faster than {SecurityOptions.Section}:CallsPerSecond allows ({_options.CallsPerSecond} a second, bursts of {_options.CallBurst}).",
        TimeSpan.FromSeconds(1));

    public void Position(Identity caller) => Take(_positions, caller, "PositionsPerSecond",
        $"{caller.Name} is sending positions faster than {SecurityOptions.Section}:PositionsPerSecond allows ({_options.PositionsPerSecond} a second, bursts of {_options.PositionBurst}); what was acknowledged is recorded.",
        TimeSpan.FromSeconds(1));

    public void AlertRaise(Identity caller) => Take(_raises, caller, "AlertRaisesPerMinute",
        $"{caller.Name} has raised {_options.AlertRaisesPerMinute} alerts in the last minute, the limit {SecurityOptions.Section}:AlertRaisesPerMinute sets.",
        TimeSpan.FromMinutes(1));

    public void Dispose()
    {
        _calls.Dispose();
        _positions.Dispose();
        _raises.Dispose();
    }

    /// <summary>A refusal at one of the caller's limits (a <see cref="SecurityOptions"/> setting): counted, audited,
    /// and returned for the caller to throw.</summary>
    public RpcException Refused(Identity caller, string setting, string message, TimeSpan retryAfter)
    {
        HubMetrics.AdmissionRefusals.Add(1, new KeyValuePair<string, object?>("limit", setting));
        audit.Record(SecurityEvent.LimitRefused, caller, $"{SecurityOptions.Section}:{setting}");
        return ErrorInterceptor.ResourceExhausted(message, retryAfter);
    }

    private void Take(PartitionedRateLimiter<string> limiter, Identity caller, string setting, string message, TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(caller.Name);
        if (!lease.IsAcquired) throw Refused(caller, setting, message, retryAfter);
    }

    private static PartitionedRateLimiter<string> Buckets(int burst, int perPeriod, TimeSpan period) =>
        PartitionedRateLimiter.Create<string, string>(name => RateLimitPartition.GetTokenBucketLimiter(name, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(burst, perPeriod),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
