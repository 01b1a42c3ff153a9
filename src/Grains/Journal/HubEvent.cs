using System.Text.Json.Serialization;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Journal;

/// <summary>The journal columns an event is found by; derived from the event, so the payload's hash covers them.</summary>
/// <remarks><paramref name="Subject"/> is the pair or alert the event is about.</remarks>
public readonly record struct JournalKeys(string Kind, SectorId Sector, UnitId? Unit, UnitId? ToUnit, string? Subject, long? UnitSequence);

/// <summary>Something the hub accepted. Recorded in its sector's log before anyone is told.</summary>
[GenerateSerializer, Immutable]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(PositionRecorded), PositionRecorded.Kind)]
[JsonDerivedType(typeof(PairChanged), PairChanged.Kind)]
[JsonDerivedType(typeof(AlertChanged), AlertChanged.Kind)]
[JsonDerivedType(typeof(DriftWarning), DriftWarning.Kind)]
[JsonDerivedType(typeof(Security.SecurityEvent), Security.SecurityEvent.Kind)]
public abstract record HubEvent
{
    public abstract JournalKeys Keys();
}

/// <summary>An event with its place in its sector's log. The cursor orders everything recorded in that sector,
/// with no gaps: 1, 2, 3, ...</summary>
[GenerateSerializer, Immutable]
public sealed record JournalRecord([property: Id(0)] long Cursor, [property: Id(1)] DateTimeOffset RecordedAt, [property: Id(2)] HubEvent Event);

/// <summary>Where a sector's log ends: the last cursor and its hash (0 and 32 zero bytes for an empty log).</summary>
[GenerateSerializer, Immutable]
public sealed record LogHead([property: Id(0)] long Cursor, [property: Id(1)] byte[] Hash)
{
    public static readonly LogHead Empty = new(0, new byte[32]);

    public bool Equals(LogHead? other) => other is not null && Cursor == other.Cursor && Hash.AsSpan().SequenceEqual(other.Hash);

    public override int GetHashCode() => Cursor.GetHashCode();
}

/// <summary>A record ready to store: its keys, its serialized payload (UTF-8), and its hash chained to the one before.</summary>
public sealed record SealedRecord(JournalRecord Record, JournalKeys Keys, byte[] Payload, byte[] PreviousHash, byte[] Hash)
{
    /// <summary>Seals <paramref name="e"/> as the record after <paramref name="head"/>.</summary>
    public static SealedRecord After(LogHead head, DateTimeOffset recordedAt, HubEvent e)
    {
        var keys = e.Keys();
        var payload = JournalSerializer.Serialize(e);
        var cursor = head.Cursor + 1;
        var hash = JournalSerializer.Hash(head.Hash, keys.Sector, cursor, JournalSerializer.ToMicros(recordedAt), keys.Kind, payload);
        return new SealedRecord(new JournalRecord(cursor, recordedAt, e), keys, payload, head.Hash, hash);
    }

    public LogHead Head => new(Record.Cursor, Hash);
}
