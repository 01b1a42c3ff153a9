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
    long Sequence,
    DateTimeOffset GnssTime,
    GeoPoint Point,
    float AccuracyM,
    float HeadingDeg,
    float SpeedMps,
    UnitStatus Status);

/// <summary>A unit's accepted position, placed against the boundary, shared with its partner while paired.</summary>
[GenerateSerializer, Immutable]
public sealed record PositionRecorded(
    UnitId Unit,
    PositionReport Report,
    BoundaryLocation Location,
    PairId? Pair,
    UnitId? Partner,
    double? DriftKm) : HubEvent
{
    public const string Kind = "position";

    public override JournalKeys Keys() => new(Kind, Unit.Sector, Unit, Partner, Pair?.Value, Report.Sequence);
}
