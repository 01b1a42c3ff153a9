using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// What one subscriber receives, always inside one sector's log: a unit's feed is what is addressed to it (its
/// partner's positions, its pairing changes and drift warnings, its own and its partner's alerts, and the sector
/// commands' alerts); a sector's feed is everything recorded in the sector.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Feed([property: Id(0)] UnitId? Unit, [property: Id(1)] SectorId? Sector)
{
    public static Feed ForUnit(UnitId unit) => new(unit, null);

    public static Feed ForSector(SectorId sector) => new(null, sector);

    /// <summary>The sector whose log holds the feed.</summary>
    public SectorId Log => Unit?.Sector ?? Sector!.Value;

    public bool Matches(HubEvent e) => Unit is { } unit ? Addressees.Of(e.Keys()).Includes(unit) : e.Keys().Sector == Sector;

    public override string ToString() => Unit is { } unit ? $"unit {unit}" : $"sector {Sector}";
}

/// <summary>The units a recorded event is addressed to: the one it is sent to, the one it is about unless it is that
/// unit's own position, or, for a command's alert, every unit of the sector.</summary>
public readonly record struct Addressees(UnitId? ToUnit, UnitId? AboutUnit, bool EveryUnit)
{
    public static Addressees Of(JournalKeys keys) => new(
        keys.ToUnit,
        keys.Kind == PositionRecorded.Kind ? null : keys.Unit,
        keys.Kind == AlertChanged.Kind && keys.Unit is null);

    public bool Includes(UnitId unit) => EveryUnit || ToUnit == unit || AboutUnit == unit;
}
