using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace PatrolHub.Grains.Ids;

/// <summary>A border sector code such as <c>TCA</c>. Parsing checks the form, not the catalogue.</summary>
[GenerateSerializer, Immutable]
[JsonConverter(typeof(IdJsonConverter<SectorId>))]
public readonly record struct SectorId([property: Id(0)] string Value) : IParsable<SectorId>
{
    static SectorId IParsable<SectorId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    public static SectorId Parse(string s) => TryParse(s, null, out var id)
        ? id
        : throw new DomainValidationException("sector", $"'{s}' is not a sector code; expected three letters such as TCA.");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out SectorId result)
    {
        result = default;
        if (s is not { Length: 3 } || !s.All(char.IsAsciiLetter)) return false;
        result = new SectorId(s.ToUpperInvariant());
        return true;
    }

    /// <summary>The sector with the code <paramref name="code"/> (checked already), one instance per code.</summary>
    internal static SectorId Of(ReadOnlySpan<char> code) =>
        Known.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(code, out var id) ? id : Known.GetOrAdd(new string(code), c => new SectorId(c));

    private static readonly ConcurrentDictionary<string, SectorId> Known = new();

    public override string ToString() => Value;
}
