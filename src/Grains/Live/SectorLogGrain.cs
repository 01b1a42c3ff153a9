using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Sectors;

namespace PatrolHub.Grains.Live;

/// <remarks>Reentrant: appends arriving while one batch is being stored wait together for the next, so one store
/// append (one fsync) carries as many records as arrived meanwhile. The batches are stored on the grain's own
/// scheduler, so the head needs no lock.</remarks>
[Reentrant]
public sealed partial class SectorLogGrain(IJournal journal, TimeProvider time, IOptions<JournalOptions> options, ILogger<SectorLogGrain> logger)
    : Grain, ISectorLogGrain
{
    /// <summary>How long a subscription lives without renewal.</summary>
    public static readonly TimeSpan SubscriptionExpiry = TimeSpan.FromMinutes(2);

    private const int ConflictRetries = 3;
    private readonly JournalOptions _options = options.Value;
    private readonly ObserverManager<ILogObserver> _observers = new(SubscriptionExpiry, logger);
    private GroupCommit<HubEvent, JournalRecord> _appends = null!;
    private SectorId _sector;
    private ISectorGrain? _sectorGrain;
    private LogHead _head = LogHead.Empty;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _sector = SectorId.Parse(this.GetPrimaryKeyString());
        // The sector grain is told of every batch; the security log has none.
        if (_sector != SecurityEvent.Log) _sectorGrain = GrainFactory.Sector(_sector);
        _head = await journal.ReadHeadAsync(_sector, cancellationToken);
        _appends = new(
            StoreAsync, _options.MaxBatch, _options.MaxPending,
            waiting => new OverloadedException($"sector {_sector}'s journal has {waiting} records waiting to be stored; retry shortly.", TimeSpan.FromSeconds(1)),
            fromThreadPool: false);
    }

    public async Task<JournalRecord> Append(HubEvent e) => (await Enqueue([e]))[0];

    public async Task<IReadOnlyList<JournalRecord>> AppendMany(IReadOnlyList<HubEvent> events) => await Enqueue(events);

    private Task<JournalRecord[]> Enqueue(IReadOnlyList<HubEvent> events)
    {
        if (events.FirstOrDefault(e => e.Keys().Sector != _sector) is { } stray)
            throw new ArgumentException($"a {stray.Keys().Sector} event does not belong in sector {_sector}'s log.", nameof(events));
        return _appends.Append(events);
    }

    public Task<LogSubscription> Subscribe(ILogObserver observer)
    {
        var known = _observers.Observers.ContainsKey(observer);
        _observers.Subscribe(observer, observer);
        return Task.FromResult(new LogSubscription(known, _head.Cursor));
    }

    public Task Unsubscribe(ILogObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    /// <summary>Stores one batch after the head and publishes it; its appends complete after that. A conflict means
    /// another writer appended: reload the head and seal the batch again after it.</summary>
    private async Task<IReadOnlyList<JournalRecord>> StoreAsync(List<HubEvent> batch)
    {
        var recordedAt = JournalSerializer.FromMicros(JournalSerializer.ToMicros(time.GetUtcNow()));
        for (var attempt = 1; ; attempt++)
        {
            var records = new SealedRecord[batch.Count];
            var head = _head;
            for (var i = 0; i < batch.Count; i++) head = (records[i] = SealedRecord.After(head, recordedAt, batch[i])).Head;
            try
            {
                await journal.AppendAsync(_sector, _head, records);
            }
            catch (LogConflictException e) when (attempt < ConflictRetries)
            {
                Log.Conflict(logger, _sector, e.Message);
                await ReloadHeadAsync();
                continue;
            }
            catch
            {
                await ReloadHeadAsync();
                throw;
            }

            _head = head;
            var published = new LogBatch(_sector, records[0].Record.Cursor - 1, [.. records.Select(r => r.Record)]);
            _ = _observers.Notify(o => o.OnBatch(published));
            if (_sectorGrain is not null) _ = _sectorGrain.OnBatch(published);
            return published.Records;
        }
    }

    private async Task ReloadHeadAsync()
    {
        try
        {
            _head = await journal.ReadHeadAsync(_sector);
        }
        catch (Exception e)
        {
            // The store is away; the next append is fenced against the real head anyway.
            Log.HeadUnreadable(logger, e, _sector);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Sector {Sector}'s log was appended to by another writer ({Reason}); reloaded its head")]
        public static partial void Conflict(ILogger logger, SectorId sector, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Sector {Sector}'s log head could not be read")]
        public static partial void HeadUnreadable(ILogger logger, Exception exception, SectorId sector);
    }
}
