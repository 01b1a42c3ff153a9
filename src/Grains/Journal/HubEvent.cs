using System.Text.Json.Serialization;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Journal;

/// <summary>The journal columns an event is found by; derived from the event, so the payload's hash covers them.</summary>
/// <remarks><paramref name="Subject"/> is the pair or alert the event is about.</remarks>
public readonly record struct JournalKeys(string Kind, SectorId Sector, UnitId? Unit, UnitId? ToUnit, string? Subject, long? UnitSequence);

/// <summary>Something the hub accepted. Recorded in the journal before anyone is told.</summary>
[GenerateSerializer, Immutable]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(PositionRecorded), PositionRecorded.Kind)]
[JsonDerivedType(typeof(PairChanged), PairChanged.Kind)]
[JsonDerivedType(typeof(AlertChanged), AlertChanged.Kind)]
[JsonDerivedType(typeof(DriftWarning), DriftWarning.Kind)]
public abstract record HubEvent
{
    public abstract JournalKeys Keys();
}

/// <summary>An event with its place in the journal. The cursor orders everything the hub recorded.</summary>
[GenerateSerializer, Immutable]
public sealed record JournalRecord([property: Id(0)] long Cursor, [property: Id(1)] DateTimeOffset RecordedAt, [property: Id(2)] HubEvent Event);
