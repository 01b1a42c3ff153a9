using Grpc.Core;
using Microsoft.Data.Sqlite;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class PatrolTests(HubFixture hub)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Partner_receives_position_within_one_second()
    {
        var (us, mx) = Units.NextPair();
        var pairId = await Units.PairAsync(hub, us, mx);
        await using var sender = await ConnectAsync(us);
        await using var partner = await ConnectAsync(mx);

        var sent = DateTimeOffset.UtcNow;
        var ack = await sender.Session.SendAsync(Units.Position(1, 31.36, -110.91));
        var received = await partner.NextAsync(m => m.PartnerPosition is not null);
        var latency = DateTimeOffset.UtcNow - sent;

        Assert.True(latency < TimeSpan.FromSeconds(1), $"delivered after {latency.TotalMilliseconds} ms");
        Assert.Equal(us, received.PartnerPosition.UnitId);
        Assert.Equal(ack.RecordedCursor, received.Cursor);
        Assert.Equal(pairId, received.PartnerPosition.PairId);
        Assert.Equal(BoundarySide.Us, received.PartnerPosition.Side);
        Assert.Equal(31.36, received.PartnerPosition.Latitude);
    }

    [Fact]
    public async Task An_acknowledged_position_is_already_in_the_journal_file()
    {
        var (us, _) = Units.NextPair();
        await using var unit = await ConnectAsync(us);
        var ack = await unit.Session.SendAsync(Units.Position(1));

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(hub.DataPath, "journal.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT unit, unit_seq FROM journal WHERE sector = 'TCA' AND cursor = $cursor";
        command.Parameters.AddWithValue("$cursor", (long)ack.RecordedCursor);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(us, reader.GetString(0));
        Assert.Equal(1, reader.GetInt64(1));
    }

    [Fact]
    public async Task A_repeated_sequence_is_acknowledged_again_with_its_first_cursor()
    {
        var (us, _) = Units.NextPair();
        await using var unit = await ConnectAsync(us);
        var update = Units.Position(1);
        var first = await unit.Session.SendAsync(update);
        var again = await unit.Session.SendAsync(update);
        Assert.Equal(first.RecordedCursor, again.RecordedCursor);
    }

    [Theory]
    [InlineData(95, -110.9, StatusCode.InvalidArgument, "latitude 95 is outside -90..90.")]
    [InlineData(31.3, -200, StatusCode.InvalidArgument, "longitude -200 is outside -180..180.")]
    public async Task Bad_positions_end_only_their_own_stream(double latitude, double longitude, StatusCode code, string message)
    {
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(hub, us, mx);
        await using var bad = await ConnectAsync(us);
        await using var good = await ConnectAsync(mx);
        await bad.Session.SendAsync(Units.Position(1));

        var error = await Assert.ThrowsAsync<RpcException>(() => bad.Session.SendAsync(Units.Position(2, latitude, longitude)).WaitAsync(Timeout));
        Assert.Equal(code, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);

        var ack = await good.Session.SendAsync(Units.Position(1, 31.30)).WaitAsync(Timeout);
        Assert.Equal(1ul, ack.Sequence);
        await using var again = await ConnectAsync(us);
        Assert.Equal(1ul, again.Welcome.LastSequence);
    }

    [Fact]
    public async Task A_timestamp_far_in_the_future_is_invalid()
    {
        var (us, _) = Units.NextPair();
        await using var unit = await ConnectAsync(us);
        var error = await Assert.ThrowsAsync<RpcException>(() => unit.Session.SendAsync(Units.Position(1, at: DateTimeOffset.UtcNow.AddMinutes(10))).WaitAsync(Timeout));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("gnss_time", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sequence_below_the_last_is_a_failed_precondition()
    {
        var (us, _) = Units.NextPair();
        await using var unit = await ConnectAsync(us);
        await unit.Session.SendAsync(Units.Position(5));
        var error = await Assert.ThrowsAsync<RpcException>(() => unit.Session.SendAsync(Units.Position(4)).WaitAsync(Timeout));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal($"sequence 4 is not greater than 5, the last sequence recorded for {us}; sequences must increase.", error.Status.Detail);
    }

    [Fact]
    public async Task Resuming_from_a_cursor_yields_every_missed_event_once_then_live_ones()
    {
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(hub, us, mx);
        await using var sender = await ConnectAsync(us);
        ulong cursor;
        await using (var partner = await ConnectAsync(mx))
        {
            await sender.Session.SendAsync(Units.Position(1));
            cursor = (await partner.NextAsync(m => m.PartnerPosition is not null)).Cursor;
        }

        var missed = new List<ulong>();
        for (ulong s = 2; s <= 6; s++) missed.Add((await sender.Session.SendAsync(Units.Position(s, 31.35 + s / 1000.0))).RecordedCursor);

        await using var resumed = await ConnectAsync(mx, resumeFrom: cursor);
        var live = (await sender.Session.SendAsync(Units.Position(7))).RecordedCursor;
        var received = new List<(ulong Cursor, ulong Sequence)>();
        while (received.Count < 6)
        {
            var message = await resumed.NextAsync(m => m.PartnerPosition is not null);
            received.Add((message.Cursor, message.PartnerPosition.Sequence));
        }

        Assert.Equal([.. missed, live], received.Select(r => r.Cursor));
        Assert.Equal([2ul, 3, 4, 5, 6, 7], received.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Pairing_changes_reach_both_units()
    {
        var (us, mx) = Units.NextPair();
        await using var usUnit = await ConnectAsync(us);
        await using var mxUnit = await ConnectAsync(mx);
        var pairId = await Units.PairAsync(hub, us, mx);

        foreach (var unit in new[] { usUnit, mxUnit })
        {
            var proposed = await unit.Session.Events.ReadAsync().AsTask().WaitAsync(Timeout);
            var accepted = await unit.Session.Events.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal((pairId, PairState.Proposed), (proposed.Pair.PairId, proposed.Pair.State));
            Assert.Equal((pairId, PairState.Active), (accepted.Pair.PairId, accepted.Pair.State));
            Assert.True(accepted.Cursor > proposed.Cursor);
        }
    }

    [Fact]
    public async Task Live_delivery_reads_nothing_from_the_journal_however_busy_other_feeds_are()
    {
        var (us, mx) = Units.NextPair("ELC");
        await Units.PairAsync(hub, us, mx, "ELC");
        var (busy, _) = Units.NextPair("ELC");
        var (elsewhere, _) = Units.NextPair("YUM");
        await using var sender = await ConnectAsync(us);
        await using var partner = await ConnectAsync(mx);
        await using var noise = await ConnectAsync(busy);
        await using var far = await ConnectAsync(elsewhere);
        using var command = hub.Channel(IdentitySpec.Command("US", "ELC"));
        await using var watch = new SectorWatch(command, "ELC").WatchAsync().GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        var readsBefore = hub.Journal.FeedReads;

        const int Count = 30;
        var cursors = new List<ulong>();
        for (ulong s = 1; s <= Count; s++)
        {
            cursors.Add((await sender.Session.SendAsync(Units.Position(s, 32.66, -115.45))).RecordedCursor);
            cursors.Add((await noise.Session.SendAsync(Units.Position(s, 32.66, -115.46))).RecordedCursor);
            await far.Session.SendAsync(Units.Position(s, 32.6, -114.7));
        }

        for (var i = 0; i < Count; i++) Assert.Equal((ulong)i + 1, (await partner.NextAsync(m => m.PartnerPosition is not null)).PartnerPosition.Sequence);
        var watched = new List<ulong>();
        while (watched.Count < cursors.Count && await watch.MoveNextAsync().AsTask().WaitAsync(Timeout))
        {
            if (watch.Current.Position is not null) watched.Add(watch.Current.Cursor);
        }

        // Every position reached the watcher in the sector's own cursor order, and none was read back from the journal.
        Assert.Equal(cursors.Order(), watched.Order());
        Assert.Equal(readsBefore, hub.Journal.FeedReads);
    }

    [Fact]
    public async Task A_pipelined_burst_is_acknowledged_in_order_and_recorded_once()
    {
        var (us, mx) = Units.NextPair("BBT");
        await Units.PairAsync(hub, us, mx, "BBT");
        await using var sender = await ConnectAsync(us);
        await using var partner = await ConnectAsync(mx);

        // Far more than the hub's window of 64 in flight at once: the hub stops reading until it catches up, and drops nothing.
        const int Count = 600;
        var sends = Enumerable.Range(1, Count).Select(s => sender.Session.SendAsync(Units.Position((ulong)s, 29.55, -104.4))).ToList();
        var acks = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(1, Count).Select(s => (ulong)s), acks.Select(a => a.Sequence));
        Assert.Equal(acks.Select(a => a.RecordedCursor).Order(), acks.Select(a => a.RecordedCursor));
        Assert.Equal(Count, acks.Select(a => a.RecordedCursor).Distinct().Count());
        var last = await partner.NextAsync(m => m.PartnerPosition?.Sequence == Count);
        Assert.Equal(acks[^1].RecordedCursor, last.Cursor);

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(hub.DataPath, "journal.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), COUNT(DISTINCT unit_seq) FROM journal WHERE kind = 'position' AND unit = $unit";
        command.Parameters.AddWithValue("$unit", us);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((Count, Count), (reader.GetInt32(0), reader.GetInt32(1)));
    }

    [Fact]
    public async Task Cursors_count_within_each_sector()
    {
        var (lrt, _) = Units.NextPair("LRT");
        var (drt, _) = Units.NextPair("DRT");
        await using var first = await ConnectAsync(lrt);
        await using var second = await ConnectAsync(drt);

        var acks = new List<(ulong Lrt, ulong Drt)>();
        for (ulong s = 1; s <= 3; s++)
            acks.Add(((await first.Session.SendAsync(Units.Position(s, 27.5, -99.5))).RecordedCursor, (await second.Session.SendAsync(Units.Position(s, 29.3, -100.9))).RecordedCursor));

        Assert.Equal([acks[0].Lrt, acks[0].Lrt + 1, acks[0].Lrt + 2], acks.Select(a => a.Lrt));
        Assert.Equal([acks[0].Drt, acks[0].Drt + 1, acks[0].Drt + 2], acks.Select(a => a.Drt));
    }

    [Fact]
    public async Task Resuming_past_the_end_of_the_sectors_log_is_refused()
    {
        var (us, _) = Units.NextPair("SDC");
        var channel = hub.Channel(IdentitySpec.Unit(us));
        await using var session = new UnitSession(channel, us, resumeFrom: 1_000_000_000);
        var error = await Assert.ThrowsAsync<RpcException>(() => session.StartAsync().WaitAsync(Timeout));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("past the end of sector SDC's log", error.Status.Detail, StringComparison.Ordinal);
        channel.Dispose();
    }

    private Task<ConnectedUnit> ConnectAsync(string unitId, ulong resumeFrom = 0) => ConnectedUnit.ConnectAsync(hub, unitId, resumeFrom);
}
