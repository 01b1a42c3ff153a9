using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SectorStatusTests(ClusterFixture fixture)
{
    private static readonly SectorInfo Lrt = SectorCatalog.Default.Get(new SectorId("LRT"));

    [Fact]
    public async Task Drift_above_the_threshold_for_a_minute_warns_both_units_and_the_sector_then_clears()
    {
        var (us, mx, pair) = await PairAsync();
        var sector = await fixture.WatchAsync(Lrt.Id);
        var usFeed = await fixture.WatchAsync(us);
        var mxFeed = await fixture.WatchAsync(mx);

        await Report(us, 1, Lrt.StartKm + 50);
        await Report(mx, 1, Lrt.StartKm + 53);
        fixture.Time.Advance(TimeSpan.FromSeconds(59));
        await Report(mx, 2, Lrt.StartKm + 53);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await Report(mx, 3, Lrt.StartKm + 53);

        var warning = await sector.NextAsync<DriftWarning>(w => w.Pair.Id == pair);
        Assert.False(warning.Cleared);
        Assert.Equal(3, warning.DriftKm, 1);
        Assert.Equal(TimeSpan.FromSeconds(60), warning.Above);
        Assert.Equal(pair, (await usFeed.NextAsync<DriftWarning>()).Pair.Id);
        Assert.Equal(pair, (await mxFeed.NextAsync<DriftWarning>()).Pair.Id);

        await Report(us, 2, Lrt.StartKm + 53);
        var cleared = await sector.NextAsync<DriftWarning>(w => w.Pair.Id == pair);
        Assert.True(cleared.Cleared);
    }

    [Fact]
    public async Task Status_shows_stale_units_coverage_gaps_and_open_alerts()
    {
        var (us, mx, _) = await PairAsync();
        var lonely = UnitId.Parse($"US-LRT-{Events.NextNumber()}");
        var quiet = UnitId.Parse($"MX-LRT-{Events.NextNumber()}");
        await Report(lonely, 1, Lrt.StartKm + 10);
        await Report(quiet, 1, Lrt.StartKm + 12);
        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        await Report(us, 1, Lrt.StartKm + 100);
        await Report(mx, 1, Lrt.StartKm + 101);
        var command = new Identity(Role.Command, Nation.MX, Sector: Lrt.Id);
        var alert = (await fixture.Client.Sector(Lrt.Id).RaiseAlert(AlertTests.Report(Severity.Critical), command, null)).Alert;

        var status = await fixture.Client.Sector(Lrt.Id).GetStatus();

        Assert.Contains(lonely, status.StaleUnits);
        Assert.Contains(quiet, status.StaleUnits);
        Assert.DoesNotContain(us, status.StaleUnits);
        Assert.Contains(status.OpenAlerts, a => a.Id == alert.Id);
        Assert.Equal(Severity.Critical, status.OpenAlerts[0].Severity);
        // This pair covers km 95–106 of the sector; other tests' pairs may cover more, never that stretch.
        Assert.DoesNotContain(status.CoverageGaps, g => g.StartKm < Lrt.StartKm + 105 && g.EndKm > Lrt.StartKm + 96);
        Assert.Contains(status.CoverageGaps, g => g.StartKm == Lrt.StartKm);
    }

    [Fact]
    public void Coverage_gaps_are_what_no_pair_reaches()
    {
        var gaps = Sectors.Coverage.Gaps(0, 100, [new(10, 20), new(15, 30), new(60, 70), new(95, 120)]);
        Assert.Equal([new(0, 10), new(30, 60), new(70, 95)], gaps);
        Assert.Equal([new Sectors.ChainageRange(0, 100)], Sectors.Coverage.Gaps(0, 100, []));
    }

    private Task<PositionAck> Report(UnitId unit, long sequence, double chainageKm)
    {
        var point = SectorCatalog.Default.Boundary.PointAt(chainageKm);
        return fixture.Client.Unit(unit).Report(Events.Report(sequence, point.Latitude, point.Longitude, fixture.Time.GetUtcNow()));
    }

    private Task<(UnitId Us, UnitId Mx, PairId Pair)> PairAsync() => fixture.PairAsync(Lrt.Id);
}
