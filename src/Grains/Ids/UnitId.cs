using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace PatrolHub.Grains.Ids;

/// <summary>A patrol unit id, <c>NATION-SECTOR-NUMBER</c>, e.g. <c>US-TCA-0101</c>.</summary>
[GenerateSerializer, Immutable]
[JsonConverter(typeof(IdJsonConverter<UnitId>))]
public readonly record struct UnitId([property: Id(0)] string Value) : IParsable<UnitId>
{
    // Both are read for every record delivered, so neither cuts a string out of the id.
    public Nation Nation => Nations.Parse(Value.AsSpan(0, 2));

    public SectorId Sector => SectorId.Of(Value.AsSpan(3, 3));

    static UnitId IParsable<UnitId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    public static UnitId Parse(string s) => TryParse(s, null, out var id)
        ? id
        : throw new DomainValidationException("unit_id", $"'{s}' is not a unit id; expected NATION-SECTOR-NUMBER such as US-TCA-0101.");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out UnitId result)
    {
        result = default;
        if (s is null) return false;
        var parts = s.Split('-');
        if (parts.Length != 3
            || !Nations.TryParse(parts[0], out _)
            || !SectorId.TryParse(parts[1], null, out _)
            || parts[2].Length is < 1 or > 8
            || !parts[2].All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        result = new UnitId(s.ToUpperInvariant());
        return true;
    }

    public override string ToString() => Value;
}
