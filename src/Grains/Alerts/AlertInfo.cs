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
public sealed record AlertReport([property: Id(0)] AlertKind Kind, [property: Id(1)] Severity Severity, [property: Id(2)] GeoPoint Point, [property: Id(3)] double? DirectionDeg, [property: Id(4)] string Text);

/// <summary>An interdiction alert as it stands. Who receives it follows from who raised it: a unit's alert goes to the
/// unit, its partner at the time, and the sector's commands; a command's alert goes to every unit of the sector. A copy
/// released to the other nation under terms other than exact carries them in <see cref="ReleasedUnder"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertInfo(
    [property: Id(0)] AlertId Id,
    [property: Id(1)] AlertReport Report,
    [property: Id(2)] Severity Severity,
    [property: Id(3)] BoundaryLocation Location,
    [property: Id(4)] string RaisedBy,
    [property: Id(5)] Nation RaisedByNation,
    [property: Id(6)] UnitId? RaisedByUnit,
    [property: Id(7)] UnitId? Partner,
    [property: Id(8)] AlertState State,
    [property: Id(9)] AlertOutcome? Outcome,
    [property: Id(10)] int Escalations,
    [property: Id(11)] bool JointCentre,
    [property: Id(12)] string? LastActor,
    [property: Id(13)] DateTimeOffset RaisedAt,
    [property: Id(14)] DateTimeOffset ChangedAt,
    [property: Id(15)] DateTimeOffset? EscalatesAt,
    [property: Id(16)] DateTimeOffset ExpiresAt,
    [property: Id(17)] string? TraceParent,
    [property: Id(18)] Security.ReleaseTerms? ReleasedUnder = null)
{
    public SectorId Sector => Id.Sector;

    public bool IsOpen => State is AlertState.Raised or AlertState.Acknowledged or AlertState.Responding;

    /// <summary>Whether the alert is addressed to a unit: the raising unit and its partner, or for a command's alert,
    /// every unit of the sector.</summary>
    public bool IsFor(UnitId unit) => RaisedByUnit is null ? unit.Sector == Sector : unit == RaisedByUnit || unit == Partner;
}

/// <summary>The step that brought an alert to its state.</summary>
public enum AlertTransition
{
    Raised = 1,
    Acknowledged = 2,
    Responding = 3,
    Resolved = 4,
    Escalated = 5,
    Expired = 6,
}

/// <summary>One step of an alert's life, and the alert as it stands after it. What the alert grain records and returns.</summary>
[GenerateSerializer, Immutable]
public sealed record AlertChanged([property: Id(0)] AlertInfo Alert, [property: Id(1)] AlertTransition Transition) : HubEvent
{
    public const string Kind = "alert";

    public override JournalKeys Keys() => new(Kind, Alert.Sector, Alert.RaisedByUnit, Alert.Partner, Alert.Id.Value, null);
}

public static class AlertTransitions
{
    /// <summary>The transition as the protocol and the metrics name it: raised, acknowledged, ..., expired.</summary>
    public static string Name(this AlertTransition transition) => transition.ToString().ToLowerInvariant();
}
