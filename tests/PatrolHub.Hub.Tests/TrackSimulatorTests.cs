using PatrolHub.Client.Simulation;
using PatrolHub.Grains.Geo;
using LatLon = PatrolHub.V1.LatLon;

namespace PatrolHub.Hub.Tests;

public sealed class TrackSimulatorTests
{
    public static TheoryData<string> Sectors => [.. SectorCatalog.Default.All.Select(s => s.Id.Value)];

    [Theory]
    [MemberData(nameof(Sectors))]
    public void Simulated_partners_patrol_in_step_on_their_own_sides(string code)
    {
        var sector = SectorCatalog.Default.All.Single(s => s.Id.Value == code);
        var stretch = SectorCatalog.Default.StretchOf(sector).Select(p => new LatLon { Latitude = p.Latitude, Longitude = p.Longitude }).ToList();
        var start = new DateTimeOffset(2026, 11, 27, 18, 0, 0, TimeSpan.Zero);
        var onSide = 0;
        var samples = 0;
        var inStep = 0;
        foreach (var slot in new[] { 101, 5001, 5002, 5003 })
        {
            var us = new TrackSimulator(stretch, usSide: true, slot);
            var mx = new TrackSimulator(stretch, usSide: false, slot);
            for (var t = 0; t < 3600; t += 60)
            {
                var (usLat, usLon, _, speed) = us.At(start.AddSeconds(t));
                var (mxLat, mxLon, _, _) = mx.At(start.AddSeconds(t));
                var usAt = Boundary.Default.Locate(new GeoPoint(usLat, usLon));
                var mxAt = Boundary.Default.Locate(new GeoPoint(mxLat, mxLon));
                samples += 2;
                if (usAt.Side == BoundarySide.US && usAt.DistanceM is > 1000 and < 3000) onSide++;
                if (mxAt.Side == BoundarySide.MX && mxAt.DistanceM is > 1000 and < 3000) onSide++;
                Assert.InRange(usAt.ChainageKm, sector.StartKm - 3, sector.EndKm + 3);
                if (Math.Abs(usAt.ChainageKm - mxAt.ChainageKm) < 1) inStep++;
                Assert.Equal(4, speed);
            }
        }

        // Where the river bends sharply a 2 km offset can reach the far bank; that must stay rare.
        Assert.True(onSide >= samples * 0.9, $"{onSide} of {samples} fixes were on their own side, 1–3 km from the line");
        Assert.True(inStep >= samples / 2 * 0.9, $"{inStep} of {samples / 2} times the partners were within 1 km of each other along the line");
    }
}
