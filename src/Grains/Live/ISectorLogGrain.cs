using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Live;

/// <summary>
/// A sector's log, keyed by the sector code: the one writer of the sector's records. It gives each event the next
/// cursor and its hash, makes many events durable in one append, and then publishes them in cursor order to the
/// sector grain and to every subscribed hub instance. Orleans keeps one activation per sector; the store fences it.
/// </summary>
[Alias("patrolhub.sector-log")]
public interface ISectorLogGrain : IGrainWithStringKey
{
    /// <summary>Records an event; completes once it is durable, with its cursor. Throws
    /// <see cref="Grains.OverloadedException"/> when the log already holds too much waiting for the store.</summary>
    [Alias("append")]
    Task<JournalRecord> Append(HubEvent e);

    /// <summary>Records events in the order given, at consecutive cursors unless others' appends fall between;
    /// completes once all are durable. The caller does not change <paramref name="events"/> afterwards, so Orleans
    /// does not copy it.</summary>
    [Alias("append-many")]
    Task<IReadOnlyList<JournalRecord>> AppendMany([Immutable] IReadOnlyList<HubEvent> events);

    /// <summary>Subscribes a hub instance's observer, or renews it. Says whether the log already knew it (a log that
    /// did not may have published batches it missed) and the log's last durable cursor.</summary>
    [AlwaysInterleave, Alias("subscribe")]
    Task<LogSubscription> Subscribe(ILogObserver observer);

    [AlwaysInterleave, Alias("unsubscribe")]
    Task Unsubscribe(ILogObserver observer);
}

/// <summary>Held by a hub instance for the streams it serves; the log pushes each committed batch to it.</summary>
[Alias("patrolhub.log-observer")]
public interface ILogObserver : IGrainObserver
{
    [OneWay, Alias("on-batch")]
    Task OnBatch(LogBatch batch);
}

/// <summary>Consecutive records of one sector's log, the first of them at cursor <see cref="After"/> + 1.</summary>
[GenerateSerializer, Immutable]
public sealed record LogBatch([property: Id(0)] Ids.SectorId Sector, [property: Id(1)] long After, [property: Id(2)] IReadOnlyList<JournalRecord> Records)
{
    public long Last => After + Records.Count;
}

[GenerateSerializer, Immutable]
public sealed record LogSubscription([property: Id(0)] bool Known, [property: Id(1)] long Head);
