using Google.Protobuf.WellKnownTypes;
using PatrolHub.Grains;

namespace PatrolHub.Hub.Mapping;

/// <summary>Checks for the fields whose protobuf type admits more than the domain does, so a number at the limit of its
/// type is INVALID_ARGUMENT with the field's name, never an overflow.</summary>
internal static class Fields
{
    /// <summary>Request ids are echoed back; longer than this is refused.</summary>
    public const int MaxRequestId = 128;

    public static DateTimeOffset Instant(Timestamp? time, string field)
    {
        if (time is null) throw new DomainValidationException(field, $"{field} is required.");
        try
        {
            return time.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            throw new DomainValidationException(field, $"{field} is not a valid time ({time.Seconds} s, {time.Nanos} ns).");
        }
    }

    public static long Sequence(ulong value, string field) => value <= long.MaxValue
        ? (long)value
        : throw new DomainValidationException(field, $"{field} {value} is larger than {long.MaxValue}, the largest the hub records.");

    public static string RequestId(string value) => value.Length <= MaxRequestId
        ? value
        : throw new DomainValidationException("request_id", $"request_id is {value.Length} characters; at most {MaxRequestId} are allowed.");
}
