using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Tests;

public sealed class BoundaryTests
{
    private static readonly Boundary Line = Boundary.Default;

    [Fact]
    public void Line_runs_from_the_Pacific_to_the_Gulf()
    {
        Assert.Equal(966, Line.Points.Count);
        Assert.Equal(-117.13, Line.Points[0].Longitude, 0.01);
        Assert.Equal(32.53, Line.Points[0].Latitude, 0.01);
        Assert.Equal(-97.14, Line.Points[^1].Longitude, 0.01);
        Assert.Equal(25.97, Line.Points[^1].Latitude, 0.01);
        // The 1:10m line smooths the Rio Grande's meanders: about 2,644 km against the surveyed 3,145.
        Assert.InRange(Line.LengthKm, 2600, 2700);
    }

    [Theory]
    [InlineData(31.3404, -110.9343, BoundarySide.US)] // Nogales, Arizona
    [InlineData(31.3086, -110.9458, BoundarySide.MX)] // Nogales, Sonora
    [InlineData(31.7587, -106.4869, BoundarySide.US)] // El Paso, Texas
    [InlineData(31.6904, -106.4245, BoundarySide.MX)] // Ciudad Juárez
    [InlineData(25.9017, -97.4975, BoundarySide.US)]  // Brownsville, Texas
    [InlineData(25.8690, -97.5027, BoundarySide.MX)]  // Matamoros
    public void Side_of_the_line_is_known_for_border_cities(double latitude, double longitude, BoundarySide expected) =>
        Assert.Equal(expected, Line.Locate(new GeoPoint(latitude, longitude)).Side);

    [Fact]
    public void The_two_Nogales_are_a_few_hundred_metres_from_the_line()
    {
        // Points either side of the ports of entry. At 1:10m the line here runs some 600 m south of the survey.
        var arizona = Line.Locate(new GeoPoint(31.3380, -110.9400));
        var sonora = Line.Locate(new GeoPoint(31.3220, -110.9450));
        Assert.Equal(BoundarySide.US, arizona.Side);
        Assert.Equal(BoundarySide.MX, sonora.Side);
        Assert.InRange(arizona.DistanceM, 100, 1_500);
        Assert.InRange(sonora.DistanceM, 100, 1_500);
        Assert.InRange(Math.Abs(arizona.ChainageKm - sonora.ChainageKm), 0, 3);
    }

    [Fact]
    public void Chainage_grows_eastward_from_the_Pacific()
    {
        var tijuana = Line.Locate(new GeoPoint(32.5149, -117.0382)).ChainageKm;
        var nogales = Line.Locate(new GeoPoint(31.3404, -110.9343)).ChainageKm;
        var juarez = Line.Locate(new GeoPoint(31.6904, -106.4245)).ChainageKm;
        var laredo = Line.Locate(new GeoPoint(27.5036, -99.5075)).ChainageKm;
        Assert.True(tijuana < nogales && nogales < juarez && juarez < laredo, $"{tijuana} < {nogales} < {juarez} < {laredo}");
        Assert.InRange(tijuana, 0, 20);
    }

    [Fact]
    public void A_point_on_the_line_is_at_its_chainage()
    {
        var point = Line.PointAt(1234.5);
        var location = Line.Locate(point);
        Assert.Equal(1234.5, location.ChainageKm, 0.01);
        Assert.InRange(location.DistanceM, 0, 1);
    }

    [Theory]
    [InlineData(32.5149, -117.0382, "SDC")] // Tijuana
    [InlineData(32.6245, -115.4523, "ELC")] // Mexicali
    [InlineData(32.4862, -114.7814, "YUM")] // San Luis Río Colorado
    [InlineData(31.3086, -110.9458, "TCA")] // Nogales, Sonora
    [InlineData(31.6904, -106.4245, "EPT")] // Ciudad Juárez
    [InlineData(29.5645, -104.4167, "BBT")] // Ojinaga
    [InlineData(29.3232, -100.9522, "DRT")] // Ciudad Acuña
    [InlineData(27.4763, -99.5164, "LRT")]  // Nuevo Laredo
    [InlineData(26.0922, -98.2772, "RGV")]  // Reynosa
    public void Border_cities_fall_in_their_sector(double latitude, double longitude, string sector)
    {
        var catalog = SectorCatalog.Default;
        var chainage = catalog.Boundary.Locate(new GeoPoint(latitude, longitude)).ChainageKm;
        Assert.Equal(new SectorId(sector), catalog.AtChainage(chainage).Id);
    }

    [Fact]
    public void Sectors_cover_the_whole_line_without_gaps()
    {
        var sectors = SectorCatalog.Default.All;
        Assert.Equal(9, sectors.Count);
        Assert.Equal(0, sectors[0].StartKm);
        for (var i = 1; i < sectors.Count; i++) Assert.Equal(sectors[i - 1].EndKm, sectors[i].StartKm);
        Assert.Equal(Math.Round(Line.LengthKm, 3), sectors[^1].EndKm);
        Assert.All(sectors, s => Assert.True(s.EndKm > s.StartKm + 50, $"{s.Id} is {s.EndKm - s.StartKm:F0} km"));
    }

    [Fact]
    public void Unknown_sector_is_named_in_the_error()
    {
        var error = Assert.Throws<DomainNotFoundException>(() => SectorCatalog.Default.Get(new SectorId("XYZ")));
        Assert.Contains("XYZ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locating_by_chunks_gives_what_a_search_of_every_segment_and_edge_gives()
    {
        var random = new Random(20261127);
        for (var n = 0; n < 3000; n++)
        {
            // Near the line mostly, and some far from it in every direction.
            var near = Line.Points[random.Next(Line.Points.Count)];
            var spread = n % 10 == 0 ? 8.0 : 0.2;
            var point = new GeoPoint(
                Math.Clamp(near.Latitude + ((random.NextDouble() - 0.5) * spread), -89, 89), near.Longitude + ((random.NextDouble() - 0.5) * spread));

            var (side, distance, chainage) = Exhaustively(point);
            var located = Line.Locate(point);
            Assert.Equal(side, located.Side);
            Assert.Equal(distance, located.DistanceM, 6);
            Assert.Equal(chainage, located.ChainageKm, 6);
        }
    }

    /// <summary>The plain definition: the nearest of all segments in the local projection, and an even-odd test against
    /// the line closed far to the north.</summary>
    private static (BoundarySide Side, double DistanceM, double ChainageKm) Exhaustively(GeoPoint p)
    {
        const double MetresPerDegree = Math.PI / 180 * 6_371_008.8;
        var points = Line.Points;
        var cosLat = Math.Cos(p.Latitude * Math.PI / 180);
        var (best, chainage, along) = (double.MaxValue, 0.0, 0.0);
        for (var i = 0; i < points.Count - 1; i++)
        {
            double ax = (points[i].Longitude - p.Longitude) * MetresPerDegree * cosLat, ay = (points[i].Latitude - p.Latitude) * MetresPerDegree;
            double bx = (points[i + 1].Longitude - p.Longitude) * MetresPerDegree * cosLat, by = (points[i + 1].Latitude - p.Latitude) * MetresPerDegree;
            double dx = bx - ax, dy = by - ay;
            var t = dx * dx + dy * dy == 0 ? 0 : Math.Clamp(-(ax * dx + ay * dy) / (dx * dx + dy * dy), 0, 1);
            var d = Math.Sqrt(Math.Pow(ax + t * dx, 2) + Math.Pow(ay + t * dy, 2));
            var length = Boundary.DistanceM(points[i], points[i + 1]) / 1000;
            if (d < best) (best, chainage) = (d, along + t * length);
            along += length;
        }

        var (first, last) = (points[0], points[^1]);
        List<(double X, double Y)> polygon = [.. points.Select(q => (q.Longitude, q.Latitude)),
            (last.Longitude + 10, last.Latitude), (last.Longitude + 10, 60), (first.Longitude - 10, 60), (first.Longitude - 10, first.Latitude)];
        var inside = false;
        for (int i = 0, j = polygon.Count - 1; i < polygon.Count; j = i++)
        {
            if ((polygon[i].Y > p.Latitude) != (polygon[j].Y > p.Latitude)
                && p.Longitude < (polygon[j].X - polygon[i].X) * (p.Latitude - polygon[i].Y) / (polygon[j].Y - polygon[i].Y) + polygon[i].X)
            {
                inside = !inside;
            }
        }

        return (inside ? BoundarySide.US : BoundarySide.MX, best, chainage);
    }
}
