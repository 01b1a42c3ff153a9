using PatrolHub.Hub.Mapping;
using Google.Protobuf.WellKnownTypes;
using PatrolHub.Grains;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Hub.Review;

/// <summary>What a review asks for: a span of one sector's log, by the times its records were made, as the cursors
/// <see cref="After"/> (exclusive) to <see cref="UpTo"/> (inclusive).</summary>
internal sealed record ReviewWindow(SectorId Sector, DateTimeOffset From, DateTimeOffset To, long After, long UpTo)
{
    /// <summary>Records in the window, every kind and every unit.</summary>
    public long Records => UpTo - After;

    public static async Task<ReviewWindow> ResolveAsync(
        IJournal journal, string sector, Timestamp? from, Timestamp? to, TimeSpan maxWindow, CancellationToken cancellationToken)
    {
        var id = SectorCatalog.Default.Get(sector).Id;
        var start = Fields.Instant(from, "from");
        var end = Fields.Instant(to, "to");
        if (start > end) throw new DomainValidationException("from", $"from ({start:u}) is after to ({end:u}).");
        if (end - start > maxWindow)
            throw new DomainValidationException("to", $"the window from {start:u} to {end:u} is longer than the longest allowed, {maxWindow} (Review:MaxWindow); ask for a shorter one.");
        var after = await CursorBeforeAsync(journal, id, start, cancellationToken);
        var upTo = await journal.CursorAtAsync(id, end, cancellationToken);
        return new ReviewWindow(id, start, end, after, Math.Max(after, upTo));
    }

    /// <summary>The last cursor of a log recorded before <paramref name="instant"/>: where reading from that instant
    /// starts. Record times are whole microseconds, so one microsecond earlier is "before".</summary>
    public static Task<long> CursorBeforeAsync(IJournal journal, SectorId log, DateTimeOffset instant, CancellationToken cancellationToken) =>
        journal.CursorAtAsync(log, instant.AddTicks(-10), cancellationToken);
}
