using Microsoft.Extensions.Logging;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Sectors;

public sealed class SectorGrain(IJournal journal, ILogger<SectorGrain> logger) : Grain, ISectorGrain
{
    private readonly FeedObservers _observers = new(logger);
    private readonly Dictionary<UnitId, JournalRecord> _positions = [];
    private readonly SortedDictionary<PairId, PairInfo> _pairs = new(Comparer<PairId>.Create((a, b) => string.CompareOrdinal(a.Value, b.Value)));
    private SectorInfo _sector = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _sector = SectorCatalog.Default.Get(SectorId.Parse(this.GetPrimaryKeyString()));
        foreach (var record in await journal.ReadAsync(new JournalQuery(PairChanged.Kind) { Sector = _sector.Id }, cancellationToken))
        {
            var pair = ((PairChanged)record.Event).Pair;
            _pairs[pair.Id] = pair;
        }

        foreach (var record in await journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Sector = _sector.Id, LatestPerUnit = true }, cancellationToken))
            _positions[((PositionRecorded)record.Event).Unit] = record;
    }

    public Task<bool> Subscribe(IFeedObserver observer) => Task.FromResult(_observers.Subscribe(observer));

    public Task Unsubscribe(IFeedObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<SectorSnapshot> GetStatus() => Task.FromResult(new SectorSnapshot(
        _sector,
        [.. _positions.Values.OrderBy(r => ((PositionRecorded)r.Event).Unit.Value, StringComparer.Ordinal)],
        [.. _pairs.Values.Where(p => p.State != PairState.Dissolved).Select(WithDrift)],
        journal.Head));

    public Task<PairInfo?> ActivePairOf(UnitId unit) => Task.FromResult(ActivePair(unit));

    public Task<IReadOnlyList<PairStatus>> ListPairs(bool includeDissolved) => Task.FromResult<IReadOnlyList<PairStatus>>(
        [.. _pairs.Values.Where(p => includeDissolved || p.State != PairState.Dissolved).Select(WithDrift)]);

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

    public Task OnPosition(JournalRecord record)
    {
        var unit = ((PositionRecorded)record.Event).Unit;
        if (!_positions.TryGetValue(unit, out var known) || known.Cursor < record.Cursor) _positions[unit] = record;
        _observers.Publish(record);
        return Task.CompletedTask;
    }

    private async Task<PairStatus> ApplyAsync(JournalRecord record)
    {
        var pair = ((PairChanged)record.Event).Pair;
        _pairs[pair.Id] = pair;
        _observers.Publish(record);
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

    private PairStatus WithDrift(PairInfo pair)
    {
        double? drift = pair.State == PairState.Active
            && _positions.TryGetValue(pair.Us, out var us) && _positions.TryGetValue(pair.Mx, out var mx)
            ? Math.Abs(((PositionRecorded)us.Event).Location.ChainageKm - ((PositionRecorded)mx.Event).Location.ChainageKm)
            : null;
        return new PairStatus(pair, drift);
    }
}
