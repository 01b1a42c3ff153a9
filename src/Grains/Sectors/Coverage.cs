namespace PatrolHub.Grains.Sectors;

/// <summary>A stretch of the boundary by chainage (km from the Pacific terminus).</summary>
[GenerateSerializer, Immutable]
public sealed record ChainageRange([property: Id(0)] double StartKm, [property: Id(1)] double EndKm);

public static class Coverage
{
    /// <summary>The parts of [start, end] that no covered range reaches, each at least 100 m long.</summary>
    public static IReadOnlyList<ChainageRange> Gaps(double startKm, double endKm, IEnumerable<ChainageRange> covered)
    {
        var gaps = new List<ChainageRange>();
        var from = startKm;
        foreach (var range in covered.OrderBy(r => r.StartKm))
        {
            if (range.StartKm > from) Add(from, Math.Min(range.StartKm, endKm));
            from = Math.Max(from, range.EndKm);
            if (from >= endKm) break;
        }

        Add(from, endKm);
        return gaps;

        void Add(double a, double b)
        {
            if (b - a >= 0.1) gaps.Add(new ChainageRange(Math.Round(a, 3), Math.Round(b, 3)));
        }
    }
}
