using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Alerts;

public enum AlertKind
{
    Narcotics = 1,
    Firearms = 2,
    HumanSmuggling = 3,
    IllegalCrossing = 4,
    Tunnel = 5,
    AircraftDrone = 6,
    Vehicle = 7,
    Other = 8,
}

public enum Severity
{
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

public enum AlertState
{
    Raised = 1,
    Acknowledged = 2,
    Responding = 3,
    Resolved = 4,
    Expired = 5,
}

public enum AlertOutcome
{
    Apprehension = 1,
    Seizure = 2,
    TurnedBack = 3,
    LostContact = 4,
    FalseAlarm = 5,
}

/// <summary>What someone reports when raising an alert.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertReport(AlertKind Kind, Severity Severity, GeoPoint Point, double? DirectionDeg, string Text);

/// <summary>An interdiction alert as it stands. Who receives it follows from who raised it: a unit's alert goes to the
/// unit, its partner at the time, and the sector's commands; a command's alert goes to every unit of the sector.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertInfo(
    AlertId Id,
    AlertReport Report,
    Severity Severity,
    BoundaryLocation Location,
    string RaisedBy,
    Nation RaisedByNation,
    UnitId? RaisedByUnit,
    UnitId? Partner,
    AlertState State,
    AlertOutcome? Outcome,
    int Escalations,
    bool JointCentre,
    string? LastActor,
    DateTimeOffset RaisedAt,
    DateTimeOffset ChangedAt,
    DateTimeOffset? EscalatesAt,
    DateTimeOffset ExpiresAt,
    string? TraceParent)
{
    public SectorId Sector => Id.Sector;

    public bool IsOpen => State is AlertState.Raised or AlertState.Acknowledged or AlertState.Responding;
}

/// <summary>One step of an alert's life: raised, acknowledged, responding, resolved, escalated or expired.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertChanged(AlertInfo Alert, string Transition) : HubEvent
{
    public const string Kind = "alert";

    public override JournalKeys Keys() => new(Kind, Alert.Sector, Alert.RaisedByUnit, Alert.Partner, Alert.Id.Value, null);
}
