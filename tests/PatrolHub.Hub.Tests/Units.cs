using Google.Protobuf.WellKnownTypes;
using PatrolHub.Client.Pki;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>Fresh unit numbers and pairs, so tests sharing one hub do not meet.</summary>
internal static class Units
{
    private static int _next = 2000;

    public static (string Us, string Mx) NextPair(string sector = "TCA")
    {
        var n = Interlocked.Increment(ref _next);
        return ($"US-{sector}-{n}", $"MX-{sector}-{n}");
    }

    public static PositionUpdate Position(ulong sequence, double latitude = 31.35, double longitude = -110.90, DateTimeOffset? at = null) => new()
    {
        Sequence = sequence,
        GnssTime = Timestamp.FromDateTimeOffset(at ?? DateTimeOffset.UtcNow),
        Latitude = latitude,
        Longitude = longitude,
        AccuracyM = 4,
        HeadingDeg = 90,
        SpeedMps = 3,
        Status = UnitStatus.OnPatrol,
    };

    /// <summary>Proposes (U.S. command) and accepts (Mexican command) a pair; returns its id.</summary>
    public static async Task<string> PairAsync(HubFixture hub, string us, string mx, string sector = "TCA")
    {
        using var usChannel = hub.Channel(IdentitySpec.Command("US", sector));
        using var mxChannel = hub.Channel(IdentitySpec.Command("MX", sector));
        var proposed = await new CommandService.CommandServiceClient(usChannel).ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = mx });
        await new CommandService.CommandServiceClient(mxChannel).AcceptPairAsync(new PairRequest { PairId = proposed.PairId });
        return proposed.PairId;
    }
}
