using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Journal;

/// <summary>One record exactly as the store holds it: the hashed fields (the payload as its UTF-8 bytes), the index
/// columns derived from the payload, and the chain's two hashes.</summary>
public sealed record ChainLink(
    SectorId Sector, long Cursor, long RecordedAtMicros, string Kind, string? Unit, string? ToUnit, string? Subject, long? UnitSequence,
    byte[] Payload, byte[] PreviousHash, byte[] Hash)
{
    public DateTimeOffset RecordedAt => JournalSerializer.FromMicros(RecordedAtMicros);

    /// <summary>The hash the record's own fields give when chained to <paramref name="previous"/>.</summary>
    public byte[] ComputeHash(ReadOnlySpan<byte> previous) => JournalSerializer.Hash(previous, Sector, Cursor, RecordedAtMicros, Kind, Payload);
}
