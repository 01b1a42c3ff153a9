using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Sectors;

/// <summary>
/// A sector's status as a fold over its log: every unit's last position, the pairs, the open alerts. The live sector
/// grain and after-action review both load it with <see cref="LoadAsync"/> and fold records into it with
/// <see cref="Apply(JournalRecord)"/>, so review shows exactly what a command centre saw.
/// </summary>
public sealed class SectorView(SectorInfo sector, SectorOptions options)
{
    private static readonly Comparer<string> Ordinal = Comparer<string>.Create(string.CompareOrdinal);

    private readonly Dictionary<UnitId, JournalRecord> _positions = [];
    private readonly SortedDictionary<PairId, PairInfo> _pairs = new(Comparer<PairId>.Create((a, b) => Ordinal.Compare(a.Value, b.Value)));
    private readonly Dictionary<PairId, long> _pairCursors = [];
    private readonly SortedDictionary<AlertId, AlertInfo> _alerts = new(Comparer<AlertId>.Create((a, b) => Ordinal.Compare(a.Value, b.Value)));

    public SectorInfo Sector => sector;

    /// <summary>Every record of the log up to this cursor is folded in.</summary>
    public long Applied { get; private set; }

    /// <summary>Every pair ever proposed in the sector, dissolved ones included.</summary>
    public IReadOnlyCollection<PairInfo> Pairs => _pairs.Values;

    public IReadOnlyCollection<AlertInfo> OpenAlerts => _alerts.Values;

    /// <summary>
    /// Loads the view from the store's narrow lookups: the latest step of each pair, the latest state of each alert that
    /// can still be open at <paramref name="now"/> (an alert is open at most <paramref name="alertLifetime"/>), and each
    /// unit's last position. With <paramref name="upTo"/>, as the log stood at that cursor; without, as it stands.
    /// </summary>
    public static async Task<SectorView> LoadAsync(
        IJournal journal, SectorInfo sector, SectorOptions options, TimeSpan alertLifetime, DateTimeOffset now, long? upTo = null,
        CancellationToken cancellationToken = default)
    {
        var view = new SectorView(sector, options);
        // The head first: whatever is appended while the rest loads is newer, and folding it in again changes nothing.
        view.Applied = upTo ?? (await journal.ReadHeadAsync(sector.Id, cancellationToken)).Cursor;
        foreach (var record in await journal.ReadAsync(new JournalQuery(PairChanged.Kind) { Sector = sector.Id, LatestPerSubject = true, UpTo = upTo }, cancellationToken))
            view.ApplyPair(record);
        foreach (var record in await journal.ReadAsync(
            new JournalQuery(AlertChanged.Kind) { Sector = sector.Id, LatestPerSubject = true, Since = now - alertLifetime, UpTo = upTo }, cancellationToken))
        {
            view.Apply(((AlertChanged)record.Event).Alert);
        }

        foreach (var record in await journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Sector = sector.Id, LatestPerUnit = true, UpTo = upTo }, cancellationToken))
            view._positions[((PositionRecorded)record.Event).Unit] = record;
        return view;
    }

    /// <summary>Folds in the next record of the log.</summary>
    public void Apply(JournalRecord record)
    {
        Applied = Math.Max(Applied, record.Cursor);
        switch (record.Event)
        {
            case PositionRecorded position:
                if (!_positions.TryGetValue(position.Unit, out var known) || known.Cursor < record.Cursor) _positions[position.Unit] = record;
                break;
            case PairChanged:
                ApplyPair(record);
                break;
            case AlertChanged changed:
                Apply(changed.Alert);
                break;
        }
    }

    public void Apply(AlertInfo alert)
    {
        if (alert.IsOpen) _alerts[alert.Id] = alert;
        else _alerts.Remove(alert.Id);
    }

    /// <summary>Folds in a pair's step, unless a later step of the same pair is already in.</summary>
    public PairInfo ApplyPair(JournalRecord record)
    {
        var pair = ((PairChanged)record.Event).Pair;
        if (_pairCursors.TryGetValue(pair.Id, out var cursor) && cursor >= record.Cursor) return pair;
        _pairCursors[pair.Id] = record.Cursor;
        _pairs[pair.Id] = pair;
        return pair;
    }

    /// <summary>The status as of <see cref="Applied"/>, with units stale at <paramref name="now"/>.</summary>
    public SectorSnapshot Snapshot(DateTimeOffset now)
    {
        var covered = _pairs.Values
            .Where(p => p.State == PairState.Active)
            .Select(p => (Us: Chainage(p.Us), Mx: Chainage(p.Mx)))
            .Where(c => c.Us is not null && c.Mx is not null)
            .Select(c => new ChainageRange(Math.Min(c.Us!.Value, c.Mx!.Value) - options.CoverageRadiusKm, Math.Max(c.Us.Value, c.Mx.Value) + options.CoverageRadiusKm));
        return new SectorSnapshot(
            sector,
            [.. _positions.Values.OrderBy(r => ((PositionRecorded)r.Event).Unit.Value, StringComparer.Ordinal)],
            [.. _pairs.Values.Where(p => p.State != PairState.Dissolved).Select(WithDrift)],
            [.. _alerts.Values.OrderByDescending(a => a.Severity).ThenBy(a => a.RaisedAt)],
            [.. _positions.Where(p => now - p.Value.RecordedAt > options.StaleAfter).Select(p => p.Key).OrderBy(u => u.Value, StringComparer.Ordinal)],
            Coverage.Gaps(sector.StartKm, sector.EndKm, covered),
            Applied);
    }

    public PairInfo? Find(PairId id) => _pairs.GetValueOrDefault(id);

    public PairInfo? ActivePair(UnitId unit) => _pairs.Values.FirstOrDefault(p => p.State == PairState.Active && p.Involves(unit));

    public PairStatus WithDrift(PairInfo pair) =>
        new(pair, pair.State == PairState.Active && Chainage(pair.Us) is { } us && Chainage(pair.Mx) is { } mx ? Math.Abs(us - mx) : null);

    private double? Chainage(UnitId unit) =>
        _positions.TryGetValue(unit, out var record) ? ((PositionRecorded)record.Event).Location.ChainageKm : null;
}
