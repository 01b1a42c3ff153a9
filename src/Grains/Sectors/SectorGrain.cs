using Microsoft.Extensions.Options;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Sectors;

/// <summary>A sector's live view: a fold over its log, fed each committed batch in cursor order.</summary>
public sealed class SectorGrain(IJournal journal, TimeProvider time, IOptions<SectorOptions> options, IOptions<AlertOptions> alertOptions)
    : Grain, ISectorGrain
{
    private readonly SectorOptions _options = options.Value;
    private readonly Dictionary<UnitId, JournalRecord> _positions = [];
    private readonly SortedDictionary<PairId, PairInfo> _pairs = new(Comparer<PairId>.Create((a, b) => string.CompareOrdinal(a.Value, b.Value)));
    private readonly Dictionary<PairId, long> _pairCursors = [];
    /// <summary>The open alerts; closed ones are in the journal.</summary>
    private readonly SortedDictionary<AlertId, AlertInfo> _alerts = new(Comparer<AlertId>.Create((a, b) => string.CompareOrdinal(a.Value, b.Value)));
    private readonly DriftWatch _drift = new(options.Value);
    private SectorInfo _sector = null!;

    /// <summary>Every record of the log up to this cursor is folded in.</summary>
    private long _applied;

    /// <summary>Alerts numbered in this sector so far; the next is one more.</summary>
    private int _alertsRaised;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _sector = SectorCatalog.Default.Get(SectorId.Parse(this.GetPrimaryKeyString()));
        // The head first: whatever is appended while the rest loads arrives in batches and is folded in again.
        _applied = (await journal.ReadHeadAsync(_sector.Id, cancellationToken)).Cursor;
        foreach (var record in await journal.ReadAsync(new JournalQuery(PairChanged.Kind) { Sector = _sector.Id, LatestPerSubject = true }, cancellationToken))
            ApplyPair(record);

        // An alert is open at most until it expires, so only the recent ones can be; older ones stay in the journal.
        _alertsRaised = await journal.CountSubjectsAsync(_sector.Id, AlertChanged.Kind, cancellationToken);
        var openSince = time.GetUtcNow() - (2 * alertOptions.Value.Expiry);
        foreach (var record in await journal.ReadAsync(
            new JournalQuery(AlertChanged.Kind) { Sector = _sector.Id, LatestPerSubject = true, Since = openSince }, cancellationToken))
        {
            Apply(((AlertChanged)record.Event).Alert);
        }

        foreach (var record in await journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Sector = _sector.Id, LatestPerUnit = true }, cancellationToken))
            _positions[((PositionRecorded)record.Event).Unit] = record;
    }

    public Task<SectorSnapshot> GetStatus()
    {
        var now = time.GetUtcNow();
        var active = _pairs.Values.Where(p => p.State == PairState.Active).ToList();
        var covered = active
            .Select(p => (Us: Chainage(p.Us), Mx: Chainage(p.Mx)))
            .Where(c => c.Us is not null && c.Mx is not null)
            .Select(c => new ChainageRange(Math.Min(c.Us!.Value, c.Mx!.Value) - _options.CoverageRadiusKm, Math.Max(c.Us.Value, c.Mx.Value) + _options.CoverageRadiusKm));
        return Task.FromResult(new SectorSnapshot(
            _sector,
            [.. _positions.Values.OrderBy(r => ((PositionRecorded)r.Event).Unit.Value, StringComparer.Ordinal)],
            [.. _pairs.Values.Where(p => p.State != PairState.Dissolved).Select(WithDrift)],
            [.. _alerts.Values.OrderByDescending(a => a.Severity).ThenBy(a => a.RaisedAt)],
            [.. _positions.Where(p => now - p.Value.RecordedAt > _options.StaleAfter).Select(p => p.Key).OrderBy(u => u.Value, StringComparer.Ordinal)],
            Coverage.Gaps(_sector.StartKm, _sector.EndKm, covered),
            _applied));
    }

    public Task<PairInfo?> ActivePairOf(UnitId unit) => Task.FromResult(ActivePair(unit));

    public Task<IReadOnlyList<PairStatus>> ListPairs(bool includeDissolved) => Task.FromResult<IReadOnlyList<PairStatus>>(
        [.. _pairs.Values.Where(p => includeDissolved || p.State != PairState.Dissolved).Select(WithDrift)]);

    public async Task<IReadOnlyList<AlertInfo>> ListAlerts(bool openOnly)
    {
        if (openOnly) return [.. _alerts.Values];
        var all = await journal.ReadAsync(new JournalQuery(AlertChanged.Kind) { Sector = _sector.Id, LatestPerSubject = true });
        return [.. all.Select(r => ((AlertChanged)r.Event).Alert).OrderBy(a => a.Id.Value, StringComparer.Ordinal)];
    }

    public async Task<PairStatus> ProposePair(UnitId us, UnitId mx, Identity by)
    {
        if (us.Nation != Nation.US) throw new DomainValidationException("us_unit", $"{us} is not a U.S. unit; a pair joins one U.S. and one Mexican unit.");
        if (mx.Nation != Nation.MX) throw new DomainValidationException("mx_unit", $"{mx} is not a Mexican unit; a pair joins one U.S. and one Mexican unit.");
        foreach (var unit in new[] { us, mx })
        {
            if (unit.Sector != _sector.Id) throw new DomainValidationException("unit", $"{unit} belongs to sector {unit.Sector}, not {_sector.Id}.");
            EnsureUnpaired(unit);
        }

        var id = PairId.Create(_sector.Id, _pairs.Count + 1);
        return await ApplyStepAsync(await GrainFactory.Pair(id).Propose(us, mx, by));
    }

    public async Task<PairStatus> AcceptPair(PairId id, Identity by)
    {
        var pair = Get(id);
        if (pair.State == PairState.Proposed)
        {
            EnsureUnpaired(pair.Us);
            EnsureUnpaired(pair.Mx);
        }

        return await ApplyStepAsync(await GrainFactory.Pair(id).Accept(by));
    }

    public async Task<PairStatus> DissolvePair(PairId id, Identity by)
    {
        Get(id);
        return await ApplyStepAsync(await GrainFactory.Pair(id).Dissolve(by));
    }

    public async Task OnBatch(LogBatch batch)
    {
        if (batch.Last <= _applied) return;
        while (_applied < batch.After)
        {
            // A batch went missing on its way here: read what it held from the log.
            var missed = await journal.ReadFeedAsync(Feed.ForSector(_sector.Id), _applied, batch.After, limit: 1000);
            if (missed.Count == 0)
                throw new InvalidOperationException($"sector {_sector.Id}'s log has no records after {_applied}, though a batch after {batch.After} was published.");
            foreach (var record in missed) await ApplyAsync(record);
        }

        foreach (var record in batch.Records)
        {
            if (record.Cursor > _applied) await ApplyAsync(record);
        }
    }

    public async Task<AlertChanged> RaiseAlert(AlertReport report, Identity by, string? traceParent)
    {
        var partner = by.Unit is { } unit ? ActivePair(unit)?.PartnerOf(unit) : null;
        var raised = await GrainFactory.Alert(AlertId.Create(_sector.Id, _alertsRaised + 1)).Raise(report, by, partner, traceParent);
        _alertsRaised++;
        Apply(raised.Alert);
        return raised;
    }

    private async Task ApplyAsync(JournalRecord record)
    {
        _applied = record.Cursor;
        switch (record.Event)
        {
            case PositionRecorded position:
                if (!_positions.TryGetValue(position.Unit, out var known) || known.Cursor < record.Cursor) _positions[position.Unit] = record;
                if (position is { Pair: { } pairId, DriftKm: { } drift } && _pairs.TryGetValue(pairId, out var pair) && pair.State == PairState.Active
                    && _drift.Observe(pair, drift, record.RecordedAt) is { } warning)
                {
                    await GrainFactory.SectorLog(_sector.Id).Append(warning);
                }

                break;
            case PairChanged:
                ApplyPair(record);
                break;
            case AlertChanged changed:
                Apply(changed.Alert);
                break;
        }
    }

    private void Apply(AlertInfo alert)
    {
        if (alert.IsOpen) _alerts[alert.Id] = alert;
        else _alerts.Remove(alert.Id);
    }

    /// <summary>A pairing step this grain made: folded in at once (the rules that span pairs need it) and told to both
    /// units before the caller is answered.</summary>
    private async Task<PairStatus> ApplyStepAsync(JournalRecord record)
    {
        var pair = ApplyPair(record);
        await Task.WhenAll(GrainFactory.Unit(pair.Us).OnPairChanged(record), GrainFactory.Unit(pair.Mx).OnPairChanged(record));
        return WithDrift(_pairs[pair.Id]);
    }

    /// <summary>Folds in a pair's step, unless a later step of the same pair is already in.</summary>
    private PairInfo ApplyPair(JournalRecord record)
    {
        var pair = ((PairChanged)record.Event).Pair;
        if (_pairCursors.TryGetValue(pair.Id, out var cursor) && cursor >= record.Cursor) return pair;
        _pairCursors[pair.Id] = record.Cursor;
        _pairs[pair.Id] = pair;
        if (pair.State == PairState.Dissolved) _drift.Forget(pair.Id);
        return pair;
    }

    private PairInfo Get(PairId id)
    {
        if (id.Sector != _sector.Id) throw new DomainValidationException("pair_id", $"pair {id} is not in sector {_sector.Id}.");
        return _pairs.TryGetValue(id, out var pair) ? pair : throw new DomainNotFoundException($"pair {id} does not exist.");
    }

    private void EnsureUnpaired(UnitId unit)
    {
        if (ActivePair(unit) is { } active)
            throw new DomainConflictException($"{unit} is already in active pair {active.Id}; dissolve it first.");
    }

    private PairInfo? ActivePair(UnitId unit) => _pairs.Values.FirstOrDefault(p => p.State == PairState.Active && p.Involves(unit));

    private double? Chainage(UnitId unit) =>
        _positions.TryGetValue(unit, out var record) ? ((PositionRecorded)record.Event).Location.ChainageKm : null;

    private PairStatus WithDrift(PairInfo pair) =>
        new(pair, pair.State == PairState.Active && Chainage(pair.Us) is { } us && Chainage(pair.Mx) is { } mx ? Math.Abs(us - mx) : null);
}
