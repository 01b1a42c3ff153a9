using System.Diagnostics;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;
using PatrolHub.Hub.Admission;
using PatrolHub.Hub.Mapping;
using PatrolHub.Hub.Security;
using PatrolHub.V1;

namespace PatrolHub.Hub.Alerts;

/// <summary>Alert requests as both services take them: a command's unary call and a unit's stream.</summary>
internal static class AlertRequests
{
    public static Task<AlertChanged> RaiseAsync(IGrainFactory grains, CallerLimits limits, Identity caller, RaiseAlertRequest request)
    {
        var sector = SectorCatalog.Default.Get(request.Sector).Id;
        Access.Demand(caller, Operation.RaiseAlert, sector);
        limits.AlertRaise(caller);
        // The raise's trace context travels with the alert, so every later step joins the same trace.
        return grains.Sector(sector).RaiseAlert(AlertMapper.ToDomain(request), caller, Activity.Current?.Id);
    }

    /// <summary>The alert as the caller who raised or acted on it is given it.</summary>
    public static Alert Reply(Releases releases, Identity caller, AlertChanged changed) =>
        AlertMapper.ToProto(changed with { Alert = releases.Deliver(caller, changed.Alert, "reply") ?? changed.Alert });

    /// <summary>Acts on an alert the caller is given; whether it may act at all, the alert grain decides.</summary>
    public static async Task<AlertChanged> ActAsync(IGrainFactory grains, Releases releases, Identity caller, string alertId, Func<IAlertGrain, Task<AlertChanged>> act)
    {
        var alert = grains.Alert(AlertId.Parse(alertId));
        releases.DemandGiven(caller, await alert.GetAlert());
        return await act(alert);
    }

    public static Task<AlertChanged> ActAsync(IGrainFactory grains, Releases releases, Identity caller, AlertAction action) => action.Kind switch
    {
        AlertAction.Types.Kind.Acknowledge => ActAsync(grains, releases, caller, action.AlertId, a => a.Acknowledge(caller)),
        AlertAction.Types.Kind.Respond => ActAsync(grains, releases, caller, action.AlertId, a => a.Respond(caller)),
        _ => throw new Grains.DomainValidationException("kind", "an alert action is acknowledge or respond."),
    };
}
