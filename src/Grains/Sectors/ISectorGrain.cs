using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Sectors;

/// <summary>A border sector, keyed by its <see cref="SectorId"/>: its units' last positions, its pairs, and the
/// authority for pairing in it. A fold over the sector's log.</summary>
[Alias("patrolhub.sector")]
public interface ISectorGrain : IGrainWithStringKey
{
    [ReadOnly, AlwaysInterleave, Alias("status")]
    Task<SectorSnapshot> GetStatus();

    [ReadOnly, AlwaysInterleave, Alias("active-pair-of")]
    Task<PairInfo?> ActivePairOf(UnitId unit);

    [ReadOnly, AlwaysInterleave, Alias("list-pairs")]
    Task<IReadOnlyList<PairStatus>> ListPairs(bool includeDissolved);

    /// <summary>One nation's command proposes a pair of a U.S. and a Mexican unit of this sector.</summary>
    [Alias("propose-pair")]
    Task<PairStatus> ProposePair(UnitId us, UnitId mx, Identity by);

    /// <summary>The other nation's command accepts; the pair becomes active.</summary>
    [Alias("accept-pair")]
    Task<PairStatus> AcceptPair(PairId id, Identity by);

    /// <summary>Either nation's command ends a proposed or active pair.</summary>
    [Alias("dissolve-pair")]
    Task<PairStatus> DissolvePair(PairId id, Identity by);

    /// <summary>The sector's log committed a batch; folded into the live view in cursor order.</summary>
    [OneWay, Alias("batch")]
    Task OnBatch(LogBatch batch);

    /// <summary>Raises an alert in this sector: numbers it and, for a unit, adds its partner as a recipient.</summary>
    [Alias("raise-alert")]
    Task<AlertChanged> RaiseAlert(AlertReport report, Identity by, string? traceParent);

    [ReadOnly, AlwaysInterleave, Alias("list-alerts")]
    Task<IReadOnlyList<AlertInfo>> ListAlerts(bool openOnly);
}

[GenerateSerializer, Immutable]
public sealed record PairStatus([property: Id(0)] PairInfo Pair, [property: Id(1)] double? DriftKm);

/// <summary>Sector status as of <see cref="Cursor"/> in the sector's log: it reflects every record up to it and none after.</summary>
[GenerateSerializer, Immutable]
public sealed record SectorSnapshot(
    [property: Id(0)] SectorInfo Sector,
    [property: Id(1)] IReadOnlyList<JournalRecord> Units,
    [property: Id(2)] IReadOnlyList<PairStatus> Pairs,
    [property: Id(3)] IReadOnlyList<AlertInfo> OpenAlerts,
    [property: Id(4)] IReadOnlyList<UnitId> StaleUnits,
    [property: Id(5)] IReadOnlyList<ChainageRange> CoverageGaps,
    [property: Id(6)] long Cursor);
