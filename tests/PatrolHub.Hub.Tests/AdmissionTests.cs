using System.Net.Sockets;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Hub.Admission;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>A hub of its own that admits one TLS handshake (with no queue) and one stream at a time.</summary>
public sealed class AdmissionTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly HubFixture _hub = new("admission", new Dictionary<string, string>
    {
        ["Hub:MaxConcurrentHandshakes"] = "1",
        ["Hub:HandshakeQueue"] = "0",
        ["Hub:MaxStreams"] = "1",
    });

    public Task InitializeAsync() => _hub.InitializeAsync();

    public Task DisposeAsync() => _hub.DisposeAsync();

    [Fact]
    public async Task A_connection_past_the_handshake_limit_is_refused_at_once_not_left_to_time_out()
    {
        // A client that begins its handshake (the first byte of a TLS record) and stalls holds the one handshake slot.
        using var stalled = new TcpClient();
        await stalled.ConnectAsync(_hub.Address.Host, _hub.Address.Port);
        await stalled.GetStream().WriteAsync(new byte[] { 0x16 });
        var gate = _hub.App.Services.GetRequiredService<HandshakeGate>();
        while (gate.InProgress == 0) await Task.Yield();

        using var refused = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        var started = DateTimeOffset.UtcNow;
        var error = await Assert.ThrowsAsync<RpcException>(() => Sectors(refused).WaitAsync(Timeout));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(2), "the refusal should be immediate");

        stalled.Close();
        while (gate.InProgress != 0) await Task.Yield();
        using var admitted = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        Assert.Equal(9, (await Sectors(admitted).WaitAsync(Timeout)).Sectors.Count);
    }

    [Fact]
    public async Task A_connection_that_has_not_begun_its_handshake_holds_no_slot()
    {
        // A client on an overloaded machine may connect well before it sends its ClientHello; a ready one goes first.
        using var silent = new TcpClient();
        await silent.ConnectAsync(_hub.Address.Host, _hub.Address.Port);
        var gate = _hub.App.Services.GetRequiredService<HandshakeGate>();
        while (gate.AwaitingHello == 0) await Task.Yield();

        using var admitted = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        Assert.Equal(9, (await Sectors(admitted).WaitAsync(Timeout)).Sectors.Count);
        Assert.Equal(1, gate.AwaitingHello);
    }

    [Fact]
    public async Task A_stream_past_the_limit_gets_resource_exhausted_with_a_retry_after_hint()
    {
        using var first = _hub.Channel(IdentitySpec.Unit("US-TCA-0101"));
        using var open = new PatrolService.PatrolServiceClient(first).Connect();
        await open.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = "US-TCA-0101" } });
        Assert.True(await open.ResponseStream.MoveNext().WaitAsync(Timeout));

        using var second = _hub.Channel(IdentitySpec.Unit("MX-TCA-0101"));
        using var refused = new PatrolService.PatrolServiceClient(second).Connect();
        await refused.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = "MX-TCA-0101" } });
        var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext().WaitAsync(Timeout));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(CallerAdmission.RetryAfter, Retry.RetryAfter(error));
    }

    private static Task<ListSectorsResponse> Sectors(Grpc.Net.Client.GrpcChannel channel) =>
        new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest()).ResponseAsync;
}
