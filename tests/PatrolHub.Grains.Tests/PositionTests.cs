using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class PositionTests(ClusterFixture fixture)
{
    private static readonly SectorId Tca = new("TCA");

    [Fact]
    public async Task A_repeated_sequence_is_acknowledged_again_and_recorded_once()
    {
        var unit = fixture.Client.Unit(UnitId.Parse($"US-TCA-{Events.NextNumber()}"));
        var report = Events.Report(1, at: fixture.Time.GetUtcNow());
        var first = await unit.Report(report);
        var again = await unit.Report(report);

        Assert.Equal(first, again);
        var recorded = await fixture.Temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = UnitId.Parse(unit.GetPrimaryKeyString()) });
        Assert.Single(recorded);
    }

    [Fact]
    public async Task A_reused_sequence_with_other_content_is_refused()
    {
        var unit = fixture.Client.Unit(UnitId.Parse($"US-TCA-{Events.NextNumber()}"));
        await unit.Report(Events.Report(5, at: fixture.Time.GetUtcNow()));

        var changed = await Assert.ThrowsAsync<DomainConflictException>(() => unit.Report(Events.Report(5, latitude: 31.5, at: fixture.Time.GetUtcNow())));
        Assert.Contains("already recorded with a different position", changed.Message, StringComparison.Ordinal);
        var lower = await Assert.ThrowsAsync<DomainConflictException>(() => unit.Report(Events.Report(3, at: fixture.Time.GetUtcNow())));
        Assert.Contains("sequence 3 is not greater than 5", lower.Message, StringComparison.Ordinal);
        Assert.Equal(5, (await unit.GetState()).LastSequence);
    }

    [Theory]
    [InlineData(91, -110.9, "latitude")]
    [InlineData(31.4, -181, "longitude")]
    [InlineData(double.NaN, -110.9, "latitude")]
    public async Task Coordinates_out_of_range_are_invalid(double latitude, double longitude, string field)
    {
        var unit = fixture.Client.Unit(UnitId.Parse($"US-TCA-{Events.NextNumber()}"));
        var error = await Assert.ThrowsAsync<DomainValidationException>(() => unit.Report(Events.Report(1, latitude, longitude, fixture.Time.GetUtcNow())));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task A_timestamp_more_than_five_minutes_ahead_is_invalid()
    {
        var unit = fixture.Client.Unit(UnitId.Parse($"US-TCA-{Events.NextNumber()}"));
        await unit.Report(Events.Report(1, at: fixture.Time.GetUtcNow().AddMinutes(4)));
        var error = await Assert.ThrowsAsync<DomainValidationException>(() => unit.Report(Events.Report(2, at: fixture.Time.GetUtcNow().AddMinutes(6))));
        Assert.Equal("gnss_time", error.Field);
        Assert.Equal(1, (await unit.GetState()).LastSequence);
    }

    [Fact]
    public async Task Partner_receives_positions_with_the_pairs_drift()
    {
        var n = Events.NextNumber();
        var (us, mx) = (UnitId.Parse($"US-TCA-{n}"), UnitId.Parse($"MX-TCA-{n}"));
        var sector = fixture.Client.Sector(Tca);
        var pair = await sector.ProposePair(us, mx, new Identity(Role.Command, Nation.US, Sector: Tca));
        await sector.AcceptPair(pair.Pair.Id, new Identity(Role.Command, Nation.MX, Sector: Tca));
        var observer = new RecordingObserver(Feed.ForUnit(us));
        var reference = fixture.Client.CreateObjectReference<ILogObserver>(observer);
        Assert.False((await fixture.Client.SectorLog(Tca).Subscribe(reference)).Known);
        Assert.True((await fixture.Client.SectorLog(Tca).Subscribe(reference)).Known);

        await fixture.Client.Unit(us).Report(Events.Report(1, 31.35, -110.90, fixture.Time.GetUtcNow()));
        var ack = await fixture.Client.Unit(mx).Report(Events.Report(1, 31.30, -110.95, fixture.Time.GetUtcNow()));

        var received = await observer.NextAsync();
        Assert.Equal(ack.Cursor, received.Cursor);
        var position = Assert.IsType<PositionRecorded>(received.Event);
        Assert.Equal(mx, position.Unit);
        Assert.Equal(us, position.Partner);
        Assert.Equal(pair.Pair.Id, position.Pair);
        Assert.Equal(BoundarySide.MX, position.Location.Side);
        var usChainage = Boundary.Default.Locate(new GeoPoint(31.35, -110.90)).ChainageKm;
        Assert.Equal(Math.Abs(usChainage - position.Location.ChainageKm), position.DriftKm!.Value, 6);
        Assert.Equal(position.DriftKm!.Value, (await sector.ListPairs(false)).Single(p => p.Pair.Id == pair.Pair.Id).DriftKm!.Value, 6);
        fixture.Client.DeleteObjectReference<ILogObserver>(reference);
    }
}
