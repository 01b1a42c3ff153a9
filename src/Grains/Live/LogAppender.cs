using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Live;

/// <summary>
/// A silo's way into the sector logs for its unit grains' positions. Appends that arrive while the silo's call to a
/// sector's log is in flight wait, and go together in its next call: a sector with thousands of units reporting costs
/// its log one call per commit from each silo, not one call per unit, which is half the grain messages of a position.
/// </summary>
public sealed class LogAppender(IGrainFactory grains, IOptions<JournalOptions> options)
{
    private readonly ConcurrentDictionary<SectorId, Outbox> _outboxes = new();

    /// <summary>The sector's outbox, the same one for every grain of the silo.</summary>
    public Outbox For(SectorId sector) => _outboxes.GetOrAdd(sector, s => new Outbox(s, grains.SectorLog(s), options.Value.MaxPending));

    public sealed class Outbox
    {
        private readonly GroupCommit<HubEvent, JournalRecord> _calls;

        // Sent from the thread pool rather than in the turn of the grain whose append started it: each call carries
        // every grain's events.
        internal Outbox(SectorId sector, ISectorLogGrain log, int maxWaiting) => _calls = new(
            async events => await log.AppendMany(events), int.MaxValue, maxWaiting,
            waiting => new OverloadedException($"sector {sector}'s journal has {waiting} records waiting to be sent to its log; retry shortly.", TimeSpan.FromSeconds(1)),
            fromThreadPool: true);

        /// <summary>Records the events in the order given, as <see cref="ISectorLogGrain.AppendMany"/> does, and completes
        /// with their records once all are durable. Throws <see cref="OverloadedException"/> at once, taking none of them,
        /// when the silo already holds <see cref="JournalOptions.MaxPending"/> of the sector's records waiting to be sent.</summary>
        public Task<JournalRecord[]> AppendMany(IReadOnlyList<HubEvent> events) => _calls.Append(events);
    }
}
