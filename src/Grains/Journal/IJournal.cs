using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Journal;

/// <summary>The append-only record of everything the hub accepted; the source of truth for every grain.</summary>
public interface IJournal
{
    /// <summary>The cursor of the last durable record (0 when empty).</summary>
    long Head { get; }

    /// <summary>Appends an event; completes once it is durable on disk, with its cursor.</summary>
    Task<JournalRecord> AppendAsync(HubEvent e, CancellationToken cancellationToken = default);

    /// <summary>A feed's records with <paramref name="after"/> &lt; cursor &lt; <paramref name="before"/>, in cursor order,
    /// at most <paramref name="limit"/> of them.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadFeedAsync(
        Feed feed, long after, long before = long.MaxValue, int limit = int.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>Records of one kind with one key column's value, in cursor order.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadAsync(JournalQuery query, CancellationToken cancellationToken = default);
}

/// <summary>A narrow lookup the grains rebuild their state from on activation.</summary>
public sealed record JournalQuery(string Kind)
{
    public SectorId? Sector { get; init; }
    public UnitId? Unit { get; init; }
    /// <summary>The pair or alert id.</summary>
    public string? Subject { get; init; }
    public long? UnitSequence { get; init; }
    /// <summary>Only the newest record per unit.</summary>
    public bool LatestPerUnit { get; init; }

    /// <summary>Only the newest record per pair or alert.</summary>
    public bool LatestPerSubject { get; init; }
    /// <summary>Newest first, at most this many.</summary>
    public int? Last { get; init; }
}
