using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PatrolHub.Grains.Telemetry;

/// <summary>The hub's own instruments, under the meter and activity source named <see cref="Name"/>.</summary>
public static class HubMetrics
{
    public const string Name = "PatrolHub";

    public static readonly ActivitySource Activity = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> PositionsAccepted =
        Meter.CreateCounter<long>("patrolhub.positions.accepted", description: "Position updates durably recorded.");

    public static readonly Histogram<double> AckLatency =
        Meter.CreateHistogram<double>("patrolhub.ack.latency", "ms", "From receiving a position to acknowledging it (includes the journal commit).");

    public static readonly Histogram<double> DeliveryLatency =
        Meter.CreateHistogram<double>("patrolhub.delivery.latency", "ms", "From recording an event to writing it to a subscriber's stream.");

    public static readonly Histogram<double> CommitLatency =
        Meter.CreateHistogram<double>("patrolhub.journal.commit.latency", "ms", "One journal group commit, fsync included.");

    public static readonly Histogram<int> CommitBatchSize =
        Meter.CreateHistogram<int>("patrolhub.journal.commit.batch_size", "{record}", "Records made durable by one group commit.");

    public static readonly Counter<long> AlertTransitions =
        Meter.CreateCounter<long>("patrolhub.alerts.transitions", description: "Alert steps recorded, tagged with the transition (raised, escalated, resolved, ...).");

    public static readonly UpDownCounter<long> OpenAlerts =
        Meter.CreateUpDownCounter<long>("patrolhub.alerts.open", description: "Alerts raised and not yet resolved or expired, by this hub instance's alert grains.");

    public static readonly Counter<long> Coalesced =
        Meter.CreateCounter<long>("patrolhub.queue.coalesced", description: "Positions replaced in a subscriber's queue by a newer one from the same unit.");

    public static readonly Counter<long> AdmissionRefusals =
        Meter.CreateCounter<long>("patrolhub.admission.refusals", description: "Connections, handshakes and streams refused at the edge, tagged with the limit.");

    public static readonly Counter<long> Overflows =
        Meter.CreateCounter<long>("patrolhub.queue.overflows", description: "Subscriber streams ended because an event that may not be dropped did not fit their queue.");

    public static readonly Counter<long> CatchUps =
        Meter.CreateCounter<long>("patrolhub.feed.catch_ups", description: "Times a hub instance's subscriptions to a sector were sent to read from the journal because records did not arrive live, tagged with why (gap, renewal).");
}
