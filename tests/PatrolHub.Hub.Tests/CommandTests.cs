using Google.Rpc;
using Grpc.Core;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class CommandTests(HubFixture hub)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sectors_are_listed_with_both_names_and_their_boundary()
    {
        using var channel = hub.Channel(IdentitySpec.Unit("US-TCA-0101"));
        var sectors = (await new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest())).Sectors;
        Assert.Equal(["SDC", "ELC", "YUM", "TCA", "EPT", "BBT", "DRT", "LRT", "RGV"], sectors.Select(s => s.Code));
        var tca = sectors.Single(s => s.Code == "TCA");
        Assert.Equal("Tucson", tca.NameEn);
        Assert.Equal("Tucsón (Nogales, Sonora)", tca.NameEs);
        Assert.True(tca.Boundary.Count > 10);
    }

    [Fact]
    public async Task Watch_shows_a_snapshot_then_pairing_and_positions_with_drift()
    {
        var (us, mx) = Units.NextPair("YUM");
        using var command = hub.Channel(IdentitySpec.Command("MX", "YUM"));
        var watch = new SectorWatch(command, "YUM").WatchAsync().GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal("YUM", watch.Current.Snapshot.Sector.Code);

        var pairId = await Units.PairAsync(hub, us, mx, "YUM");
        using var usChannel = hub.Channel(IdentitySpec.Unit(us));
        using var mxChannel = hub.Channel(IdentitySpec.Unit(mx));
        await using var usSession = new UnitSession(usChannel, us);
        await using var mxSession = new UnitSession(mxChannel, mx);
        await usSession.StartAsync().WaitAsync(Timeout);
        await mxSession.StartAsync().WaitAsync(Timeout);
        await usSession.SendAsync(Units.Position(1, 32.55, -114.20));
        await mxSession.SendAsync(Units.Position(1, 32.45, -114.25));

        var updates = new List<SectorUpdate>();
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout));
            updates.Add(watch.Current);
        }

        Assert.Equal([PairState.Proposed, PairState.Active], updates.Take(2).Select(u => u.Pair.State));
        Assert.Equal([us, mx], updates.Skip(2).Select(u => u.Position.UnitId));
        Assert.True(updates.Skip(2).Last().Position.HasDriftKm);
        Assert.Equal(updates.Select(u => u.Cursor).Order(), updates.Select(u => u.Cursor));

        var status = await new CommandService.CommandServiceClient(command).GetSectorAsync(new GetSectorRequest { Sector = "YUM" });
        var pair = status.Pairs.Single(p => p.PairId == pairId);
        Assert.Equal(updates.Last().Position.DriftKm, pair.DriftKm, 6);
        Assert.Contains(status.Units, u => u.UnitId == us);
    }

    [Fact]
    public async Task A_watcher_that_stops_reading_slows_nobody_and_later_gets_the_latest_positions()
    {
        using var slowChannel = hub.Channel(IdentitySpec.Command("US", "SDC"));
        using var fastChannel = hub.Channel(IdentitySpec.Command("MX", "SDC"));
        var slow = new SectorWatch(slowChannel, "SDC").WatchAsync().GetAsyncEnumerator();
        var fast = new SectorWatch(fastChannel, "SDC").WatchAsync().GetAsyncEnumerator();
        Assert.True(await slow.MoveNextAsync().AsTask().WaitAsync(Timeout));
        Assert.True(await fast.MoveNextAsync().AsTask().WaitAsync(Timeout));

        const int perUnit = 200;
        var units = Enumerable.Range(0, 10).Select(_ => Units.NextPair("SDC").Us).ToList();
        var fastSeen = units.ToDictionary(u => u, _ => 0ul);
        var reading = Task.Run(async () =>
        {
            while (fastSeen.Values.Any(s => s < perUnit) && await fast.MoveNextAsync())
            {
                if (fast.Current.Position is { } p) fastSeen[p.UnitId] = Math.Max(fastSeen[p.UnitId], p.Sequence);
            }
        });
        await Task.WhenAll(units.Select(async unit =>
        {
            await using var session = await ConnectedUnit.ConnectAsync(hub, unit);
            for (ulong s = 1; s <= perUnit; s++) await session.Session.SendAsync(Units.Position(s, 32.60, -116.90));
        })).WaitAsync(TimeSpan.FromSeconds(60));
        await reading.WaitAsync(Timeout);

        // Only now does the slow watcher read: the newest position of every unit is there, the backlog coalesced.
        var slowSeen = units.ToDictionary(u => u, _ => 0ul);
        var received = 0;
        while (slowSeen.Values.Any(s => s < perUnit))
        {
            Assert.True(await slow.MoveNextAsync().AsTask().WaitAsync(Timeout));
            if (slow.Current.Position is not { } p) continue;
            Assert.True(p.Sequence > slowSeen[p.UnitId], "positions of a unit never go backwards");
            slowSeen[p.UnitId] = p.Sequence;
            received++;
        }

        Assert.True(received < units.Count * perUnit, $"the slow watcher received all {received} positions; nothing was coalesced");
    }

    [Fact]
    public async Task A_watch_resumed_from_a_cursor_gets_every_missed_event_once_in_order()
    {
        using var channel = hub.Channel(IdentitySpec.Command("US", "RGV"));
        var client = new CommandService.CommandServiceClient(channel);
        // Cursor 0 asks for a snapshot, so make sure the journal is not empty when the cursor is taken.
        await client.ProposePairAsync(new ProposePairRequest { UsUnit = Units.NextPair("RGV").Us, MxUnit = Units.NextPair("RGV").Mx });
        var cursor = (await client.GetSectorAsync(new GetSectorRequest { Sector = "RGV" })).Cursor;
        Assert.NotEqual(0ul, cursor);

        const int perUnit = 300;
        var units = Enumerable.Range(0, 4).Select(_ => Units.NextPair("RGV").Us).ToList();
        await Task.WhenAll(units.Select(async unit =>
        {
            await using var session = await ConnectedUnit.ConnectAsync(hub, unit);
            for (ulong s = 1; s <= perUnit; s++) await session.Session.SendAsync(Units.Position(s, 26.10, -98.25));
        }));

        using var resumed = client.WatchSector(new WatchSectorRequest { Sector = "RGV", ResumeFrom = cursor });
        var seen = new List<SectorUpdate>();
        while (seen.Count(u => u.Position is { } p && units.Contains(p.UnitId)) < units.Count * perUnit)
        {
            Assert.True(await resumed.ResponseStream.MoveNext().WaitAsync(Timeout));
            seen.Add(resumed.ResponseStream.Current);
        }

        Assert.DoesNotContain(seen, u => u.Snapshot is not null);
        Assert.Equal(seen.Select(u => u.Cursor).Order(), seen.Select(u => u.Cursor));
        Assert.Equal(seen.Count, seen.Select(u => u.Cursor).Distinct().Count());
        foreach (var unit in units)
            Assert.Equal(Enumerable.Range(1, perUnit).Select(s => (ulong)s), seen.Where(u => u.Position?.UnitId == unit).Select(u => u.Position.Sequence));
    }

    [Fact]
    public async Task A_pair_within_one_nation_is_invalid_with_the_field_named()
    {
        using var channel = hub.Channel(IdentitySpec.Command("US", "TCA"));
        var error = await Assert.ThrowsAsync<RpcException>(() => new CommandService.CommandServiceClient(channel)
            .ProposePairAsync(new ProposePairRequest { UsUnit = "US-TCA-0101", MxUnit = "US-TCA-0102" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("mx_unit", violation.Field);
        Assert.Equal("US-TCA-0102 is not a Mexican unit; a pair joins one U.S. and one Mexican unit.", error.Status.Detail);
    }

    [Fact]
    public async Task Accepting_a_pair_your_own_nation_proposed_is_refused()
    {
        var (us, mx) = Units.NextPair();
        using var channel = hub.Channel(IdentitySpec.Command("US", "TCA"));
        var client = new CommandService.CommandServiceClient(channel);
        var proposed = await client.ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = mx });
        var error = await Assert.ThrowsAsync<RpcException>(() => client.AcceptPairAsync(new PairRequest { PairId = proposed.PairId }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal($"pair {proposed.PairId} was proposed by command:US:TCA of US; the MX command must accept it.", error.Status.Detail);
    }

    [Theory]
    [InlineData("XYZ", StatusCode.NotFound)]
    [InlineData("TOOLONG", StatusCode.InvalidArgument)]
    public async Task Unknown_and_malformed_sectors_are_named(string sector, StatusCode code)
    {
        using var channel = hub.Channel(IdentitySpec.Joint("US"));
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new CommandService.CommandServiceClient(channel).GetSectorAsync(new GetSectorRequest { Sector = sector }).ResponseAsync);
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(sector, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_pair_is_not_found()
    {
        using var channel = hub.Channel(IdentitySpec.Command("MX", "TCA"));
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new CommandService.CommandServiceClient(channel).AcceptPairAsync(new PairRequest { PairId = "TCA-P9999" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("pair TCA-P9999 does not exist.", error.Status.Detail);
    }
}
