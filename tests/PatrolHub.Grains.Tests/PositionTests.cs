using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
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

    [Fact]
    public async Task Positions_past_the_journal_backlog_are_refused_and_every_accepted_one_is_recorded()
    {
        // The fake clock holds the journal's second commit back, so what arrives meanwhile waits.
        var time = new FakeTimeProvider(fixture.Time.GetUtcNow());
        await using var temp = new TempJournal(commitInterval: TimeSpan.FromSeconds(1), time: time);
        const int MaxPending = 4;
        await using var cluster = await ClusterFixture.StartAsync(
            temp.Journal, time, s => s.Configure<JournalOptions>(o => (o.MaxBatch, o.MaxPending) = (MaxPending, MaxPending)));
        var n = Events.NextNumber();
        UnitId Unit(int i) => UnitId.Parse($"US-TCA-{n}{i:D2}");
        await cluster.Client.Unit(Unit(0)).Report(Events.Report(1, at: time.GetUtcNow()));

        // One batch in the journal, the next waiting: at most twice the backlog is taken, the rest refused at once.
        const int Units = 3 * MaxPending;
        var refused = 0;
        var enoughRefused = new TaskCompletionSource();
        async Task<PositionAck?> ReportAsync(UnitId unit)
        {
            try
            {
                return await cluster.Client.Unit(unit).Report(Events.Report(1, at: time.GetUtcNow()));
            }
            catch (OverloadedException e)
            {
                Assert.Contains("retry shortly", e.Message, StringComparison.Ordinal);
                if (Interlocked.Increment(ref refused) == Units - 2 * MaxPending) enoughRefused.SetResult();
                return null;
            }
        }

        var reports = Enumerable.Range(1, Units).Select(i => ReportAsync(Unit(i))).ToList();
        await enoughRefused.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var all = Task.WhenAll(reports);
        await JournalTests.AdvanceUntilAsync(time, all);

        var acks = (await all).Select((ack, i) => (Unit: Unit(i + 1), Ack: ack)).Where(a => a.Ack is not null).ToList();
        Assert.InRange(acks.Count, 1, 2 * MaxPending);
        var recorded = await temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Sector = Tca });
        Assert.Equal(
            acks.Select(a => (a.Unit, a.Ack!.Cursor)).OrderBy(a => a.Cursor),
            recorded.Select(r => (((PositionRecorded)r.Event).Unit, r.Cursor)).Where(r => r.Unit != Unit(0)));
    }
}
