using System.Runtime.CompilerServices;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Review;

/// <summary>One alert's life in a window: every step, oldest first.</summary>
internal sealed record AlertHistory(IReadOnlyList<(JournalRecord Record, AlertChanged Step)> Steps)
{
    public AlertInfo Latest => Steps[^1].Step.Alert;
}

/// <summary>
/// What an export reads, a page at a time so memory stays flat whatever the window: the units that reported in it and
/// each one's track, the alerts, or every event in log order. Only what the reviewer may see is returned.
/// </summary>
internal sealed class ExportSource(IJournal journal, ReviewWindow window, Func<JournalRecord, bool> visible)
{
    private const int Page = 4096;

    public ReviewWindow Window => window;

    /// <summary>Records read so far, for progress.</summary>
    public long Read { get; private set; }

    public async Task<IReadOnlyList<UnitId>> UnitsAsync(CancellationToken cancellationToken)
    {
        var latest = await journal.ReadAsync(
            new JournalQuery(PositionRecorded.Kind) { Sector = window.Sector, LatestPerUnit = true, After = window.After, UpTo = window.UpTo }, cancellationToken);
        return [.. latest.Where(visible).Select(r => ((PositionRecorded)r.Event).Unit).OrderBy(u => u.Value, StringComparer.Ordinal)];
    }

    /// <summary>A unit's positions in the window, in order, a page at a time.</summary>
    public async IAsyncEnumerable<IReadOnlyList<JournalRecord>> TrackAsync(UnitId unit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = window.After;
        while (true)
        {
            var page = await journal.ReadAsync(
                new JournalQuery(PositionRecorded.Kind) { Sector = window.Sector, Unit = unit, After = after, UpTo = window.UpTo, Limit = Page }, cancellationToken);
            if (page.Count == 0) yield break;
            Read += page.Count;
            after = page[^1].Cursor;
            yield return [.. page.Where(visible)];
        }
    }

    /// <summary>Every alert with a step in the window; alerts are few beside positions, so they are read at once.</summary>
    public async Task<IReadOnlyList<AlertHistory>> AlertsAsync(CancellationToken cancellationToken)
    {
        var steps = await journal.ReadAsync(
            new JournalQuery(AlertChanged.Kind) { Sector = window.Sector, After = window.After, UpTo = window.UpTo }, cancellationToken);
        Read += steps.Count;
        return
        [
            .. steps.Where(visible)
                .GroupBy(r => ((AlertChanged)r.Event).Alert.Id)
                .Select(g => new AlertHistory([.. g.Select(r => (r, (AlertChanged)r.Event))]))
                .OrderBy(a => a.Latest.Id.Value, StringComparer.Ordinal),
        ];
    }

    /// <summary>Every event in the window in log order, a page at a time.</summary>
    public async IAsyncEnumerable<IReadOnlyList<JournalRecord>> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = window.After;
        while (after < window.UpTo)
        {
            var page = await journal.ReadFeedAsync(Feed.ForSector(window.Sector), after, window.UpTo, Page, cancellationToken);
            if (page.Count == 0) yield break;
            Read += page.Count;
            after = page[^1].Cursor;
            yield return [.. page.Where(visible)];
        }
    }
}
