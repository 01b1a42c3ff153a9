using Grpc.Core;
using Grpc.Health.V1;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class SecurityTests(HubFixture hub)
{
    [Fact]
    public async Task Health_answers_without_a_client_certificate()
    {
        using var channel = hub.Connection.CreateChannel(identity: null);
        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Calls_without_a_client_certificate_are_unauthenticated()
    {
        using var channel = hub.Connection.CreateChannel(identity: null);
        var error = await Assert.ThrowsAsync<RpcException>(() => new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("client certificate is required", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_at_the_handshake()
    {
        using var strangers = new StrangerPki();
        var stranger = strangers.Pki;
        using var channel = hub.Connection.CreateChannel(stranger.IssueInMemory(IdentitySpec.Command("US", "TCA")));
        var error = await Assert.ThrowsAsync<RpcException>(() => new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest()).ResponseAsync);
        // The handshake fails on the client's side (Unavailable) or, under TLS 1.3, as the first request goes out (Internal).
        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.NotNull(error.InnerException);
    }

    [Fact]
    public async Task A_client_refuses_a_hub_its_hub_CA_did_not_issue_even_after_trusting_the_real_one()
    {
        using var strangers = new StrangerPki();
        var stranger = strangers.Pki;
        using var identity = hub.Pki.IssueInMemory(IdentitySpec.Command("US", "TCA"));
        using (var real = hub.Connection.CreateChannel(identity))
            Assert.Equal(9, (await new CommandService.CommandServiceClient(real).ListSectorsAsync(new ListSectorsRequest())).Sectors.Count);

        // The same hub, vouched for by a CA that did not issue its certificate: the client ends the handshake.
        var misled = HubConnectionOptions.Load(hub.Address.ToString(), null, stranger.PathOf(DevelopmentPki.HubCa));
        using var channel = misled.CreateChannel(identity);
        var error = await Assert.ThrowsAsync<RpcException>(() => new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest()).ResponseAsync);
        Assert.Contains("PatrolHub refused the hub: the hub's certificate (CN=", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("does not chain to the hub CA given", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_unit_or_watch_given_the_wrong_hub_CA_fails_at_start_instead_of_retrying_for_ever()
    {
        using var strangers = new StrangerPki();
        var stranger = strangers.Pki;
        var misled = HubConnectionOptions.Load(hub.Address.ToString(), null, stranger.PathOf(DevelopmentPki.HubCa));
        using var unit = misled.CreateChannel(hub.Pki.IssueInMemory(IdentitySpec.Unit("US-TCA-0177")));
        await using var session = new UnitSession(unit, "US-TCA-0177");
        var error = await Assert.ThrowsAsync<RpcException>(() => session.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(Retry.RefusedHub(error), error.Status.Detail);
        Assert.Equal(0, session.Reconnects);
        await Assert.ThrowsAsync<RpcException>(() => session.Completion.WaitAsync(TimeSpan.FromSeconds(30)));

        using var command = misled.CreateChannel(hub.Pki.IssueInMemory(IdentitySpec.Command("US", "TCA")));
        var watching = new SectorWatch(command, "TCA").WatchAsync().GetAsyncEnumerator();
        error = await Assert.ThrowsAsync<RpcException>(() => watching.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(Retry.RefusedHub(error), error.Status.Detail);
    }

    [Fact]
    public async Task A_US_CA_cannot_mint_a_Mexican_unit()
    {
        var forged = new IdentitySpec("US", "urn:patrolhub:unit:MX-TCA-0101", "forged");
        using var channel = hub.Channel(forged);
        var error = await Assert.ThrowsAsync<RpcException>(() => new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("identity MX-TCA-0101 belongs to MX but its certificate was issued by the US CA.", error.Status.Detail);
    }

    [Fact]
    public async Task A_unit_publishes_only_as_itself()
    {
        using var channel = hub.Channel(IdentitySpec.Unit("MX-TCA-0101"));
        await using var session = new UnitSession(channel, "US-TCA-0101");
        var error = await Assert.ThrowsAsync<RpcException>(() => session.StartAsync());
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("identity MX-TCA-0101 may not publish as US-TCA-0101; a unit publishes only as itself.", error.Status.Detail);
    }

    [Theory]
    [InlineData("unit", "propose")]
    [InlineData("other-sector", "propose")]
    [InlineData("unit", "watch")]
    [InlineData("other-sector", "watch")]
    public async Task Pairing_and_watching_are_for_the_sectors_commands(string who, string action)
    {
        var identity = who == "unit" ? IdentitySpec.Unit("US-TCA-0101") : IdentitySpec.Command("US", "EPT");
        using var channel = hub.Channel(identity);
        var client = new CommandService.CommandServiceClient(channel);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            if (action == "propose")
            {
                await client.ProposePairAsync(new ProposePairRequest { UsUnit = "US-TCA-0101", MxUnit = "MX-TCA-0101" });
            }
            else
            {
                using var call = client.WatchSector(new WatchSectorRequest { Sector = "TCA" });
                await call.ResponseStream.MoveNext();
            }
        });
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task The_joint_centre_watches_any_sector()
    {
        using var channel = hub.Channel(IdentitySpec.Joint("MX"));
        using var call = new CommandService.CommandServiceClient(channel).WatchSector(new WatchSectorRequest { Sector = "RGV" });
        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("RGV", call.ResponseStream.Current.Snapshot.Sector.Code);
    }

    /// <summary>A PKI of its own that the hub knows nothing of, deleted with its folder when disposed.</summary>
    private sealed class StrangerPki : IDisposable
    {
        public StrangerPki() => Pki.Init();

        public DevelopmentPki Pki { get; } = new(Directory.CreateTempSubdirectory("patrolhub-stranger-").FullName);

        public void Dispose() => Directory.Delete(Pki.Folder, recursive: true);
    }
}
