using Microsoft.Extensions.Logging;
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

public sealed class SectorGrain(IJournal journal, TimeProvider time, IOptions<SectorOptions> options, ILogger<SectorGrain> logger)
    : FeedGrain(logger), ISectorGrain
{
    private readonly SectorOptions _options = options.Value;
    private readonly Dictionary<UnitId, JournalRecord> _positions = [];
    private readonly HashSet<UnitId> _units = [];
    private readonly SortedDictionary<PairId, PairInfo> _pairs = new(Comparer<PairId>.Create((a, b) => string.CompareOrdinal(a.Value, b.Value)));
    private readonly SortedDictionary<AlertId, AlertInfo> _alerts = new(Comparer<AlertId>.Create((a, b) => string.CompareOrdinal(a.Value, b.Value)));
    private readonly DriftWatch _drift = new(options.Value);
    private SectorInfo _sector = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _sector = SectorCatalog.Default.Get(SectorId.Parse(this.GetPrimaryKeyString()));
        foreach (var record in await journal.ReadAsync(new JournalQuery(PairChanged.Kind) { Sector = _sector.Id, LatestPerSubject = true }, cancellationToken))
        {
            var pair = ((PairChanged)record.Event).Pair;
            _pairs[pair.Id] = pair;
        }

        foreach (var record in await journal.ReadAsync(new JournalQuery(AlertChanged.Kind) { Sector = _sector.Id, LatestPerSubject = true }, cancellationToken))
        {
            var alert = ((AlertChanged)record.Event).Alert;
            _alerts[alert.Id] = alert;
        }

        foreach (var record in await journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Sector = _sector.Id, LatestPerUnit = true }, cancellationToken))
        {
            var unit = ((PositionRecorded)record.Event).Unit;
            _positions[unit] = record;
            _units.Add(unit);
        }
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
            [.. _alerts.Values.Where(a => a.IsOpen).OrderByDescending(a => a.Severity).ThenBy(a => a.RaisedAt)],
            [.. _positions.Where(p => now - p.Value.RecordedAt > _options.StaleAfter).Select(p => p.Key).OrderBy(u => u.Value, StringComparer.Ordinal)],
            Coverage.Gaps(_sector.StartKm, _sector.EndKm, covered),
            journal.Head));
    }

    public Task<PairInfo?> ActivePairOf(UnitId unit) => Task.FromResult(ActivePair(unit));

    public Task<IReadOnlyList<PairStatus>> ListPairs(bool includeDissolved) => Task.FromResult<IReadOnlyList<PairStatus>>(
        [.. _pairs.Values.Where(p => includeDissolved || p.State != PairState.Dissolved).Select(WithDrift)]);

    public Task<IReadOnlyList<AlertInfo>> ListAlerts(bool openOnly) =>
        Task.FromResult<IReadOnlyList<AlertInfo>>([.. _alerts.Values.Where(a => !openOnly || a.IsOpen)]);

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
        return await ApplyAsync(await GrainFactory.Pair(id).Propose(us, mx, by));
    }

    public async Task<PairStatus> AcceptPair(PairId id, Identity by)
    {
        var pair = Get(id);
        if (pair.State == PairState.Proposed)
        {
            EnsureUnpaired(pair.Us);
            EnsureUnpaired(pair.Mx);
        }

        return await ApplyAsync(await GrainFactory.Pair(id).Accept(by));
    }

    public async Task<PairStatus> DissolvePair(PairId id, Identity by)
    {
        Get(id);
        return await ApplyAsync(await GrainFactory.Pair(id).Dissolve(by));
    }

    public async Task OnPosition(JournalRecord record)
    {
        var position = (PositionRecorded)record.Event;
        if (!_positions.TryGetValue(position.Unit, out var known) || known.Cursor < record.Cursor) _positions[position.Unit] = record;
        _units.Add(position.Unit);
        Publish(record);
        if (position is { Pair: { } pairId, DriftKm: { } drift } && _pairs.TryGetValue(pairId, out var pair) && pair.State == PairState.Active
            && _drift.Observe(pair, drift, record.RecordedAt) is { } warning)
        {
            var recorded = await journal.AppendAsync(warning);
            Publish(recorded);
            _ = GrainFactory.Unit(pair.Us).Deliver(recorded);
            _ = GrainFactory.Unit(pair.Mx).Deliver(recorded);
        }
    }

    public async Task<AlertInfo> RaiseAlert(AlertReport report, Identity by, string? traceParent)
    {
        var partner = by.Unit is { } unit ? ActivePair(unit)?.PartnerOf(unit) : null;
        var id = AlertId.Create(_sector.Id, _alerts.Count + 1);
        var alert = await GrainFactory.Alert(id).Raise(report, by, partner, traceParent);
        _alerts[id] = alert;
        return alert;
    }

    public Task OnAlert(JournalRecord record)
    {
        var alert = ((AlertChanged)record.Event).Alert;
        _alerts[alert.Id] = alert;
        Publish(record);
        IEnumerable<UnitId> candidates = alert.RaisedByUnit is { } raiser ? [raiser, .. alert.Partner is { } p ? [p] : Array.Empty<UnitId>()] : _units;
        foreach (var unit in candidates.Where(alert.IsFor)) _ = GrainFactory.Unit(unit).Deliver(record);
        return Task.CompletedTask;
    }

    public Task RegisterUnit(UnitId unit)
    {
        _units.Add(unit);
        return Task.CompletedTask;
    }

    private async Task<PairStatus> ApplyAsync(JournalRecord record)
    {
        var pair = ((PairChanged)record.Event).Pair;
        _pairs[pair.Id] = pair;
        if (pair.State == PairState.Dissolved) _drift.Forget(pair.Id);
        Publish(record);
        await Task.WhenAll(GrainFactory.Unit(pair.Us).OnPairChanged(record), GrainFactory.Unit(pair.Mx).OnPairChanged(record));
        return WithDrift(pair);
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
