using Google.Protobuf.WellKnownTypes;
using PatrolHub.Grains;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using Proto = PatrolHub.V1;

namespace PatrolHub.Hub.Mapping;

internal static class AlertMapper
{
    public static AlertReport ToDomain(Proto.RaiseAlertRequest request) => new(
        request.Kind == Proto.AlertKind.Unspecified || !System.Enum.IsDefined((AlertKind)request.Kind)
            ? throw new DomainValidationException("kind", "kind is required: narcotics, firearms, human-smuggling, illegal-crossing, tunnel, aircraft-drone, vehicle or other.")
            : (AlertKind)request.Kind,
        request.Severity == Proto.Severity.Unspecified || !System.Enum.IsDefined((Severity)request.Severity)
            ? throw new DomainValidationException("severity", "severity is required: low, medium, high or critical.")
            : (Severity)request.Severity,
        GeoPoint.Validate(request.Latitude, request.Longitude),
        request.HasDirectionDeg ? request.DirectionDeg : null,
        request.Text);

    public static AlertOutcome? ToDomain(Proto.AlertOutcome outcome) =>
        outcome == Proto.AlertOutcome.Unspecified ? null : (AlertOutcome)outcome;

    public static Proto.Severity ToProto(Severity severity) => (Proto.Severity)severity;

    /// <summary>An alert after one of its steps, naming the step.</summary>
    public static Proto.Alert ToProto(AlertChanged changed) => ToProto(changed.Alert, changed.Transition.Name());

    /// <summary>An alert as it stands (in lists and status), with no step named.</summary>
    public static Proto.Alert ToProto(AlertInfo alert) => ToProto(alert, "");

    private static Proto.Alert ToProto(AlertInfo alert, string transition)
    {
        var message = new Proto.Alert
        {
            AlertId = alert.Id.Value,
            Sector = alert.Sector.Value,
            Kind = (Proto.AlertKind)alert.Report.Kind,
            Severity = ToProto(alert.Severity),
            RaisedSeverity = ToProto(alert.Report.Severity),
            State = (Proto.AlertState)alert.State,
            Transition = transition,
            Outcome = alert.Outcome is { } outcome ? (Proto.AlertOutcome)outcome : Proto.AlertOutcome.Unspecified,
            Latitude = alert.Report.Point.Latitude,
            Longitude = alert.Report.Point.Longitude,
            Side = ProtoMapper.ToProto(alert.Location.Side),
            DistanceToLineM = alert.Location.DistanceM,
            ChainageKm = alert.Location.ChainageKm,
            Text = alert.Report.Text,
            RaisedBy = alert.RaisedBy,
            PartnerUnit = alert.Partner?.Value ?? "",
            LastActor = alert.LastActor ?? "",
            Escalations = alert.Escalations,
            JointCentre = alert.JointCentre,
            RaisedAt = Timestamp.FromDateTimeOffset(alert.RaisedAt),
            ChangedAt = Timestamp.FromDateTimeOffset(alert.ChangedAt),
            EscalatesAt = alert.EscalatesAt is { } due ? Timestamp.FromDateTimeOffset(due) : null,
            ExpiresAt = Timestamp.FromDateTimeOffset(alert.ExpiresAt),
            TraceParent = alert.TraceParent ?? "",
            ReleasedUnder = ProtoMapper.ToProto(alert.ReleasedUnder),
        };
        if (alert.Report.DirectionDeg is { } direction) message.DirectionDeg = direction;
        return message;
    }
}
