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
/// each one's track, the alerts, or every event in log order. Each record is returned as <paramref name="release"/>
/// gives it to the reviewer, and not at all when it gives nothing.
/// </summary>
internal sealed class ExportSource(IJournal journal, ReviewWindow window, Func<JournalRecord, JournalRecord?> release)
{
    private const int Page = 4096;

    public ReviewWindow Window => window;

    /// <summary>Records read so far, for progress.</summary>
    public long Read { get; private set; }

    public async Task<IReadOnlyList<UnitId>> UnitsAsync(CancellationToken cancellationToken)
    {
        var latest = await journal.ReadAsync(
            new JournalQuery(PositionRecorded.Kind) { Sector = window.Sector, LatestPerUnit = true, After = window.After, UpTo = window.UpTo }, cancellationToken);
        // Every unit that reported; one whose positions are all withheld has no track pages.
        return [.. latest.Select(r => ((PositionRecorded)r.Event).Unit).OrderBy(u => u.Value, StringComparer.Ordinal)];
    }

    /// <summary>The units' tracks in the window, unit after unit, each in order, a page at a time. The first pages of the
    /// next units are read on other cores while the caller writes this one, so reading keeps every core busy.</summary>
    public async IAsyncEnumerable<(UnitId Unit, IReadOnlyList<JournalRecord> Page)> TracksAsync(
        IReadOnlyList<UnitId> units, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var depth = Math.Max(2, Environment.ProcessorCount);
        var reads = new LinkedList<(int Unit, Task<IReadOnlyList<JournalRecord>> Page)>();
        var queued = 0;
        (int, Task<IReadOnlyList<JournalRecord>>) ReadPage(int unit, long after) =>
            (unit, journal.ReadTrackAsync(units[unit], after, window.UpTo, Page, cancellationToken));
        try
        {
            while (true)
            {
                while (reads.Count < depth && queued < units.Count) reads.AddLast(ReadPage(queued++, window.After));
                if (reads.First is not { Value: var (unit, read) }) yield break;
                reads.RemoveFirst();
                var page = await read;
                Read += page.Count;
                // The rest of a long track comes before the next units' pages.
                if (page.Count == Page) reads.AddFirst(ReadPage(unit, page[^1].Cursor));
                if (Released(page) is { Count: > 0 } released) yield return (units[unit], released);
            }
        }
        finally
        {
            // Reads still running when the export stops are left to finish; their pages are dropped.
            foreach (var (_, pending) in reads) _ = pending.ContinueWith(t => t.Exception, TaskScheduler.Default);
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
            .. Released(steps)
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
            yield return Released(page);
        }
    }

    private List<JournalRecord> Released(IEnumerable<JournalRecord> records) => [.. records.Select(release).OfType<JournalRecord>()];
}
