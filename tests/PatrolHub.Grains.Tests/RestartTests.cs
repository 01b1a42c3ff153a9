using Microsoft.Extensions.Time.Testing;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Tests;

public sealed class RestartTests
{
    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task Pairs_positions_and_sequences_come_back_from_the_journal(string store)
    {
        var tca = new SectorId("TCA");
        var (us, mx) = (UnitId.Parse("US-TCA-0101"), UnitId.Parse("MX-TCA-0101"));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var temp = new TempJournal(store);
        PairId pairId;
        await using (var cluster = await ClusterFixture.StartAsync(temp.Journal, time))
        {
            var sector = cluster.Client.Sector(tca);
            pairId = (await sector.ProposePair(us, mx, new Identity(Role.Command, Nation.MX, Sector: tca))).Pair.Id;
            await sector.AcceptPair(pairId, new Identity(Role.Command, Nation.US, Sector: tca));
            for (var i = 1; i <= 3; i++) await cluster.Client.Unit(us).Report(Events.Report(i, at: time.GetUtcNow()));
            await cluster.Client.Unit(mx).Report(Events.Report(1, 31.30, at: time.GetUtcNow()));
        }

        await temp.ReopenAsync();
        await using (var cluster = await ClusterFixture.StartAsync(temp.Journal, time))
        {
            var state = await cluster.Client.Unit(us).GetState();
            Assert.Equal(3, state.LastSequence);
            Assert.Equal(pairId, state.Pair?.Id);
            Assert.Equal(PairState.Active, state.Pair?.State);

            var status = await cluster.Client.Sector(tca).GetStatus();
            Assert.Equal([mx, us], status.Units.Select(r => ((Units.PositionRecorded)r.Event).Unit));
            var pair = Assert.Single(status.Pairs);
            Assert.NotNull(pair.DriftKm);
            Assert.Equal(PairId.Create(tca, 2), (await cluster.Client.Sector(tca).ProposePair(
                UnitId.Parse("US-TCA-0102"), UnitId.Parse("MX-TCA-0102"), new Identity(Role.Command, Nation.US, Sector: tca))).Pair.Id);
        }
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task A_pending_escalation_survives_a_restart_and_fires_on_time(string store)
    {
        var rgv = new SectorId("RGV");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        await using var temp = new TempJournal(store);
        Alerts.AlertInfo raised;
        await using (var cluster = await ClusterFixture.StartAsync(temp.Journal, time))
        {
            raised = (await cluster.Client.Sector(rgv).RaiseAlert(AlertTests.Report(Alerts.Severity.Critical), new Identity(Role.Command, Nation.MX, Sector: rgv), null)).Alert;
            time.Advance(TimeSpan.FromSeconds(20));
        }

        await temp.ReopenAsync();
        await using (var cluster = await ClusterFixture.StartAsync(temp.Journal, time))
        {
            var observer = new RecordingObserver(Journal.Feed.ForSector(rgv));
            await cluster.Client.SectorLog(rgv).Subscribe(cluster.Client.CreateObjectReference<Live.ILogObserver>(observer));
            Assert.Equal(Alerts.AlertState.Raised, (await cluster.Client.Alert(raised.Id).GetAlert()).State);

            time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(0, (await cluster.Client.Alert(raised.Id).GetAlert()).Escalations);
            time.Advance(TimeSpan.FromSeconds(1));

            var escalated = await observer.NextAsync<Alerts.AlertChanged>(a => a.Transition == Alerts.AlertTransition.Escalated);
            Assert.Equal(raised.Id, escalated.Alert.Id);
            Assert.True(escalated.Alert.JointCentre);
            Assert.Equal(raised.RaisedAt + TimeSpan.FromSeconds(30), escalated.Alert.ChangedAt);
        }
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task After_a_restart_a_sector_holds_only_its_open_alerts_and_numbers_on_from_the_journal(string store)
    {
        var elc = new SectorId("ELC");
        var command = new Identity(Role.Command, Nation.US, Sector: elc);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        await using var temp = new TempJournal(store);
        await using (var cluster = await ClusterFixture.StartAsync(temp.Journal, time))
        {
            var raised = new List<Alerts.AlertInfo>();
            for (var i = 0; i < 3; i++) raised.Add((await cluster.Client.Sector(elc).RaiseAlert(AlertTests.Report(Alerts.Severity.Low), command, null)).Alert);
            foreach (var alert in raised.Take(2)) await cluster.Client.Alert(alert.Id).Resolve(command, Alerts.AlertOutcome.FalseAlarm);
        }

        await temp.ReopenAsync();
        await using (var cluster = await ClusterFixture.StartAsync(temp.Journal, time))
        {
            var sector = cluster.Client.Sector(elc);
            Assert.Equal([AlertId.Create(elc, 3)], (await sector.GetStatus()).OpenAlerts.Select(a => a.Id));
            Assert.Equal([AlertId.Create(elc, 3)], (await sector.ListAlerts(openOnly: true)).Select(a => a.Id));
            Assert.Equal([1, 2, 3], (await sector.ListAlerts(openOnly: false)).Select(a => int.Parse(a.Id.Value[5..], System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(AlertId.Create(elc, 4), (await sector.RaiseAlert(AlertTests.Report(Alerts.Severity.Low), command, null)).Alert.Id);
        }
    }
}
