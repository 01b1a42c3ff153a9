using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PatrolHub.Grains.Journal;

/// <summary>How a record is written: JSON payload, and a SHA-256 chain over every record in cursor order.</summary>
public static class JournalSerializer
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(HubEvent e) => JsonSerializer.Serialize(e, Options);

    public static HubEvent Deserialize(string payload) =>
        JsonSerializer.Deserialize<HubEvent>(payload, Options) ?? throw new JsonException("A journal payload was null.");

    /// <summary>hash = SHA-256(previous hash ‖ cursor ‖ recorded-at µs ‖ kind ‖ 0 ‖ payload), integers big-endian.</summary>
    public static byte[] Hash(ReadOnlySpan<byte> previous, long cursor, long recordedAtMicros, string kind, string payload)
    {
        var buffer = new byte[previous.Length + 16 + Encoding.UTF8.GetByteCount(kind) + 1 + Encoding.UTF8.GetByteCount(payload)];
        var span = buffer.AsSpan();
        previous.CopyTo(span);
        span = span[previous.Length..];
        BinaryPrimitives.WriteInt64BigEndian(span, cursor);
        BinaryPrimitives.WriteInt64BigEndian(span[8..], recordedAtMicros);
        span = span[16..];
        span = span[Encoding.UTF8.GetBytes(kind, span)..];
        span[0] = 0;
        Encoding.UTF8.GetBytes(payload, span[1..]);
        return SHA256.HashData(buffer);
    }
}
