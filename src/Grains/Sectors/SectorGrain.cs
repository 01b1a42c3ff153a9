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
    private readonly DriftWatch _drift = new(options.Value);
    private SectorView _view = null!;

    /// <summary>Alerts numbered in this sector so far; the next is one more.</summary>
    private int _alertsRaised;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var sector = SectorCatalog.Default.Get(SectorId.Parse(this.GetPrimaryKeyString()));
        // An alert is open at most until it expires, so only the recent ones can be; older ones stay in the journal.
        _view = await SectorView.LoadAsync(journal, sector, options.Value, 2 * alertOptions.Value.Expiry, time.GetUtcNow(), cancellationToken: cancellationToken);
        _alertsRaised = await journal.CountSubjectsAsync(sector.Id, AlertChanged.Kind, cancellationToken);
    }

    private SectorId Id => _view.Sector.Id;

    public Task<SectorSnapshot> GetStatus() => Task.FromResult(_view.Snapshot(time.GetUtcNow()));

    public Task<PairInfo?> ActivePairOf(UnitId unit) => Task.FromResult(_view.ActivePair(unit));

    public Task<IReadOnlyList<PairStatus>> ListPairs(bool includeDissolved) => Task.FromResult<IReadOnlyList<PairStatus>>(
        [.. _view.Pairs.Where(p => includeDissolved || p.State != PairState.Dissolved).Select(_view.WithDrift)]);

    public async Task<IReadOnlyList<AlertInfo>> ListAlerts(bool openOnly)
    {
        if (openOnly) return [.. _view.OpenAlerts];
        var all = await journal.ReadAsync(new JournalQuery(AlertChanged.Kind) { Sector = Id, LatestPerSubject = true });
        return [.. all.Select(r => ((AlertChanged)r.Event).Alert).OrderBy(a => a.Id.Value, StringComparer.Ordinal)];
    }

    public async Task<PairStatus> ProposePair(UnitId us, UnitId mx, Identity by)
    {
        if (us.Nation != Nation.US) throw new DomainValidationException("us_unit", $"{us} is not a U.S. unit; a pair joins one U.S. and one Mexican unit.");
        if (mx.Nation != Nation.MX) throw new DomainValidationException("mx_unit", $"{mx} is not a Mexican unit; a pair joins one U.S. and one Mexican unit.");
        foreach (var unit in new[] { us, mx })
        {
            if (unit.Sector != Id) throw new DomainValidationException("unit", $"{unit} belongs to sector {unit.Sector}, not {Id}.");
            EnsureUnpaired(unit);
        }

        var id = PairId.Create(Id, _view.Pairs.Count + 1);
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
        if (batch.Last <= _view.Applied) return;
        while (_view.Applied < batch.After)
        {
            // A batch went missing on its way here: read what it held from the log.
            var missed = await journal.ReadFeedAsync(Feed.ForSector(Id), _view.Applied, batch.After, limit: 1000);
            if (missed.Count == 0)
                throw new InvalidOperationException($"sector {Id}'s log has no records after {_view.Applied}, though a batch after {batch.After} was published.");
            foreach (var record in missed) await ApplyAsync(record);
        }

        foreach (var record in batch.Records)
        {
            if (record.Cursor > _view.Applied) await ApplyAsync(record);
        }
    }

    public async Task<AlertChanged> RaiseAlert(AlertReport report, Identity by, string? traceParent)
    {
        var partner = by.Unit is { } unit ? _view.ActivePair(unit)?.PartnerOf(unit) : null;
        var raised = await GrainFactory.Alert(AlertId.Create(Id, _alertsRaised + 1)).Raise(report, by, partner, traceParent);
        _alertsRaised++;
        _view.Apply(raised.Alert);
        return raised;
    }

    private async Task ApplyAsync(JournalRecord record)
    {
        _view.Apply(record);
        switch (record.Event)
        {
            case PositionRecorded { Pair: { } pairId, DriftKm: { } drift } when _view.Find(pairId) is { State: PairState.Active } pair
                && _drift.Observe(pair, drift, record.RecordedAt) is { } warning:
                await GrainFactory.SectorLog(Id).Append(warning);
                break;
            case PairChanged { Pair.State: PairState.Dissolved } dissolved:
                _drift.Forget(dissolved.Pair.Id);
                break;
        }
    }

    /// <summary>A pairing step this grain made: folded in at once (the rules that span pairs need it) and told to both
    /// units before the caller is answered.</summary>
    private async Task<PairStatus> ApplyStepAsync(JournalRecord record)
    {
        var pair = _view.ApplyPair(record);
        if (pair.State == PairState.Dissolved) _drift.Forget(pair.Id);
        await Task.WhenAll(GrainFactory.Unit(pair.Us).OnPairChanged(record), GrainFactory.Unit(pair.Mx).OnPairChanged(record));
        return _view.WithDrift(_view.Find(pair.Id)!);
    }

    private PairInfo Get(PairId id)
    {
        if (id.Sector != Id) throw new DomainValidationException("pair_id", $"pair {id} is not in sector {Id}.");
        return _view.Find(id) ?? throw new DomainNotFoundException($"pair {id} does not exist.");
    }

    private void EnsureUnpaired(UnitId unit)
    {
        if (_view.ActivePair(unit) is { } active)
            throw new DomainConflictException($"{unit} is already in active pair {active.Id}; dissolve it first.");
    }
}
