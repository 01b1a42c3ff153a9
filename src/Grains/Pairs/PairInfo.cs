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
    [property: Id(0)] PairId Id,
    [property: Id(1)] UnitId Us,
    [property: Id(2)] UnitId Mx,
    [property: Id(3)] PairState State,
    [property: Id(4)] string ProposedBy,
    [property: Id(5)] Nation ProposedByNation,
    [property: Id(6)] string? AcceptedBy,
    [property: Id(7)] string? DissolvedBy,
    [property: Id(8)] DateTimeOffset ChangedAt)
{
    public SectorId Sector => Id.Sector;

    public bool Involves(UnitId unit) => Us == unit || Mx == unit;

    public UnitId PartnerOf(UnitId unit) => unit == Us ? Mx : Us;
}

/// <summary>A pair's lifecycle step; addressed to both of its units.</summary>
[GenerateSerializer, Immutable]
public sealed record PairChanged([property: Id(0)] PairInfo Pair) : HubEvent
{
    public const string Kind = "pair";

    public override JournalKeys Keys() => new(Kind, Pair.Sector, Pair.Us, Pair.Mx, Pair.Id.Value, null);
}
