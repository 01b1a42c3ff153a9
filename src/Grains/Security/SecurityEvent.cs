using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Security;

/// <summary>
/// Something security-relevant the hub did or refused: a refused certificate, a denied call, a revocation, a stream
/// replaced by a newer one of the same unit, refusals at a limit (summarised: <see cref="Count"/> of them from
/// <see cref="First"/> to the record's time), a pairing change, a sharing policy change, and a nation's releases of its
/// units' data to the other nation (its release log, summarised the same way). Recorded in the hub's own log, <see cref="Log"/>, which
/// is chained, checkpointed and verified like a sector's; the reviewers of <see cref="Nations"/> may read it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SecurityEvent(
    [property: Id(0)] string Action,
    [property: Id(1)] string Subject,
    [property: Id(2)] IReadOnlyList<Nation> Nations,
    [property: Id(3)] string Detail,
    [property: Id(4)] int Count,
    [property: Id(5)] DateTimeOffset First) : HubEvent
{
    public const string Kind = "security";

    /// <summary>The log security events are recorded in; no sector has this code.</summary>
    public static readonly SectorId Log = new("SEC");

    public const string CertificateRefused = "certificate-refused";
    public const string Denied = "denied";
    public const string Revoked = "revoked";
    public const string StreamReplaced = "stream-replaced";
    public const string LimitRefused = "limit-refused";
    public const string Pairing = "pairing";
    public const string SharingPolicy = "sharing-policy";
    public const string Released = "released";

    public override JournalKeys Keys() => new(Kind, Log, null, null, Action, null);
}
