using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;

namespace PatrolHub.Grains.Ids;

/// <summary>An interdiction alert id, <c>SECTOR-A#####</c>, e.g. <c>TCA-A00001</c>; numbered per sector.</summary>
[GenerateSerializer, Immutable]
[JsonConverter(typeof(IdJsonConverter<AlertId>))]
public readonly record struct AlertId([property: Id(0)] string Value) : IParsable<AlertId>
{
    public SectorId Sector => new(Value[..3]);

    public static AlertId Create(SectorId sector, int number) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{sector}-A{number:D5}"));

    static AlertId IParsable<AlertId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    public static AlertId Parse(string s) => TryParse(s, null, out var id)
        ? id
        : throw new DomainValidationException("alert_id", $"'{s}' is not an alert id; expected SECTOR-A##### such as TCA-A00001.");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out AlertId result)
    {
        var ok = SectorScopedId.TryParse(s, 'A', out var normalized);
        result = new AlertId(normalized);
        return ok;
    }

    public override string ToString() => Value;
}
