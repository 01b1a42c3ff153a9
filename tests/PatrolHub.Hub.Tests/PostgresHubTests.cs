using System.Net;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;
using PatrolHub.Client.Pki;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>
/// The whole hub on a PostgreSQL journal (a fresh database on the server PATROLHUB_POSTGRES names): a pair streams,
/// each partner sees the other, the record is read back by replay, verified, and read straight from the database.
/// </summary>
public sealed class PostgresHubTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly string _database = $"patrolhub_hub_{Guid.NewGuid():N}";
    private readonly HubFixture _hub;
    private readonly string _health = $"http://127.0.0.1:{HubFixture.FreePort()}";

    public PostgresHubTests()
    {
        _hub = new HubFixture("postgres", new Dictionary<string, string>
        {
            ["Journal:Store"] = "postgres",
            ["Journal:ConnectionString"] = Services.Database(_database),
            ["Hub:HealthUrl"] = _health,
        });
    }

    public async Task InitializeAsync()
    {
        await Services.CreateDatabaseAsync(_database);
        await _hub.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await Services.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task A_pair_streams_through_a_PostgreSQL_journal_and_the_record_reads_back_and_verifies()
    {
        var from = DateTimeOffset.UtcNow;
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(_hub, us, mx);
        await using var usUnit = await ConnectedUnit.ConnectAsync(_hub, us);
        await using var mxUnit = await ConnectedUnit.ConnectAsync(_hub, mx);

        for (ulong i = 1; i <= 5; i++)
        {
            Assert.Equal(i, (await usUnit.Session.SendAsync(Units.Position(i, 31.35 + (i / 1000.0)))).Sequence);
            Assert.Equal(i, (await mxUnit.NextAsync(m => m.PartnerPosition is not null)).PartnerPosition.Sequence);
        }

        using var reviewer = _hub.Channel(IdentitySpec.Reviewer("MX"));
        var review = new ReviewService.ReviewServiceClient(reviewer);
        using var replay = review.Replay(new ReplayRequest
        {
            Sector = "TCA", From = Timestamp.FromDateTimeOffset(from), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(1)),
            Units = { us }, Kinds = { EventKind.Position },
        });
        var replayed = new List<ulong>();
        while (await replay.ResponseStream.MoveNext().WaitAsync(Timeout)) replayed.AddRange(replay.ResponseStream.Current.Events.Select(e => e.Position.Sequence));
        Assert.Equal([1ul, 2, 3, 4, 5], replayed);
        Assert.True((await review.VerifyAsync(new VerifyRequest { Sector = "TCA" })).Intact);

        // What was acknowledged is in the database, each once, read without the hub.
        await using var connection = new NpgsqlConnection(Services.Database(_database));
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT array_agg(unit_seq ORDER BY cursor) FROM journal WHERE kind = 'position' AND unit = @unit", connection);
        count.Parameters.AddWithValue("unit", us);
        var recorded = (long[])(await count.ExecuteScalarAsync())!;
        Assert.Equal([1L, 2, 3, 4, 5], recorded);
    }

    [Fact]
    public async Task The_health_endpoint_says_the_journal_cannot_be_reached_while_the_database_refuses_and_healthy_once_it_is_back()
    {
        var health = $"{_health}/health";
        var (status, body) = await HubFixture.GetAsync(health);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("healthy", Check(body, "journal"));
        Assert.Equal("healthy", Check(body, "cluster"));

        await Services.ExecuteAsync(Services.Postgres, $"ALTER DATABASE {_database} ALLOW_CONNECTIONS false");
        try
        {
            await Services.ExecuteAsync(Services.Postgres, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{_database}'");
            (status, body) = await HubFixture.GetAsync(health);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("unhealthy", Check(body, "journal"));
            Assert.Contains("cannot be reached", body, StringComparison.Ordinal);
        }
        finally
        {
            await Services.ExecuteAsync(Services.Postgres, $"ALTER DATABASE {_database} ALLOW_CONNECTIONS true");
        }

        // A pooled connection the server ended may fail one more check; then the store answers again.
        await Poll.UntilAsync(async () => (await HubFixture.GetAsync(health)).Status == HttpStatusCode.OK, Timeout);
    }

    private static string Check(string health, string name) => HubFixture.HealthCheck(health, name).GetProperty("status").GetString()!;
}
