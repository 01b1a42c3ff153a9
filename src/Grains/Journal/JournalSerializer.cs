using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Journal;

/// <summary>How a record is written: a JSON payload, and one SHA-256 chain per sector over its records in cursor order.</summary>
public static class JournalSerializer
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A payload as the UTF-8 bytes it is hashed and stored as.</summary>
    public static byte[] Serialize(HubEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, Options);

    /// <summary>Reads a payload from its UTF-8 bytes.</summary>
    public static HubEvent Deserialize(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<HubEvent>(payload, Options) ?? throw new JsonException("A journal payload was null.");

    /// <summary>The keys of a payload, as <see cref="HubEvent.Keys"/> gives them. A position (nearly every record) is
    /// read through <see cref="Units.PositionRecorded.KeysOnly"/>, which skips all the keys do not need: verifying the
    /// record reads millions. Anything else is read whole.</summary>
    public static JournalKeys DeserializeKeys(ReadOnlySpan<byte> payload) =>
        payload.StartsWith("{\"type\":\"position\","u8)
            ? (JsonSerializer.Deserialize<Units.PositionRecorded.KeysOnly>(payload, Options) ?? throw new JsonException("A journal payload was null.")).Keys()
            : Deserialize(payload).Keys();

    /// <summary>Record times are kept to the microsecond, the precision they are stored and hashed at.</summary>
    public static long ToMicros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;

    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);

    /// <summary>hash = SHA-256(previous hash ‖ sector ‖ 0 ‖ cursor ‖ recorded-at µs ‖ kind ‖ 0 ‖ payload), text in UTF-8,
    /// integers big-endian; the first record of a sector chains to 32 zero bytes.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> previous, SectorId sector, long cursor, long recordedAtMicros, string kind, ReadOnlySpan<byte> payload)
    {
        // Hashed in one piece from the stack, or a pooled buffer for a large payload: this runs for every record
        // written and every record verified.
        var length = previous.Length + Encoding.UTF8.GetByteCount(sector.Value) + 1 + 16 + Encoding.UTF8.GetByteCount(kind) + 1 + payload.Length;
        byte[]? rented = null;
        var buffer = (length > StackLimit ? rented = ArrayPool<byte>.Shared.Rent(length) : stackalloc byte[StackLimit])[..length];
        var span = buffer;
        previous.CopyTo(span);
        span = span[previous.Length..];
        span = span[Encoding.UTF8.GetBytes(sector.Value, span)..];
        span[0] = 0;
        BinaryPrimitives.WriteInt64BigEndian(span[1..], cursor);
        BinaryPrimitives.WriteInt64BigEndian(span[9..], recordedAtMicros);
        span = span[17..];
        span = span[Encoding.UTF8.GetBytes(kind, span)..];
        span[0] = 0;
        payload.CopyTo(span[1..]);
        var hash = SHA256.HashData(buffer);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return hash;
    }

    private const int StackLimit = 1024;
}
