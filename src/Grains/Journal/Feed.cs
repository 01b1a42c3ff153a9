using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// What one subscriber receives: a unit's feed is what is addressed to it (its partner's positions, its pairing
/// changes and drift warnings, its own and its partner's alerts, and the sector commands' alerts); a sector's feed
/// is everything recorded in the sector.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Feed([property: Id(0)] UnitId? Unit, [property: Id(1)] SectorId? Sector)
{
    public static Feed ForUnit(UnitId unit) => new(unit, null);

    public static Feed ForSector(SectorId sector) => new(null, sector);

    public bool Matches(HubEvent e)
    {
        var keys = e.Keys();
        return Unit is { } unit
            ? keys.ToUnit == unit
                || (keys.Unit == unit && keys.Kind != PositionRecorded.Kind)
                || (keys.Kind == AlertChanged.Kind && keys.Unit is null && keys.Sector == unit.Sector)
            : keys.Sector == Sector;
    }

    /// <summary>The same test as <see cref="Matches"/>, as SQL over the journal's key columns.</summary>
    internal (string Where, string Key, string Sector) ToSql() => Unit is { } unit
        ? ("(to_unit = $key OR (unit = $key AND kind <> 'position') OR (kind = 'alert' AND unit IS NULL AND sector = $sector))", unit.Value, unit.Sector.Value)
        : ("sector = $key", Sector!.Value.Value, Sector.Value.Value);

    public override string ToString() => Unit is { } unit ? $"unit {unit}" : $"sector {Sector}";
}
