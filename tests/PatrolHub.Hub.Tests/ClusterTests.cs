using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.Hub.Security;
using PatrolHub.V1;
using Xunit.Abstractions;

namespace PatrolHub.Hub.Tests;

/// <summary>
/// Two hubs as one Orleans cluster: Redis membership (PATROLHUB_REDIS), one PostgreSQL journal (PATROLHUB_POSTGRES), the
/// same PKI. Each serves gRPC; a pair is split across them.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly string _database = $"patrolhub_cluster_{Guid.NewGuid():N}";
    private readonly HubFixture _a;
    private HubFixture _b = null!;

    private readonly string _health = $"http://127.0.0.1:{HubFixture.FreePort()}";
    private readonly string _dashboard = $"http://127.0.0.1:{HubFixture.FreePort()}";

    private readonly ITestOutputHelper _output;

    public ClusterTests(ITestOutputHelper output)
    {
        _output = output;
        var settings = Settings();
        settings["Hub:HealthUrl"] = _health;
        settings["Hub:DashboardUrl"] = _dashboard;
        _a = new HubFixture("cluster-a", settings);
    }

    public async Task InitializeAsync()
    {
        await Services.CreateDatabaseAsync(_database);

        await _a.InitializeAsync();
        _b = new HubFixture("cluster-b", JoiningSettings());
        await _b.InitializeAsync();
    }

    /// <summary>The settings of a silo joining the first: it serves with the first one's certificates, so clients trust
    /// both alike, and has a data folder (and so settings files) of its own.</summary>
    private Dictionary<string, string> JoiningSettings()
    {
        var settings = Settings();
        settings["Hub:Certificates:Server"] = _a.Pki.PathOf(DevelopmentPki.HubCertificate);
        settings["Hub:Certificates:UsCa"] = _a.Pki.PathOf(DevelopmentPki.CaCertificate("US"));
        settings["Hub:Certificates:MxCa"] = _a.Pki.PathOf(DevelopmentPki.CaCertificate("MX"));
        return settings;
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await Services.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task A_pair_split_across_two_silos_sees_each_other_and_a_watcher_on_one_sees_units_of_the_other()
    {
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(_a, us, mx);
        using var watchChannel = Channel(_a, IdentitySpec.Command("MX", "TCA"));
        using var watch = new CommandService.CommandServiceClient(watchChannel).WatchSector(new WatchSectorRequest { Sector = "TCA" });
        Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(Timeout));

        using var usChannel = Channel(_a, IdentitySpec.Unit(us));
        using var mxChannel = Channel(_b, IdentitySpec.Unit(mx));
        await using var usUnit = new UnitSession(usChannel, us);
        await using var mxUnit = new UnitSession(mxChannel, mx);
        await usUnit.StartAsync().WaitAsync(Timeout);
        await mxUnit.StartAsync().WaitAsync(Timeout);

        await usUnit.SendAsync(Units.Position(1, 31.35));
        Assert.Equal(us, (await NextAsync(mxUnit, m => m.PartnerPosition is not null)).PartnerPosition.UnitId);
        await mxUnit.SendAsync(Units.Position(1, 31.30));
        Assert.Equal(mx, (await NextAsync(usUnit, m => m.PartnerPosition is not null)).PartnerPosition.UnitId);

        // The Mexican unit streams to the second silo; the watch is on the first.
        while (true)
        {
            Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(Timeout));
            if (watch.ResponseStream.Current.Position?.UnitId == mx) break;
        }
    }

    [Fact]
    public async Task A_silo_reports_its_cluster_on_its_health_endpoint_and_serves_the_Orleans_dashboard_on_a_port_of_its_own()
    {
        var (status, body) = await HubFixture.GetAsync($"{_health}/health");
        Assert.Equal(HttpStatusCode.OK, status);
        var cluster = HubFixture.HealthCheck(body, "cluster");
        Assert.Equal("healthy", cluster.GetProperty("status").GetString());
        Assert.Equal(["active", "active"], cluster.GetProperty("data").EnumerateObject().Select(p => p.Value.GetString()));
        Assert.Equal("healthy", HubFixture.HealthCheck(body, "journal").GetProperty("status").GetString());

        (status, body) = await HubFixture.GetAsync($"{_dashboard}/dashboard/ClusterStats");
        Assert.Equal(HttpStatusCode.OK, status);
        (status, body) = await HubFixture.GetAsync($"{_dashboard}/dashboard/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<html", body, StringComparison.OrdinalIgnoreCase);
        // Each path on its own port only.
        Assert.Equal(HttpStatusCode.NotFound, (await HubFixture.GetAsync($"{_dashboard}/health")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await HubFixture.GetAsync($"{_health}/dashboard/")).Status);

        // The other silo leaves: this one is still healthy, and the only active member left.
        await _b.App.StopAsync();
        await Poll.UntilAsync(async () =>
        {
            (status, body) = await HubFixture.GetAsync($"{_health}/health");
            return HubFixture.HealthCheck(body, "cluster").GetProperty("data").EnumerateObject().Count(m => m.Value.GetString() == "active") == 1;
        }, Timeout);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task When_its_silo_stops_a_unit_and_a_watch_move_to_the_other_and_resume_without_gap_or_duplicate()
    {
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(_a, us, mx);
        using var usChannel = Channel(_a, IdentitySpec.Unit(us));
        await using var usUnit = new UnitSession(usChannel, us);
        // The Mexican unit and the Mexican command's watch know both silos, the second one first.
        var mxChannels = new[] { Channel(_b, IdentitySpec.Unit(mx)), Channel(_a, IdentitySpec.Unit(mx)) };
        var watchChannels = new[] { Channel(_b, IdentitySpec.Command("MX", "TCA")), Channel(_a, IdentitySpec.Command("MX", "TCA")) };
        using var stopWatching = new CancellationTokenSource();
        try
        {
            await using var mxUnit = new UnitSession(mxChannels, mx);
            var watch = new SectorWatch(watchChannels, "TCA");
            await using var watched = watch.WatchAsync(stopWatching.Token).GetAsyncEnumerator();
            Assert.True(await watched.MoveNextAsync().AsTask().WaitAsync(Timeout));
            Assert.NotNull(watched.Current.Snapshot);
            await usUnit.StartAsync().WaitAsync(Timeout);
            await mxUnit.StartAsync().WaitAsync(Timeout);
            await usUnit.SendAsync(Units.Position(1, 31.35));
            Assert.Equal(1ul, (await NextAsync(mxUnit, m => m.PartnerPosition is not null)).PartnerPosition.Sequence);
            Assert.Equal(1ul, await NextPositionAsync(watched, us));

            await _b.App.StopAsync();
            for (ulong i = 2; i <= 4; i++) await usUnit.SendAsync(Units.Position(i, 31.35 + (i / 1000.0)));
            var received = new List<ulong>();
            while (received.Count < 3) received.Add((await NextAsync(mxUnit, m => m.PartnerPosition is not null)).PartnerPosition.Sequence);
            var seen = new List<ulong>();
            while (seen.Count < 3) seen.Add(await NextPositionAsync(watched, us));

            Assert.Equal([2ul, 3, 4], received);
            Assert.Equal([2ul, 3, 4], seen);
            Assert.Equal(1, mxUnit.HubIndex);
            Assert.Equal(1, watch.HubIndex);
            Assert.Equal(1ul, (await mxUnit.SendAsync(Units.Position(1, 31.30))).Sequence);
            await stopWatching.CancelAsync();
        }
        finally
        {
            foreach (var channel in mxChannels.Concat(watchChannels)) channel.Dispose();
        }
    }

    [Fact]
    public async Task A_certificate_revoked_in_one_silos_file_is_refused_by_the_other_silo_and_its_stream_there_ends()
    {
        var (us, _) = Units.NextPair();
        var identity = _a.Pki.IssueInMemory(IdentitySpec.Unit(us));
        using var channel = HubConnectionOptions.Load(_b.Address.ToString(), null, _a.Pki.PathOf(DevelopmentPki.HubCa)).CreateChannel(identity);
        using var call = new PatrolService.PatrolServiceClient(channel).Connect();
        await call.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = us } });
        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Timeout));

        // Listed on the first silo's machine only; the second learns it through the database.
        var revoked = Stopwatch.StartNew();
        Assert.True(RevocationFile.Add(Path.Combine(_a.DataPath, "revoked.txt"), identity.SerialNumber, "stolen"));
        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext().WaitAsync(Timeout))
            {
            }
        });
        // Ended, within the time a revocation takes to reach the other silo. (Its status is UNAUTHENTICATED on one hub,
        // HostileTests; across silos it was once CANCELLED, not yet explained.)
        _output.WriteLine($"the stream on the other silo ended {revoked.Elapsed.TotalSeconds:F2} s after the revocation: {ended.StatusCode}");
        Assert.True(revoked.Elapsed < TimeSpan.FromSeconds(3), $"the stream ended {revoked.Elapsed.TotalSeconds:F1} s after the revocation");

        using var again = new PatrolService.PatrolServiceClient(channel).Connect();
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            // On a connection already open, the refusal can arrive before the hello is written, and the write then fails
            // as cancelled; the call's own status comes with the response.
            await again.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = us } })
                .ContinueWith(_ => { }, TaskScheduler.Default);
            await again.ResponseStream.MoveNext().WaitAsync(Timeout);
        });
        Assert.True(refused.StatusCode == StatusCode.Unauthenticated && refused.Status.Detail.Contains("has been revoked", StringComparison.Ordinal),
            $"the next call was refused with {refused.Status}");
    }

    [Fact]
    public async Task A_sharing_policy_changed_in_one_silos_file_is_in_force_on_the_other_and_on_a_silo_started_later_with_settings_of_its_own()
    {
        var (_, mx) = Units.NextPair();
        using var mxChannel = Channel(_b, IdentitySpec.Unit(mx));
        await using var mxUnit = new UnitSession(mxChannel, mx);
        await mxUnit.StartAsync().WaitAsync(Timeout);
        await mxUnit.SendAsync(Units.Position(1, 31.3456, -110.9123)).WaitAsync(Timeout);
        using var usCommand = Channel(_b, IdentitySpec.Command("US", "TCA"));
        var command = new CommandService.CommandServiceClient(usCommand);
        async Task<Position> SeenAsync(CommandService.CommandServiceClient client) =>
            (await client.GetSectorAsync(new GetSectorRequest { Sector = "TCA" })).Units.Single(u => u.UnitId == mx);
        Assert.Null((await SeenAsync(command)).ReleasedUnder);

        // Written on the first silo's machine only; the second, where the unit and the command are, takes it from the cluster.
        var changed = Stopwatch.StartNew();
        await File.WriteAllTextAsync(Path.Combine(_a.DataPath, Releases.FileName), """{ "Sharing": { "MX": { "Commands": { "CoarsenMetres": 5000 } } } }""");
        Position seen = null!;
        await Poll.UntilAsync(async () => (seen = await SeenAsync(command)).ReleasedUnder?.CoarsenedToM == 5000, Timeout, () => $"the other silo shows {seen}");
        _output.WriteLine($"in force on the other silo {changed.Elapsed.TotalSeconds:F2} s after the file was written");
        Assert.NotEqual(31.3456, seen.Latitude);

        // A silo started now with settings of its own (everything exact) takes the cluster's terms, and does not undo them.
        await using var late = new HubFixture("cluster-c", JoiningSettings());
        await late.InitializeAsync();
        using var lateCommand = Channel(late, IdentitySpec.Command("US", "TCA"));
        Assert.Equal(5000u, (await SeenAsync(new CommandService.CommandServiceClient(lateCommand))).ReleasedUnder?.CoarsenedToM);
        Assert.Equal(5000u, (await SeenAsync(command)).ReleasedUnder?.CoarsenedToM);
    }

    [Fact]
    public async Task Critical_alerts_held_by_a_silo_that_stops_still_escalate_within_their_deadline_and_5_s()
    {
        // Grains are placed at random: of these, some alerts live on the silo that stops.
        using var command = Channel(_a, IdentitySpec.Command("US", "TCA"));
        var client = new CommandService.CommandServiceClient(command);
        var raised = new List<Alert>();
        for (var i = 0; i < 8; i++)
        {
            raised.Add(await client.RaiseAlertAsync(new RaiseAlertRequest
            {
                RequestId = $"cluster-{i}", Sector = "TCA", Kind = AlertKind.Tunnel, Severity = Severity.Critical, Latitude = 31.33, Longitude = -110.9,
            }));
        }

        await _b.App.StopAsync();
        // Read back from the record itself, which every silo shares: each alert's escalation and when it was made.
        var deadline = raised.Max(a => a.EscalatesAt.ToDateTimeOffset()) + TimeSpan.FromSeconds(5);
        using var reviewer = Channel(_a, IdentitySpec.Reviewer("US"));
        var review = new ReviewService.ReviewServiceClient(reviewer);
        var escalations = new List<Alert>();
        await Poll.UntilAsync(async () =>
        {
            using var replay = review.Replay(new ReplayRequest
            {
                Sector = "TCA", From = raised[0].RaisedAt, To = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
                Kinds = { EventKind.Alert },
            });
            escalations.Clear();
            while (await replay.ResponseStream.MoveNext()) escalations.AddRange(replay.ResponseStream.Current.Events.Select(e => e.Alert).Where(a => a.Transition == "escalated"));
            return escalations.Count == raised.Count;
        }, deadline - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2), () => $"{escalations.Count} of {raised.Count} alerts escalated by {deadline:O}");
        Assert.All(escalations, a => Assert.True(a.ChangedAt.ToDateTimeOffset() <= deadline, $"{a.AlertId} escalated at {a.ChangedAt}, after {deadline:O}"));
    }

    private Dictionary<string, string> Settings() => new()
    {
        ["Journal:Store"] = "postgres",
        ["Journal:ConnectionString"] = Services.Database(_database),
        ["Cluster:Redis"] = Services.Redis,
        ["Cluster:Id"] = _database,
        ["Alerts:CriticalDeadline"] = "00:00:03",
    };

    /// <summary>A channel to <paramref name="hub"/> with an identity of the cluster's PKI (the first silo's).</summary>
    private GrpcChannel Channel(HubFixture hub, IdentitySpec identity) =>
        HubConnectionOptions.Load(hub.Address.ToString(), null, _a.Pki.PathOf(DevelopmentPki.HubCa)).CreateChannel(_a.Pki.IssueInMemory(identity));

    /// <summary>The sequence of the next position of <paramref name="unit"/> the watch delivers.</summary>
    private static async Task<ulong> NextPositionAsync(IAsyncEnumerator<SectorUpdate> watch, string unit)
    {
        while (true)
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout));
            if (watch.Current.Position?.UnitId == unit) return watch.Current.Position.Sequence;
        }
    }

    private static async Task<HubMessage> NextAsync(UnitSession session, Func<HubMessage, bool> match)
    {
        while (true)
        {
            var message = await session.Events.ReadAsync().AsTask().WaitAsync(Timeout);
            if (match(message)) return message;
        }
    }
}
