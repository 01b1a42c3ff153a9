using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Pairs;

public enum PairState
{
    Proposed = 1,
    Active = 2,
    Dissolved = 3,
}

[GenerateSerializer, Immutable]
public sealed record PairInfo(
    PairId Id,
    UnitId Us,
    UnitId Mx,
    PairState State,
    string ProposedBy,
    Nation ProposedByNation,
    string? AcceptedBy,
    string? DissolvedBy,
    DateTimeOffset ChangedAt)
{
    public SectorId Sector => Id.Sector;

    public bool Involves(UnitId unit) => Us == unit || Mx == unit;

    public UnitId PartnerOf(UnitId unit) => unit == Us ? Mx : Us;
}

/// <summary>A pair's lifecycle step; addressed to both of its units.</summary>
[GenerateSerializer, Immutable]
public sealed record PairChanged(PairInfo Pair) : HubEvent
{
    public const string Kind = "pair";

    public override JournalKeys Keys() => new(Kind, Pair.Sector, Pair.Us, Pair.Mx, Pair.Id.Value, null);
}
