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
        private readonly SectorId _sector;
        private readonly ISectorLogGrain _log;
        private readonly int _maxWaiting;
        private readonly Lock _lock = new();
        private List<HubEvent> _events = [];
        private List<Waiter> _waiters = [];
        private bool _sending;

        internal Outbox(SectorId sector, ISectorLogGrain log, int maxWaiting) => (_sector, _log, _maxWaiting) = (sector, log, maxWaiting);

        /// <summary>Records the events in the order given, as <see cref="ISectorLogGrain.AppendMany"/> does, and completes
        /// with their records once all are durable. Throws <see cref="OverloadedException"/> at once, taking none of them,
        /// when the silo already holds <see cref="JournalOptions.MaxPending"/> of the sector's records waiting to be sent.</summary>
        public Task<IReadOnlyList<JournalRecord>> AppendMany(IReadOnlyList<HubEvent> events)
        {
            var waiter = new Waiter(events.Count, new(TaskCreationOptions.RunContinuationsAsynchronously));
            lock (_lock)
            {
                if (_events.Count + events.Count > _maxWaiting)
                {
                    throw new OverloadedException(
                        $"sector {_sector}'s journal has {_events.Count} records waiting to be sent to its log; retry shortly.", TimeSpan.FromSeconds(1));
                }

                _events.AddRange(events);
                _waiters.Add(waiter);
                if (_sending) return waiter.Done.Task;
                _sending = true;
            }

            // Sent from the thread pool rather than in the calling grain's turn: the call carries every grain's events.
            _ = Task.Run(SendAsync);
            return waiter.Done.Task;
        }

        private async Task SendAsync()
        {
            while (true)
            {
                List<HubEvent> events;
                List<Waiter> waiters;
                lock (_lock)
                {
                    if (_events.Count == 0)
                    {
                        _sending = false;
                        return;
                    }

                    (events, _events, waiters, _waiters) = (_events, [], _waiters, []);
                }

                try
                {
                    var records = await _log.AppendMany(events);
                    var next = 0;
                    foreach (var waiter in waiters)
                    {
                        var own = new JournalRecord[waiter.Count];
                        for (var i = 0; i < own.Length; i++) own[i] = records[next++];
                        waiter.Done.TrySetResult(own);
                    }
                }
                catch (Exception e)
                {
                    foreach (var waiter in waiters) waiter.Done.TrySetException(e);
                }
            }
        }

        private sealed record Waiter(int Count, TaskCompletionSource<IReadOnlyList<JournalRecord>> Done);
    }
}
