using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Data.Sqlite;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

[CollectionDefinition(CrashTests.Name, DisableParallelization = true)]
public sealed class HubProcessCollection;

/// <summary>Kills and restarts hub processes; run alone, so their timing is not disturbed by other tests, nor theirs by these.</summary>
[Collection(Name)]
public sealed class CrashTests
{
    public const string Name = "hub processes";

    [Fact]
    public async Task A_hub_killed_while_units_stream_loses_nothing_it_acknowledged_and_its_record_verifies_and_replays_exactly()
    {
        var started = DateTimeOffset.UtcNow;
        var data = Directory.CreateTempSubdirectory("patrolhub-crash-").FullName;
        var port = HubFixture.FreePort();
        var hub = await HubProcess.StartAsync(data, port);
        try
        {
            var pki = new DevelopmentPki(Path.Combine(data, "certs"));
            var connection = HubConnectionOptions.Load($"https://127.0.0.1:{port}", null, pki.PathOf(DevelopmentPki.HubCa));
            using var usCommand = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("US", "TCA")));
            using var mxCommand = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("MX", "TCA")));
            var pair = await new CommandService.CommandServiceClient(usCommand).ProposePairAsync(new ProposePairRequest { UsUnit = "US-TCA-0101", MxUnit = "MX-TCA-0101" });
            await new CommandService.CommandServiceClient(mxCommand).AcceptPairAsync(new PairRequest { PairId = pair.PairId });

            // The pair, and eight more units streaming beside it.
            var units = Enumerable.Range(101, 5).SelectMany(n => (string[])[$"US-TCA-0{n}", $"MX-TCA-0{n}"]).ToArray();
            var acked = units.ToDictionary(u => u, _ => new List<ulong>());
            using var stop = new CancellationTokenSource();
            var sessions = new ConcurrentBag<UnitSession>();
            var streams = units.Select(u => StreamAsync(connection, pki, u, acked[u], sessions, stop.Token)).ToList();

            await Poll.UntilAsync(() => acked.Values.All(a => Count(a) >= 30), TimeSpan.FromSeconds(60));
            await hub.KillAsync();
            var beforeKill = acked.ToDictionary(a => a.Key, a => Count(a.Value));
            await hub.DisposeAsync();
            // Each session knows it is down, and for how long, until a hub welcomes it back.
            await Poll.UntilAsync(() => sessions.All(s => s.Down is not null), TimeSpan.FromSeconds(30));
            hub = await HubProcess.StartAsync(data, port);
            await Poll.UntilAsync(() => acked.All(a => Count(a.Value) >= beforeKill[a.Key] + 30), TimeSpan.FromSeconds(60));
            Assert.All(sessions, s => Assert.Null(s.Down));
            Assert.All(sessions, s => Assert.NotEmpty(s.Outages));
            await stop.CancelAsync();
            await Task.WhenAll(streams);

            var pairs = await new CommandService.CommandServiceClient(usCommand).ListPairsAsync(new ListPairsRequest { Sector = "TCA" });
            Assert.Equal(PairState.Active, pairs.Pairs.Single(p => p.PairId == pair.PairId).State);

            // After-action review of the same record: the chain verifies, and replay has every acknowledged position once.
            using var reviewer = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Reviewer("US")));
            var review = new ReviewService.ReviewServiceClient(reviewer);
            var verified = await review.VerifyAsync(new VerifyRequest { Sector = "TCA" });
            Assert.True(verified.Intact, verified.Sectors.Single().Break?.Problem);
            foreach (var unit in units)
            {
                using var replay = review.Replay(new ReplayRequest
                {
                    Sector = "TCA", From = Timestamp.FromDateTimeOffset(started), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                    Units = { unit }, Kinds = { EventKind.Position },
                });
                var replayed = new List<ulong>();
                await foreach (var batch in replay.ResponseStream.ReadAllAsync()) replayed.AddRange(batch.Events.Select(e => e.Position.Sequence));
                List<ulong> confirmed;
                lock (acked[unit]) confirmed = [.. acked[unit]];
                Assert.Equal(replayed.Distinct().Count(), replayed.Count);
                Assert.Empty(confirmed.Except(replayed));
            }

            await hub.KillAsync();

            foreach (var unit in units)
            {
                var recorded = await RecordedSequencesAsync(Path.Combine(data, "journal.db"), unit);
                List<ulong> confirmed;
                lock (acked[unit]) confirmed = [.. acked[unit]];
                Assert.All(confirmed, s => Assert.Equal(1, recorded.GetValueOrDefault(s)));
                Assert.Equal(recorded.Keys.Order(), recorded.Keys);
            }
        }
        finally
        {
            await hub.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_pending_escalation_fires_on_time_after_the_hub_is_killed_and_restarted()
    {
        var data = Directory.CreateTempSubdirectory("patrolhub-crash-").FullName;
        var port = HubFixture.FreePort();
        string[] deadline = ["--Alerts:CriticalDeadline", "00:00:10"];
        var hub = await HubProcess.StartAsync(data, port, deadline);
        try
        {
            var pki = new DevelopmentPki(Path.Combine(data, "certs"));
            var connection = HubConnectionOptions.Load($"https://127.0.0.1:{port}", null, pki.PathOf(DevelopmentPki.HubCa));
            using var command = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("MX", "TCA")));
            var raised = await new CommandService.CommandServiceClient(command).RaiseAlertAsync(AlertTests.Raise("TCA", Severity.Critical, 31.32, -110.93));

            await hub.KillAsync();
            await hub.DisposeAsync();
            hub = await HubProcess.StartAsync(data, port, deadline);

            using var joint = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Joint("US")));
            using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var escalated = await new PatrolHub.Client.Sectors.SectorWatch(joint, "TCA").WatchAsync(watch.Token)
                .Where(u => u.Alert is not null)
                .FirstAsync(watch.Token);
            Assert.Equal((raised.AlertId, "escalated"), (escalated.Alert.AlertId, escalated.Alert.Transition));
            var after = escalated.Alert.ChangedAt.ToDateTimeOffset() - raised.RaisedAt.ToDateTimeOffset();
            Assert.InRange(after, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(11));
        }
        finally
        {
            await hub.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task StreamAsync(
        HubConnectionOptions connection, DevelopmentPki pki, string unit, List<ulong> acked, ConcurrentBag<UnitSession> sessions, CancellationToken stop)
    {
        using var channel = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Unit(unit)));
        await using var session = new UnitSession(channel, unit);
        sessions.Add(session);
        var welcome = await session.StartAsync(stop);
        var sequence = welcome.LastSequence;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var ack = await session.SendAsync(Units.Position(++sequence, unit.StartsWith("US", StringComparison.Ordinal) ? 31.35 : 31.30), stop);
                lock (acked) acked.Add(ack.Sequence);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Done.
        }
    }

    private static int Count(List<ulong> acked)
    {
        lock (acked) return acked.Count;
    }

    private static async Task<Dictionary<ulong, int>> RecordedSequencesAsync(string journal, string unit)
    {
        await using var connection = new SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT unit_seq, COUNT(*) FROM journal WHERE kind = 'position' AND unit = $unit GROUP BY unit_seq ORDER BY MIN(cursor)";
        command.Parameters.AddWithValue("$unit", unit);
        var recorded = new Dictionary<ulong, int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) recorded[(ulong)reader.GetInt64(0)] = reader.GetInt32(1);
        return recorded;
    }
}
