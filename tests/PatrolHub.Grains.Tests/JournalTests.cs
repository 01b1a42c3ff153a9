using Microsoft.Data.Sqlite;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Tests;

public sealed class JournalTests
{
    private static readonly UnitId Us = UnitId.Parse("US-TCA-0001");
    private static readonly UnitId Mx = UnitId.Parse("MX-TCA-0001");

    [Fact]
    public async Task Concurrent_appends_get_distinct_consecutive_cursors()
    {
        await using var temp = new TempJournal();
        var records = await Task.WhenAll(Enumerable.Range(1, 500).Select(i => temp.Journal.AppendAsync(Events.Position(Us, i))));
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), records.Select(r => r.Cursor).Order());
        Assert.Equal(500, temp.Journal.Head);
    }

    [Fact]
    public async Task Appended_records_survive_a_reopen()
    {
        await using var temp = new TempJournal();
        var appended = await temp.Journal.AppendAsync(Events.Position(Us, 1, partner: Mx));
        await temp.ReopenAsync();

        Assert.Equal(1, temp.Journal.Head);
        var read = Assert.Single(await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 0));
        Assert.Equal(appended.Cursor, read.Cursor);
        Assert.Equal(appended.RecordedAt, read.RecordedAt);
        Assert.Equal(appended.Event, read.Event);
    }

    [Fact]
    public async Task Records_are_hash_chained_in_cursor_order()
    {
        await using var temp = new TempJournal();
        for (var i = 1; i <= 5; i++) await temp.Journal.AppendAsync(Events.Position(Us, i));

        await using var connection = new SqliteConnection($"Data Source={temp.Path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT cursor, recorded_at, kind, payload, prev_hash, hash FROM journal ORDER BY cursor";
        await using var reader = await command.ExecuteReaderAsync();
        var previous = new byte[32];
        var count = 0;
        while (await reader.ReadAsync())
        {
            var prev = (byte[])reader["prev_hash"];
            Assert.Equal(previous, prev);
            var hash = JournalSerializer.Hash(prev, reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3));
            Assert.Equal(hash, (byte[])reader["hash"]);
            previous = hash;
            count++;
        }

        Assert.Equal(5, count);
    }

    [Fact]
    public async Task A_unit_sequence_is_recorded_once()
    {
        await using var temp = new TempJournal();
        await temp.Journal.AppendAsync(Events.Position(Us, 7));
        var late = temp.Journal.AppendAsync(Events.Position(Mx, 1));
        await Assert.ThrowsAsync<DomainConflictException>(() => temp.Journal.AppendAsync(Events.Position(Us, 7)));
        Assert.Equal(2, (await late).Cursor);
        var found = await temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = Us, UnitSequence = 7 });
        Assert.Single(found);
    }

    [Fact]
    public async Task A_feed_reads_the_same_from_memory_and_from_the_file()
    {
        await using var temp = new TempJournal(recentCapacity: 4);
        for (var i = 1; i <= 10; i++) await temp.Journal.AppendAsync(Events.Position(i % 2 == 0 ? Us : Mx, i, partner: i % 2 == 0 ? Mx : Us));

        var fromFile = await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 0);
        var fromMemory = await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 7);
        Assert.Equal([2, 4, 6, 8, 10], fromFile.Select(r => r.Cursor));
        Assert.Equal([8, 10], fromMemory.Select(r => r.Cursor));
        Assert.Equal([4, 6], (await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 2, 8)).Select(r => r.Cursor));
        Assert.Equal(10, (await temp.Journal.ReadFeedAsync(Feed.ForSector(new SectorId("TCA")), 0)).Count);
        Assert.Equal([2, 4], (await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 0, limit: 2)).Select(r => r.Cursor));
        Assert.Equal([8], (await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 7, limit: 1)).Select(r => r.Cursor));
    }
}
