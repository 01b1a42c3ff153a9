using Google.Protobuf.WellKnownTypes;
using PatrolHub.Grains;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Sectors;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Live;
using Proto = PatrolHub.V1;

namespace PatrolHub.Hub.Mapping;

/// <summary>Protobuf types stop here: domain records in, messages out.</summary>
internal static class ProtoMapper
{
    public static PositionReport ToDomain(Proto.PositionUpdate update) => new(
        Fields.Sequence(update.Sequence, "sequence"),
        Fields.Instant(update.GnssTime, "gnss_time"),
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
            Nation = ToProto(p.Unit.Nation),
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
            Side = ToProto(p.Location.Side),
            DistanceToLineM = p.Location.DistanceM,
            ChainageKm = p.Location.ChainageKm,
            PairId = p.Pair?.Value ?? "",
            ReleasedUnder = ToProto(p.ReleasedUnder),
        };
        if (p.DriftKm is { } drift) message.DriftKm = drift;
        return message;
    }

    public static Proto.ReleaseTerms? ToProto(ReleaseTerms? terms) => terms is null ? null : new()
    {
        CoarsenedToM = (uint)terms.CoarsenMetres,
        DelayedS = (uint)terms.DelaySeconds,
        HiddenWhenUnpaired = terms.HiddenWhenUnpaired,
        MotionWithheld = terms.WithholdMotion,
        TextWithheld = terms.WithholdText,
    };

    public static Proto.Nation ToProto(Grains.Ids.Nation nation) => nation == Grains.Ids.Nation.US ? Proto.Nation.Us : Proto.Nation.Mx;

    public static Proto.AuditEvent ToAuditEvent(JournalRecord record)
    {
        var e = (Grains.Security.SecurityEvent)record.Event;
        return new Proto.AuditEvent
        {
            Cursor = (ulong)record.Cursor,
            RecordedAt = Timestamp.FromDateTimeOffset(record.RecordedAt),
            Action = e.Action,
            Subject = e.Subject,
            Nations = { e.Nations.Select(ToProto) },
            Detail = e.Detail,
            Count = (uint)e.Count,
            First = Timestamp.FromDateTimeOffset(e.First),
        };
    }

    internal static Proto.BoundarySide ToProto(BoundarySide side) => side == BoundarySide.US ? Proto.BoundarySide.Us : Proto.BoundarySide.Mx;

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

    /// <summary>Sector status as a recipient is given it (<see cref="Security.Releases.Status"/>).</summary>
    public static Proto.SectorStatus ToProto(SectorSnapshot snapshot)
    {
        var alerts = snapshot.OpenAlerts;
        return new()
        {
            Sector = ToProto(snapshot.Sector, withBoundary: true),
            Units = { snapshot.Units.Select(ToProto) },
            Pairs = { snapshot.Pairs.Select(ToProto) },
            Cursor = (ulong)snapshot.Cursor,
            OpenAlerts = { alerts.Select(AlertMapper.ToProto) },
            OpenBySeverity =
            {
                System.Enum.GetValues<Severity>().Reverse().Select(severity => new Proto.SeverityCount
                {
                    Severity = AlertMapper.ToProto(severity),
                    Open = alerts.Count(a => a.Severity == severity),
                }),
            },
            StaleUnits = { snapshot.StaleUnits.Select(u => u.Value) },
            CoverageGaps = { snapshot.CoverageGaps.Select(g => new Proto.CoverageGap { StartKm = g.StartKm, EndKm = g.EndKm }) },
        };
    }

    /// <summary>A recorded event as a unit's stream carries it, with where to resume each lane after it.</summary>
    public static Proto.HubMessage ToHubMessage(Given given)
    {
        var m = new Proto.HubMessage { Cursor = (ulong)given.Cursor, DelayedCursor = (ulong)given.DelayedCursor, Delayed = given.Delayed };
        Fill(given.Record, m, static (m, p) => m.PartnerPosition = p, static (m, p) => m.Pair = p, static (m, a) => m.Alert = a, static (m, w) => m.Warning = w);
        return m;
    }

    /// <summary>A recorded event as a sector watch carries it, with where to resume each lane after it.</summary>
    public static Proto.SectorUpdate ToSectorUpdate(Given given)
    {
        var m = new Proto.SectorUpdate { Cursor = (ulong)given.Cursor, DelayedCursor = (ulong)given.DelayedCursor, Delayed = given.Delayed };
        Fill(given.Record, m, static (m, p) => m.Position = p, static (m, p) => m.Pair = p, static (m, a) => m.Alert = a, static (m, w) => m.Warning = w);
        return m;
    }

    /// <summary>A recorded event as review replays it.</summary>
    public static Proto.RecordedEvent ToRecordedEvent(JournalRecord record)
    {
        var m = new Proto.RecordedEvent { Cursor = (ulong)record.Cursor, RecordedAt = Timestamp.FromDateTimeOffset(record.RecordedAt) };
        Fill(record, m, static (m, p) => m.Position = p, static (m, p) => m.Pair = p, static (m, a) => m.Alert = a, static (m, w) => m.Warning = w);
        return m;
    }

    /// <summary>Sets the message for a recorded event in the oneof of the stream that carries it: the one mapping every
    /// stream shares. Every kind of event has one: an event the hub records but cannot send would be lost to its
    /// subscribers without a word. The setters are static lambdas, so a message delivered costs no delegates.</summary>
    private static void Fill<TMessage>(
        JournalRecord record, TMessage m, Action<TMessage, Proto.Position> position, Action<TMessage, Proto.Pair> pair,
        Action<TMessage, Proto.Alert> alert, Action<TMessage, Proto.DriftWarning> warning)
    {
        switch (record.Event)
        {
            case PositionRecorded: position(m, ToProto(record)); break;
            case PairChanged changed: pair(m, ToProto(changed.Pair)); break;
            case AlertChanged changed: alert(m, AlertMapper.ToProto(changed)); break;
            case DriftWarning drift: warning(m, ToProto(drift)); break;
            default: throw new InvalidOperationException($"a recorded {record.Event.GetType().Name} has no protobuf mapping.");
        }
    }

    public static Proto.DriftWarning ToProto(DriftWarning warning) => new()
    {
        PairId = warning.Pair.Id.Value,
        UsUnit = warning.Pair.Us.Value,
        MxUnit = warning.Pair.Mx.Value,
        DriftKm = warning.DriftKm,
        ThresholdKm = warning.ThresholdKm,
        AboveSeconds = warning.Above.TotalSeconds,
        Cleared = warning.Cleared,
    };
}
