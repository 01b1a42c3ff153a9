using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.V1;
using Xunit.Abstractions;

namespace PatrolHub.Hub.Tests;

/// <summary>
/// Two hub processes as one cluster (Redis membership and reminders, a PostgreSQL journal), one of them SIGKILLed
/// while 200 units stream to both. Runs with the other process tests, alone.
/// </summary>
[Collection(CrashTests.Name)]
public sealed class ClusterCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Pairs = 100;
    private static readonly TimeSpan CriticalDeadline = TimeSpan.FromSeconds(20);
    private readonly string _database = $"patrolhub_crash_{Guid.NewGuid():N}";
    private readonly string _dashboard = $"http://127.0.0.1:{HubFixture.FreePort()}";
    private readonly string _data = Directory.CreateTempSubdirectory("patrolhub-cluster-crash-").FullName;
    private readonly List<(HubProcess Process, int Port, int SiloPort)> _silos = [];

    public async Task InitializeAsync()
    {
        await Services.CreateDatabaseAsync(_database);
        // The first creates the development PKI in the shared data folder; the second finds it there.
        _silos.AddRange([default, default]);
        for (var i = 0; i < 2; i++) await StartSiloAsync(i, 0, 0);
    }

    /// <summary>Starts silo <paramref name="index"/> on the given ports, or on free ones when they are 0, and keeps
    /// them in <see cref="_silos"/>.</summary>
    private async Task StartSiloAsync(int index, int port, int siloPort)
    {
        if (port == 0) (port, siloPort) = (HubFixture.FreePort(), HubFixture.FreePort());
        var process = await HubProcess.StartAsync(
            _data, port,
            "--Journal:Store", "postgres",
            "--Journal:ConnectionString", Services.Database(_database),
            "--Cluster:Redis", Services.Redis,
            "--Cluster:Id", _database,
            "--Orleans:SiloPort", siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Hub:DashboardUrl", index == 0 ? _dashboard : "",
            "--Alerts:CriticalDeadline", CriticalDeadline.ToString());
        _silos[index] = (process, port, siloPort);
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos.Where(s => s.Process is not null)) await silo.Process.DisposeAsync();
        await Services.DropDatabaseAsync(_database);
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_silo_killed_under_200_streaming_units_loses_nothing_acknowledged_its_units_resume_within_20_s_and_its_critical_alerts_escalate_on_time()
    {
        var (pki, connection) = Connect();
        using var usCommand = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("US", "TCA")));
        using var mxCommand = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("MX", "TCA")));
        var units = new List<string>();
        for (var n = 1; n <= Pairs; n++)
        {
            var (us, mx) = ($"US-TCA-{n:D4}", $"MX-TCA-{n:D4}");
            var pair = await new CommandService.CommandServiceClient(usCommand).ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = mx });
            await new CommandService.CommandServiceClient(mxCommand).AcceptPairAsync(new PairRequest { PairId = pair.PairId });
            units.AddRange([us, mx]);
        }

        // A watcher on the first silo.
        using var watching = new CancellationTokenSource();
        var watched = new ConcurrentDictionary<string, bool>();
        var watch = WatchAsync(new SectorWatch(mxCommand, "TCA"), watched, watching.Token);

        // Half the units start on each silo, and know the other: each pair is split across them.
        using var stop = new CancellationTokenSource();
        var streams = units.Select((unit, i) => new StreamingUnit(unit, connection.CreateChannels(pki.IssueInMemory(IdentitySpec.Unit(unit)), first: i % 2))).ToList();
        var running = streams.Select(s => s.RunAsync(stop.Token)).ToList();
        try
        {
            await Poll.UntilAsync(() => streams.All(s => s.Acknowledged.Count >= 3), TimeSpan.FromSeconds(60));

            // Once all stream: every partner's positions arrive within 1 s of being recorded, from the other silo, and
            // the watcher on the first silo sees every unit, those streaming to the second among them.
            var steady = DateTimeOffset.UtcNow;
            await Poll.UntilAsync(() => streams.All(s => s.PartnerDelays(steady).Count >= 3), TimeSpan.FromSeconds(30));
            var slowestDelivery = streams.Max(s => s.PartnerDelays(steady).Max());
            output.WriteLine($"partner positions recorded after all were streaming arrived within {slowestDelivery.TotalMilliseconds:F0} ms");
            Assert.True(slowestDelivery <= TimeSpan.FromSeconds(1), $"a partner's position took {slowestDelivery.TotalMilliseconds:F0} ms to arrive");
            await Poll.UntilAsync(() => units.All(watched.ContainsKey), TimeSpan.FromSeconds(10), () => $"the watcher on the first silo has not seen {string.Join(", ", units.Where(u => !watched.ContainsKey(u)).Take(5))}");
            await watching.CancelAsync();
            await watch;

            var raised = new List<Alert>();
            for (var i = 0; i < 8; i++) raised.Add(await new CommandService.CommandServiceClient(usCommand).RaiseAlertAsync(AlertTests.Raise("TCA", Severity.Critical, 31.32, -110.93)));

            // Kill the silo holding the most of those alerts, as Orleans' dashboard counts them.
            var (victim, held) = await SiloHoldingMostAlertsAsync(raised.Count);
            var killed = Stopwatch.GetTimestamp();
            await _silos[victim].Process.KillAsync();
            var survivor = _silos[1 - victim];

            // Every unit has a position acknowledged after the kill within 20 s, wherever it was.
            await Poll.UntilAsync(() => streams.All(s => s.AcknowledgedAfter(killed) is not null), TimeSpan.FromSeconds(25), () => Stuck(streams, killed));
            var slowest = streams.Max(s => Stopwatch.GetElapsedTime(killed, s.AcknowledgedAfter(killed)!.Value));
            Assert.True(slowest <= TimeSpan.FromSeconds(20), $"the slowest unit resumed {slowest.TotalSeconds:F1} s after the kill");
            var moved = streams.Count(s => s.Session.Reconnects > 0);
            output.WriteLine($"killed the silo holding {held} of {raised.Count} alerts; {moved} units reconnected; the slowest resumed {slowest.TotalSeconds:F1} s after the kill");
            Assert.True(moved >= Pairs / 2, $"only {moved} units reconnected");

            // A few seconds more on the survivor alone, then the units stop.
            var resumed = streams.ToDictionary(s => s, s => s.Acknowledged.Count);
            await Poll.UntilAsync(() => streams.All(s => s.Acknowledged.Count >= resumed[s] + 3), TimeSpan.FromSeconds(30));
            await stop.CancelAsync();
            await Task.WhenAll(running);

            // Each CRITICAL alert escalated within its deadline and 5 s, read from the database itself.
            await AssertEscalatedAsync(raised, a => a.EscalatesAt.ToDateTimeOffset() + TimeSpan.FromSeconds(5));

            // Every acknowledged position is in PostgreSQL exactly once.
            var recorded = await RecordedAsync();
            foreach (var unit in streams)
            {
                var counts = recorded.GetValueOrDefault(unit.Id) ?? [];
                var missing = unit.Acknowledged.Keys.Where(s => counts.GetValueOrDefault(s) != 1).ToList();
                Assert.True(missing.Count == 0, $"{unit.Id}: acknowledged but not recorded exactly once: {string.Join(", ", missing.Take(5))}");
            }

            // Each unit's feed of its partner's positions: in order, no duplicate and no gap.
            foreach (var unit in streams)
            {
                var seen = unit.PartnerSequences;
                Assert.True(seen.Count > 0, $"{unit.Id} saw nothing of its partner");
                Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second == p.First + 1), $"{unit.Id} saw its partner's positions {string.Join(",", seen)}");
                Assert.True(unit.Cursors.Zip(unit.Cursors.Skip(1)).All(p => p.Second > p.First), $"{unit.Id}'s feed went back or repeated a cursor");
            }

            // The survivor's record verifies.
            using var reviewer = GrpcChannel.ForAddress($"https://127.0.0.1:{survivor.Port}", new GrpcChannelOptions
            {
                HttpHandler = connection.CreateHandler(pki.IssueInMemory(IdentitySpec.Reviewer("US"))),
            });
            var verified = await new ReviewService.ReviewServiceClient(reviewer).VerifyAsync(new VerifyRequest { Sector = "TCA" });
            Assert.True(verified.Intact, verified.Sectors.Single().Break?.Problem);
        }
        finally
        {
            await watching.CancelAsync();
            await stop.CancelAsync();
            await Task.WhenAll(running.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var unit in streams) await unit.DisposeAsync();
        }
    }

    [Fact]
    public async Task After_both_silos_are_killed_and_started_again_pairs_open_alerts_and_pending_escalations_come_back_from_PostgreSQL()
    {
        var (pki, connection) = Connect();
        using var usCommand = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("US", "TCA")));
        using var mxCommand = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("MX", "TCA")));
        var us = new CommandService.CommandServiceClient(usCommand);
        var pair = await us.ProposePairAsync(new ProposePairRequest { UsUnit = "US-TCA-0001", MxUnit = "MX-TCA-0001" });
        await new CommandService.CommandServiceClient(mxCommand).AcceptPairAsync(new PairRequest { PairId = pair.PairId });
        var raised = new List<Alert>();
        for (var i = 0; i < 4; i++) raised.Add(await us.RaiseAlertAsync(AlertTests.Raise("TCA", Severity.Critical, 31.32, -110.93)));

        var ports = _silos.ToList();
        for (var i = 0; i < _silos.Count; i++)
        {
            await _silos[i].Process.DisposeAsync();
            _silos[i] = default;
        }

        var restarting = Stopwatch.StartNew();
        // One after the other, as an operator would: the first starts while the table still lists the second as active.
        for (var i = 0; i < ports.Count; i++) await StartSiloAsync(i, ports[i].Port, ports[i].SiloPort);
        output.WriteLine($"both silos killed and listening again in {restarting.Elapsed.TotalSeconds:F1} s");
        // Due while the cluster was down, an escalation fires once it is back (at most 5 s after); due later, on time.
        var restarted = DateTimeOffset.UtcNow;
        DateTimeOffset Due(Alert a) => new[] { a.EscalatesAt.ToDateTimeOffset(), restarted }.Max() + TimeSpan.FromSeconds(5);

        var pairs = await us.ListPairsAsync(new ListPairsRequest { Sector = "TCA" });
        Assert.Equal(PairState.Active, pairs.Pairs.Single(p => p.PairId == pair.PairId).State);
        var open = await us.ListAlertsAsync(new ListAlertsRequest { Sector = "TCA" });
        Assert.Equal(raised.Select(a => a.AlertId).Order(), open.Alerts.Where(a => a.State == AlertState.Raised).Select(a => a.AlertId).Order());

        await AssertEscalatedAsync(raised, Due);

        // Escalated once each, however many silos and triggers (timer, reminder, start-up) saw the deadline.
        Assert.Equal(raised.Count, await CountAsync("SELECT count(*) FROM journal WHERE kind = 'alert' AND payload::jsonb->>'transition' = 'Escalated'"));
    }

    /// <summary>The cluster's PKI, and a connection to both silos.</summary>
    private (DevelopmentPki Pki, HubConnectionOptions Connection) Connect()
    {
        var pki = new DevelopmentPki(Path.Combine(_data, "certs"));
        return (pki, HubConnectionOptions.Load(string.Join(",", _silos.Select(s => $"https://127.0.0.1:{s.Port}")), null, pki.PathOf(DevelopmentPki.HubCa)));
    }

    /// <summary>Each alert escalated, as the database records it, by the time <paramref name="due"/> gives.</summary>
    private async Task AssertEscalatedAsync(List<Alert> raised, Func<Alert, DateTimeOffset> due)
    {
        var escalations = await WaitForEscalationsAsync(raised.Count, raised.Max(due));
        output.WriteLine($"escalations, seconds after their deadline: {string.Join(", ", raised.Select(a => escalations.TryGetValue(a.AlertId, out var at)
            ? (at - a.EscalatesAt.ToDateTimeOffset()).TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "none"))}");
        foreach (var alert in raised)
        {
            Assert.True(escalations.TryGetValue(alert.AlertId, out var at), $"{alert.AlertId} did not escalate");
            Assert.True(at <= due(alert), $"{alert.AlertId} was due at {alert.EscalatesAt} (allowed until {due(alert):O}) and escalated at {at:O}");
        }
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(sql, connection);
        return (long)(await query.ExecuteScalarAsync())!;
    }

    /// <summary>Which silo holds most of the alert grains, from the dashboard's counters (its view covers the cluster).</summary>
    private async Task<(int Silo, int Alerts)> SiloHoldingMostAlertsAsync(int alerts)
    {
        var perSilo = new Dictionary<string, int>();
        await Poll.UntilAsync(async () =>
        {
            var (_, body) = await HubFixture.GetAsync($"{_dashboard}/dashboard/DashboardCounters");
            perSilo = JsonDocument.Parse(body).RootElement.GetProperty("simpleGrainStats").EnumerateArray()
                .Where(g => g.GetProperty("grainType").GetString()!.EndsWith("AlertGrain", StringComparison.Ordinal))
                .GroupBy(g => g.GetProperty("siloAddress").GetString()!)
                .ToDictionary(g => g.Key, g => g.Sum(s => s.GetProperty("activationCount").GetInt32()));
            return perSilo.Values.Sum() >= alerts;
        }, TimeSpan.FromSeconds(30));
        var busiest = perSilo.MaxBy(p => p.Value);
        return (_silos.FindIndex(s => busiest.Key.Contains($":{s.SiloPort}", StringComparison.Ordinal)), busiest.Value);
    }

    /// <summary>When each alert first escalated, read from the database, once <paramref name="count"/> have or
    /// <paramref name="by"/> has passed.</summary>
    private async Task<Dictionary<string, DateTimeOffset>> WaitForEscalationsAsync(int count, DateTimeOffset by)
    {
        var escalations = new Dictionary<string, DateTimeOffset>();
        await Poll.UntilAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(
                "SELECT subject, min(recorded_at) FROM journal WHERE kind = 'alert' AND payload::jsonb->>'transition' = 'Escalated' GROUP BY subject", connection);
            await using var reader = await query.ExecuteReaderAsync();
            escalations.Clear();
            while (await reader.ReadAsync()) escalations[reader.GetString(0)] = DateTimeOffset.UnixEpoch.AddTicks(reader.GetInt64(1) * 10);
            return escalations.Count >= count || DateTimeOffset.UtcNow > by;
        }, by - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));
        return escalations;
    }

    /// <summary>Per unit, how many times each position sequence is in the journal, read without the hub.</summary>
    private async Task<Dictionary<string, Dictionary<ulong, int>>> RecordedAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT unit, unit_seq, count(*) FROM journal WHERE kind = 'position' GROUP BY unit, unit_seq", connection);
        var recorded = new Dictionary<string, Dictionary<ulong, int>>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var unit = reader.GetString(0);
            if (!recorded.TryGetValue(unit, out var counts)) recorded[unit] = counts = [];
            counts[(ulong)reader.GetInt64(1)] = (int)reader.GetInt64(2);
        }

        return recorded;
    }

    /// <summary>Notes each unit whose position <paramref name="watch"/> delivers, until cancelled.</summary>
    private static async Task WatchAsync(SectorWatch watch, ConcurrentDictionary<string, bool> seen, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in watch.WatchAsync(cancellationToken))
            {
                if (update.Position is { } position) seen[position.UnitId] = true;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Done.
        }
    }

    /// <summary>The units with nothing acknowledged since <paramref name="killed"/>, with where each stands.</summary>
    private static string Stuck(List<StreamingUnit> streams, long killed)
    {
        var stuck = streams.Where(s => s.AcknowledgedAfter(killed) is null).ToList();
        return $"{stuck.Count} units have nothing acknowledged since the kill: " + string.Join("; ", stuck.Take(5).Select(s =>
            $"{s.Id} on silo {s.Session.HubIndex} after {s.Session.Reconnects} reconnects, last dropped by {s.Session.LastDisconnect?.Message}"));
    }

    private string ConnectionString => Services.Database(_database);

    /// <summary>A unit sending a position a second over a session that knows both silos, keeping when each was
    /// acknowledged and what its feed delivered.</summary>
    private sealed class StreamingUnit(string id, IReadOnlyList<GrpcChannel> channels) : IAsyncDisposable
    {
        private readonly ConcurrentQueue<(DateTimeOffset Recorded, TimeSpan Delay)> _partnerDelays = new();

        public string Id => id;

        public UnitSession Session { get; } = new(channels, id);

        public ConcurrentDictionary<ulong, long> Acknowledged { get; } = new();

        public List<ulong> PartnerSequences { get; } = [];

        public List<ulong> Cursors { get; } = [];

        /// <summary>How long each partner position recorded after <paramref name="since"/> took to arrive.</summary>
        public List<TimeSpan> PartnerDelays(DateTimeOffset since) => [.. _partnerDelays.Where(d => d.Recorded > since).Select(d => d.Delay)];

        public long? AcknowledgedAfter(long timestamp) => Acknowledged.Values.Where(t => t > timestamp).Cast<long?>().Min();

        public async Task RunAsync(CancellationToken stop)
        {
            await Session.StartAsync(stop);
            var reading = ReadAsync(stop);
            using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var latitude = id.StartsWith("US", StringComparison.Ordinal) ? 31.35 : 31.30;
            var pending = new List<Task>();
            try
            {
                for (ulong sequence = 1; await tick.WaitForNextTickAsync(stop); sequence++)
                {
                    // Not awaited one by one: a position sent while the unit's silo is gone is acknowledged once it resumes.
                    var s = sequence;
                    pending.Add(Session.SendAsync(Units.Position(s, latitude + (s / 100_000.0)), stop).ContinueWith(
                        t => { if (t.IsCompletedSuccessfully) Acknowledged[s] = Stopwatch.GetTimestamp(); }, TaskScheduler.Default));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Done.
            }

            await Task.WhenAll(pending);
            await reading;
        }

        private async Task ReadAsync(CancellationToken stop)
        {
            try
            {
                await foreach (var message in Session.Events.ReadAllAsync(stop))
                {
                    Cursors.Add(message.Cursor);
                    if (message.PartnerPosition is not { } partner) continue;
                    PartnerSequences.Add(partner.Sequence);
                    var recorded = partner.RecordedAt.ToDateTimeOffset();
                    _partnerDelays.Enqueue((recorded, DateTimeOffset.UtcNow - recorded));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Done.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync();
            foreach (var channel in channels) channel.Dispose();
        }
    }
}
