using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Alerts;

/// <summary>One interdiction alert, keyed by its <see cref="AlertId"/>. Every step is journaled before it returns and
/// then delivered through the sector; escalation and expiry deadlines are re-armed from the journal on activation.</summary>
[Alias("patrolhub.alert")]
public interface IAlertGrain : IGrainWithStringKey
{
    /// <summary>Called by the sector, which numbers alerts and knows the raising unit's partner.</summary>
    [Alias("raise")]
    Task<AlertChanged> Raise(AlertReport report, Identity by, UnitId? partner, string? traceParent);

    [Alias("acknowledge")]
    Task<AlertChanged> Acknowledge(Identity by);

    [Alias("respond")]
    Task<AlertChanged> Respond(Identity by);

    [Alias("resolve")]
    Task<AlertChanged> Resolve(Identity by, AlertOutcome? outcome);

    [ReadOnly, AlwaysInterleave, Alias("get")]
    Task<AlertInfo> GetAlert();

    /// <summary>Activates the grain so that its deadlines are armed (after a restart).</summary>
    [Alias("wake")]
    Task Wake();

    /// <summary>Escalates or expires the alert if a deadline has passed.</summary>
    [Alias("check-deadlines")]
    Task CheckDeadlines();
}
