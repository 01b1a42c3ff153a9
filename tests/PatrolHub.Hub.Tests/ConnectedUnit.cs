using Grpc.Net.Client;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>A unit connected to the test hub, with its own channel.</summary>
internal sealed record ConnectedUnit(GrpcChannel Channel, UnitSession Session, Welcome Welcome) : IAsyncDisposable
{
    public static async Task<ConnectedUnit> ConnectAsync(HubFixture hub, string unitId, ulong resumeFrom = 0)
    {
        var channel = hub.Channel(IdentitySpec.Unit(unitId));
        var session = new UnitSession(channel, unitId, resumeFrom);
        var welcome = await session.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return new ConnectedUnit(channel, session, welcome);
    }

    /// <summary>The next event for this unit that passes <paramref name="match"/>, skipping others; fails after 10 s.</summary>
    public async Task<HubMessage> NextAsync(Func<HubMessage, bool> match)
    {
        while (true)
        {
            var message = await Session.Events.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (match(message)) return message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        Channel.Dispose();
    }
}
