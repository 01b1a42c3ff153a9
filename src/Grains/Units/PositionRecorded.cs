using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Units;

public enum UnitStatus
{
    OnPatrol = 1,
    Responding = 2,
    OffDuty = 3,
}

/// <summary>A position as the unit reported it.</summary>
[GenerateSerializer, Immutable]
public sealed record PositionReport(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset GnssTime,
    [property: Id(2)] GeoPoint Point,
    [property: Id(3)] float AccuracyM,
    [property: Id(4)] float HeadingDeg,
    [property: Id(5)] float SpeedMps,
    [property: Id(6)] UnitStatus Status);

/// <summary>A unit's accepted position, placed against the boundary, shared with its partner while paired. A copy
/// released to the other nation under terms other than exact carries them in <see cref="ReleasedUnder"/>; the record
/// itself never does.</summary>
[GenerateSerializer, Immutable]
public sealed record PositionRecorded(
    [property: Id(0)] UnitId Unit,
    [property: Id(1)] PositionReport Report,
    [property: Id(2)] BoundaryLocation Location,
    [property: Id(3)] PairId? Pair,
    [property: Id(4)] UnitId? Partner,
    [property: Id(5)] double? DriftKm,
    [property: Id(6)] Security.ReleaseTerms? ReleasedUnder = null) : HubEvent
{
    public const string Kind = "position";

    public override JournalKeys Keys() => KeysOf(Unit, Report.Sequence, Partner);

    private static JournalKeys KeysOf(UnitId unit, long sequence, UnitId? partner) => new(Kind, unit.Sector, unit, partner, null, sequence);

    /// <summary>The part of a serialized position its keys come from; the rest of the payload is skipped unread.</summary>
    public sealed record KeysOnly(UnitId Unit, KeysOnly.SequenceOnly Report, UnitId? Partner)
    {
        public JournalKeys Keys() => KeysOf(Unit, Report.Sequence, Partner);

        public sealed record SequenceOnly(long Sequence);
    }
}
