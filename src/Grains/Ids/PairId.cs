using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace PatrolHub.Grains.Ids;

/// <summary>A mirrored pair id, <c>SECTOR-P####</c>, e.g. <c>TCA-P0001</c>; numbered per sector.</summary>
[GenerateSerializer, Immutable]
[JsonConverter(typeof(IdJsonConverter<PairId>))]
public readonly record struct PairId([property: Id(0)] string Value) : IParsable<PairId>
{
    public SectorId Sector => new(Value[..3]);

    public static PairId Create(SectorId sector, int number) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{sector}-P{number:D4}"));

    static PairId IParsable<PairId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    public static PairId Parse(string s) => TryParse(s, null, out var id)
        ? id
        : throw new DomainValidationException("pair_id", $"'{s}' is not a pair id; expected SECTOR-P#### such as TCA-P0001.");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out PairId result)
    {
        var ok = SectorScopedId.TryParse(s, 'P', out var normalized);
        result = new PairId(normalized);
        return ok;
    }

    public override string ToString() => Value;
}
