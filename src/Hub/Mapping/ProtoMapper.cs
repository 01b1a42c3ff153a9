using Google.Protobuf.WellKnownTypes;
using PatrolHub.Grains;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Sectors;
using PatrolHub.Grains.Units;
using Proto = PatrolHub.V1;

namespace PatrolHub.Hub.Mapping;

/// <summary>Protobuf types stop here: domain records in, messages out.</summary>
internal static class ProtoMapper
{
    public static PositionReport ToDomain(Proto.PositionUpdate update) => new(
        checked((long)update.Sequence),
        update.GnssTime?.ToDateTimeOffset() ?? throw new DomainValidationException("gnss_time", "gnss_time is required."),
        GeoPoint.Validate(update.Latitude, update.Longitude),
        update.AccuracyM,
        update.HeadingDeg,
        update.SpeedMps,
        update.Status switch
        {
            Proto.UnitStatus.Unspecified or Proto.UnitStatus.OnPatrol => UnitStatus.OnPatrol,
            Proto.UnitStatus.Responding => UnitStatus.Responding,
            Proto.UnitStatus.OffDuty => UnitStatus.OffDuty,
            _ => throw new DomainValidationException("status", $"status {(int)update.Status} is not a unit status."),
        });

    public static Proto.Position ToProto(JournalRecord record)
    {
        var p = (PositionRecorded)record.Event;
        var message = new Proto.Position
        {
            UnitId = p.Unit.Value,
            Nation = p.Unit.Nation == Grains.Ids.Nation.US ? Proto.Nation.Us : Proto.Nation.Mx,
            Sector = p.Unit.Sector.Value,
            Sequence = (ulong)p.Report.Sequence,
            GnssTime = Timestamp.FromDateTimeOffset(p.Report.GnssTime),
            RecordedAt = Timestamp.FromDateTimeOffset(record.RecordedAt),
            Latitude = p.Report.Point.Latitude,
            Longitude = p.Report.Point.Longitude,
            AccuracyM = p.Report.AccuracyM,
            HeadingDeg = p.Report.HeadingDeg,
            SpeedMps = p.Report.SpeedMps,
            Status = p.Report.Status switch
            {
                UnitStatus.Responding => Proto.UnitStatus.Responding,
                UnitStatus.OffDuty => Proto.UnitStatus.OffDuty,
                _ => Proto.UnitStatus.OnPatrol,
            },
            Side = p.Location.Side == BoundarySide.US ? Proto.BoundarySide.Us : Proto.BoundarySide.Mx,
            DistanceToLineM = p.Location.DistanceM,
            ChainageKm = p.Location.ChainageKm,
            PairId = p.Pair?.Value ?? "",
        };
        if (p.DriftKm is { } drift) message.DriftKm = drift;
        return message;
    }

    public static Proto.Pair ToProto(PairInfo pair, double? driftKm = null)
    {
        var message = new Proto.Pair
        {
            PairId = pair.Id.Value,
            Sector = pair.Sector.Value,
            UsUnit = pair.Us.Value,
            MxUnit = pair.Mx.Value,
            State = pair.State switch
            {
                PairState.Proposed => Proto.PairState.Proposed,
                PairState.Active => Proto.PairState.Active,
                _ => Proto.PairState.Dissolved,
            },
            ProposedBy = pair.ProposedBy,
            AcceptedBy = pair.AcceptedBy ?? "",
            DissolvedBy = pair.DissolvedBy ?? "",
            ChangedAt = Timestamp.FromDateTimeOffset(pair.ChangedAt),
        };
        if (driftKm is { } drift) message.DriftKm = drift;
        return message;
    }

    public static Proto.Pair ToProto(PairStatus status) => ToProto(status.Pair, status.DriftKm);

    public static Proto.Sector ToProto(SectorInfo sector, bool withBoundary) => new()
    {
        Code = sector.Id.Value,
        NameEn = sector.NameEn,
        NameEs = sector.NameEs,
        StartKm = sector.StartKm,
        EndKm = sector.EndKm,
        Boundary =
        {
            withBoundary
                ? SectorCatalog.Default.StretchOf(sector).Select(p => new Proto.LatLon { Latitude = p.Latitude, Longitude = p.Longitude })
                : [],
        },
    };

    public static Proto.SectorStatus ToProto(SectorSnapshot snapshot) => new()
    {
        Sector = ToProto(snapshot.Sector, withBoundary: true),
        Units = { snapshot.Units.Select(ToProto) },
        Pairs = { snapshot.Pairs.Select(ToProto) },
        Cursor = (ulong)snapshot.Cursor,
    };
}
