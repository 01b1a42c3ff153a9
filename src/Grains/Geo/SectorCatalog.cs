using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Geo;

/// <summary>A sector and its stretch of the boundary, by chainage from the Pacific terminus.</summary>
[GenerateSerializer, Immutable]
public sealed record SectorInfo([property: Id(0)] SectorId Id, [property: Id(1)] string NameEn, [property: Id(2)] string NameEs, [property: Id(3)] double StartKm, [property: Id(4)] double EndKm);

/// <summary>
/// The nine southwest-border sectors. Their limits are approximate: each is where the line first
/// reaches the longitude of the county or state line that separates two sectors.
/// </summary>
public sealed class SectorCatalog
{
    private static readonly (string Code, string NameEn, string NameEs, double EastLongitude)[] Limits =
    [
        ("SDC", "San Diego", "San Diego (Tijuana, Baja California)", -116.10),
        ("ELC", "El Centro", "El Centro (Mexicali, Baja California)", -114.85),
        ("YUM", "Yuma", "Yuma (San Luis Río Colorado, Sonora)", -113.33),
        ("TCA", "Tucson", "Tucsón (Nogales, Sonora)", -109.05),
        ("EPT", "El Paso", "El Paso (Ciudad Juárez, Chihuahua)", -105.00),
        ("BBT", "Big Bend", "Big Bend (Ojinaga, Chihuahua)", -101.75),
        ("DRT", "Del Rio", "Del Río (Ciudad Acuña, Coahuila)", -100.25),
        ("LRT", "Laredo", "Laredo (Nuevo Laredo, Tamaulipas)", -99.10),
        ("RGV", "Rio Grande Valley", "Valle del Río Bravo (Reynosa y Matamoros, Tamaulipas)", double.PositiveInfinity),
    ];

    private readonly SectorInfo[] _sectors;

    public SectorCatalog(Boundary boundary)
    {
        Boundary = boundary;
        var start = 0.0;
        _sectors = [.. Limits.Select(limit =>
        {
            var end = double.IsPositiveInfinity(limit.EastLongitude) ? boundary.LengthKm : boundary.ChainageAtLongitude(limit.EastLongitude);
            var sector = new SectorInfo(new SectorId(limit.Code), limit.NameEn, limit.NameEs, Math.Round(start, 3), Math.Round(end, 3));
            start = end;
            return sector;
        })];
    }

    public static SectorCatalog Default { get; } = new(Boundary.Default);

    public Boundary Boundary { get; }

    public IReadOnlyList<SectorInfo> All => _sectors;

    public SectorInfo Get(SectorId id) => _sectors.FirstOrDefault(s => s.Id == id)
        ?? throw new DomainNotFoundException($"sector '{id}' is not in the catalogue; known: {string.Join(", ", _sectors.Select(s => s.Id))}.");

    /// <summary>The sector a request names by its code; a malformed code is invalid, an unknown one not found.</summary>
    public SectorInfo Get(string code) => Get(SectorId.Parse(code));

    public SectorInfo AtChainage(double chainageKm) =>
        _sectors.FirstOrDefault(s => chainageKm < s.EndKm) ?? _sectors[^1];

    public IReadOnlyList<GeoPoint> StretchOf(SectorInfo sector) => Boundary.Stretch(sector.StartKm, sector.EndKm);
}
