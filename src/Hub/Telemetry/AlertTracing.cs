using System.Diagnostics;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Hub.Telemetry;

/// <summary>Deliveries of an alert are spans of the trace its raise started.</summary>
internal static class AlertTracing
{
    public static Activity? StartDelivery(JournalRecord record, string subscriber)
    {
        if (record.Event is not AlertChanged { Alert.TraceParent: { } parent } changed) return null;
        var span = HubMetrics.Activity.StartActivity("alert.deliver", ActivityKind.Producer, parent);
        span?.SetTag("patrolhub.alert", changed.Alert.Id.Value);
        span?.SetTag("patrolhub.transition", changed.Transition.Name());
        span?.SetTag("patrolhub.subscriber", subscriber);
        return span;
    }
}
