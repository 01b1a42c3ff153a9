using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Pairs;

/// <summary>A pair's mirror drift stayed above the threshold for the set time (or, with <see cref="Cleared"/>,
/// came back under it). Addressed to both units; sector commands see it in the sector's feed.</summary>
[GenerateSerializer, Immutable]
public sealed record DriftWarning(PairInfo Pair, double DriftKm, double ThresholdKm, TimeSpan Above, bool Cleared) : HubEvent
{
    public const string Kind = "warning";

    public override JournalKeys Keys() => new(Kind, Pair.Sector, Pair.Us, Pair.Mx, Pair.Id.Value, null);
}
