using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Pairs;

/// <summary>A pair's mirror drift stayed above the threshold for the set time (or, with <see cref="Cleared"/>,
/// came back under it). Addressed to both units; sector commands see it in the sector's feed.</summary>
[GenerateSerializer, Immutable]
public sealed record DriftWarning([property: Id(0)] PairInfo Pair, [property: Id(1)] double DriftKm, [property: Id(2)] double ThresholdKm, [property: Id(3)] TimeSpan Above, [property: Id(4)] bool Cleared) : HubEvent
{
    public const string Kind = "warning";

    public override JournalKeys Keys() => new(Kind, Pair.Sector, Pair.Us, Pair.Mx, Pair.Id.Value, null);
}
