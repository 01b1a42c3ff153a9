using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Tests;

public sealed class JournalTests
{
    private static readonly SectorId Tca = new("TCA");
    private static readonly SectorId Yum = new("YUM");
    private static readonly UnitId Us = UnitId.Parse("US-TCA-0001");
    private static readonly UnitId Mx = UnitId.Parse("MX-TCA-0001");
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task Each_sector_has_its_own_gap_free_cursors_and_hash_chain(string store)
    {
        await using var temp = new TempJournal(store);
        var yumUnit = UnitId.Parse("US-YUM-0001");
        var tca = await AppendAsync(temp.Journal, Tca, LogHead.Empty, Enumerable.Range(1, 5).Select(i => Events.Position(Us, i)));
        var yum = await AppendAsync(temp.Journal, Yum, LogHead.Empty, Enumerable.Range(1, 3).Select(i => Events.Position(yumUnit, i)));
        await AppendAsync(temp.Journal, Tca, tca, [Events.Position(Us, 6)]);

        Assert.Equal(6, (await temp.Journal.ReadHeadAsync(Tca)).Cursor);
        Assert.Equal(yum, await temp.Journal.ReadHeadAsync(Yum));
        Assert.Equal([1, 2, 3, 4, 5, 6], await ChainAsync(temp, Tca));
        Assert.Equal([1, 2, 3], await ChainAsync(temp, Yum));
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task An_append_that_does_not_follow_the_head_is_refused_and_stores_nothing(string store)
    {
        await using var temp = new TempJournal(store);
        var head = await AppendAsync(temp.Journal, Tca, LogHead.Empty, [Events.Position(Us, 1)]);

        // A second writer that still thinks the log is empty, and one that has the right cursor but another chain.
        var stale = SealAll(LogHead.Empty, [Events.Position(Us, 2)]);
        await Assert.ThrowsAsync<LogConflictException>(() => temp.Journal.AppendAsync(Tca, LogHead.Empty, stale));
        var forked = new LogHead(head.Cursor, new byte[32]);
        var error = await Assert.ThrowsAsync<LogConflictException>(() => temp.Journal.AppendAsync(Tca, forked, SealAll(forked, [Events.Position(Us, 2)])));
        Assert.Contains("another writer", error.Message, StringComparison.Ordinal);

        await AppendAsync(temp.Journal, Tca, head, [Events.Position(Us, 2)]);
        Assert.Equal([1, 2], await ChainAsync(temp, Tca));
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task Appended_records_survive_a_reopen(string store)
    {
        await using var temp = new TempJournal(store);
        var records = SealAll(LogHead.Empty, [Events.Position(Us, 1, partner: Mx)]);
        await temp.Journal.AppendAsync(Tca, LogHead.Empty, records);
        await temp.ReopenAsync();

        Assert.Equal(records[0].Head, await temp.Journal.ReadHeadAsync(Tca));
        var read = Assert.Single(await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 0));
        Assert.Equal(records[0].Record, read);
    }

    [Fact]
    public async Task While_appends_go_on_the_SQLite_write_ahead_log_is_copied_into_the_file_and_starts_over()
    {
        // The writer never checkpoints by itself (wal_autocheckpoint=0): without the journal's own checkpoints, every
        // page of every commit would stay in the log, which would end larger than the file.
        await using var temp = new TempJournal(walCheckpointInterval: TimeSpan.FromMilliseconds(20));
        var head = LogHead.Empty;
        for (var commit = 0; commit < 300; commit++)
            head = await AppendAsync(temp.Journal, Tca, head, Enumerable.Range(commit * 20 + 1, 20).Select(i => Events.Position(Us, i, partner: Mx)));

        var file = new FileInfo(temp.Path).Length;
        var log = new FileInfo(temp.Path + "-wal").Length;
        Assert.True(log < file / 4, $"the write-ahead log is {log:N0} bytes against the file's {file:N0}");
        Assert.Equal(6000, head.Cursor);
        await temp.ReopenAsync();
        Assert.Equal(head, await temp.Journal.ReadHeadAsync(Tca));
    }

    [Fact]
    public async Task A_payload_is_stored_in_SQLite_as_the_JSON_text_that_was_hashed()
    {
        await using var temp = new TempJournal();
        var records = SealAll(LogHead.Empty, [Events.Position(Us, 1, partner: Mx)]);
        await temp.Journal.AppendAsync(Tca, LogHead.Empty, records);
        await temp.ReopenAsync(async () =>
        {
            await using var connection = new SqliteConnection($"Data Source={temp.Path};Mode=ReadOnly;Pooling=false");
            await connection.OpenAsync();
            await using var read = connection.CreateCommand();
            read.CommandText = "SELECT typeof(payload), payload FROM journal";
            await using var reader = await read.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("text", reader.GetString(0));
            Assert.Equal(System.Text.Encoding.UTF8.GetString(records[0].Payload), reader.GetString(1));
            Assert.StartsWith("{\"type\":\"position\",", reader.GetString(1));
        });
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task A_feed_reads_only_what_is_addressed_to_it_between_two_cursors(string store)
    {
        await using var temp = new TempJournal(store);
        var other = UnitId.Parse("US-TCA-0002");
        HubEvent[] events =
        [
            Events.Position(Us, 1, partner: Mx), Events.Position(Mx, 1, partner: Us), Events.Position(other, 1),
            Events.Position(Us, 2, partner: Mx), Events.Position(Mx, 2, partner: Us), Events.Position(other, 2),
            Events.Position(Us, 3, partner: Mx),
        ];
        await AppendAsync(temp.Journal, Tca, LogHead.Empty, events);

        Assert.Equal([1, 4, 7], (await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 0)).Select(r => r.Cursor));
        Assert.Equal([4], (await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 1, 6)).Select(r => r.Cursor));
        Assert.Equal([1, 4], (await temp.Journal.ReadFeedAsync(Feed.ForUnit(Mx), 0, limit: 2)).Select(r => r.Cursor));
        Assert.Empty(await temp.Journal.ReadFeedAsync(Feed.ForUnit(other), 0));
        Assert.Equal(7, (await temp.Journal.ReadFeedAsync(Feed.ForSector(Tca), 0)).Count);
        Assert.Empty(await temp.Journal.ReadFeedAsync(Feed.ForSector(Yum), 0));
    }

    [Fact]
    public async Task Two_silos_writing_one_sector_at_once_cannot_fork_its_chain_in_PostgreSQL()
    {
        await using var temp = new TempJournal(TempJournal.Postgres);
        await using var other = temp.OpenAnother();
        var head = await AppendAsync(temp.Journal, Tca, LogHead.Empty, [Events.Position(Us, 1)]);

        // Both writers hold the same head and append a record 2 of their own at the same moment.
        var appends = await Task.WhenAll(
            Outcome(temp.Journal.AppendAsync(Tca, head, SealAll(head, [Events.Position(Us, 2)]))),
            Outcome(other.AppendAsync(Tca, head, SealAll(head, [Events.Position(Mx, 2)]))));
        Assert.Single(appends, e => e is null);
        Assert.Contains("another writer appended first", Assert.IsType<LogConflictException>(Assert.Single(appends, e => e is not null)).Message, StringComparison.Ordinal);

        // The loser reads the head again and appends after the winner: one unbroken chain.
        var winner = await other.ReadHeadAsync(Tca);
        await AppendAsync(other, Tca, winner, [Events.Position(Mx, 3)]);
        Assert.Equal([1, 2, 3], await ChainAsync(temp, Tca));

        static async Task<Exception?> Outcome(Task append)
        {
            try
            {
                await append;
                return null;
            }
            catch (LogConflictException e)
            {
                return e;
            }
        }
    }

    [Fact]
    public async Task When_PostgreSQL_drops_the_connection_an_append_fails_and_the_next_one_succeeds()
    {
        await using var temp = new TempJournal(TempJournal.Postgres);
        var head = await AppendAsync(temp.Journal, Tca, LogHead.Empty, [Events.Position(Us, 1)]);

        // The server ends every session of the journal's database, the writer's among them, as a restarted server would.
        var database = new Npgsql.NpgsqlConnectionStringBuilder(temp.ConnectionString).Database;
        await using (var admin = new Npgsql.NpgsqlConnection(Environment.GetEnvironmentVariable("PATROLHUB_POSTGRES")))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db", admin);
            kill.Parameters.AddWithValue("db", database!);
            Assert.True((long)(await kill.ExecuteScalarAsync())! >= 1);
        }

        var records = SealAll(head, [Events.Position(Us, 2)]);
        await Assert.ThrowsAsync<JournalUnavailableException>(() => temp.Journal.AppendAsync(Tca, head, records));
        await temp.Journal.AppendAsync(Tca, head, records);
        Assert.Equal([1, 2], await ChainAsync(temp, Tca));
    }

    [Fact]
    public async Task A_PostgreSQL_journal_of_a_newer_schema_or_out_of_reach_is_refused_with_a_clear_message()
    {
        await using var temp = new TempJournal(TempJournal.Postgres);
        await using (var connection = new Npgsql.NpgsqlConnection(temp.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("INSERT INTO patrolhub_schema (version) VALUES (99)", connection);
            await command.ExecuteNonQueryAsync();
        }

        var newer = await Assert.ThrowsAsync<InvalidOperationException>(() => temp.ReopenAsync());
        Assert.EndsWith("was written by a newer hub (schema 99; this hub knows 4).", newer.Message, StringComparison.Ordinal);

        var away = Assert.Throws<InvalidOperationException>(() => new PostgresJournal(
            Microsoft.Extensions.Options.Options.Create(new JournalOptions { Store = TempJournal.Postgres, ConnectionString = "Host=127.0.0.1;Port=1;Database=patrolhub;Username=patrolhub;Timeout=2" }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresJournal>.Instance));
        Assert.StartsWith("The PostgreSQL journal 'patrolhub' on 127.0.0.1:1 cannot be reached or read:", away.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task A_units_latest_position_and_a_repeated_sequence_are_found_in_log_order_even_after_the_clock_steps_back(string store)
    {
        await using var temp = new TempJournal(store);
        var other = UnitId.Parse("US-TCA-0002");
        HubEvent[] events =
        [
            Events.Position(Us, 1), Events.Position(other, 1), Events.Position(Us, 2), Events.Position(other, 2),
            Events.Position(Us, 3), Events.Position(other, 3),
        ];
        // Recorded at 12:00:00, :01, :02, :03 then, after the hub's clock stepped back a minute, 11:59:04 and :05.
        await temp.Journal.AppendAsync(Tca, LogHead.Empty, SealAll(LogHead.Empty, events, i => At.AddSeconds(i < 4 ? i : i - 60)));

        var latest = Assert.Single(await temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = Us, Last = 1 }));
        Assert.Equal(5, latest.Cursor);
        var repeat = Assert.Single(await temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = Us, UnitSequence = 2, Last = 1 }));
        Assert.Equal(3, repeat.Cursor);
        Assert.Empty(await temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = Us, UnitSequence = 4, Last = 1 }));
        Assert.Equal([1, 3, 5], (await temp.Journal.ReadTrackAsync(Us, 0, 6, 10)).Select(r => r.Cursor));
    }

    [Fact]
    public async Task Appends_arriving_within_the_commit_interval_wait_for_it_and_are_then_stored_together()
    {
        var time = new FakeTimeProvider(At);
        await using var temp = new TempJournal(commitInterval: TimeSpan.FromSeconds(1), time: time);
        var tca = await AppendAsync(temp.Journal, Tca, LogHead.Empty, [Events.Position(Us, 1)]);
        var next = temp.Journal.AppendAsync(Tca, tca, SealAll(tca, [Events.Position(Us, 2)]));
        var yum = temp.Journal.AppendAsync(Yum, LogHead.Empty, SealAll(LogHead.Empty, [Events.Position(UnitId.Parse("US-YUM-0001"), 1)]));
        var both = Task.WhenAll(next, yum);
        Assert.NotSame(both, await Task.WhenAny(both, Task.Delay(TimeSpan.FromMilliseconds(300))));

        await AdvanceUntilAsync(time, both);
        await both.WaitAsync(TimeSpan.Zero);
        Assert.Equal(2, (await temp.Journal.ReadHeadAsync(Tca)).Cursor);
        Assert.Equal(1, (await temp.Journal.ReadHeadAsync(Yum)).Cursor);
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task An_append_the_store_refuses_is_undone_alone_and_the_appends_committed_with_it_are_stored(string store)
    {
        var time = new FakeTimeProvider(At);
        await using var temp = new TempJournal(store, commitInterval: TimeSpan.FromSeconds(1), time: time);
        await using var other = temp.OpenAnother();
        var head = await AppendAsync(temp.Journal, Tca, LogHead.Empty, [Events.Position(Us, 1)]);
        // A writer this journal does not know of takes cursor 2, so this journal's own idea of the head is out of date.
        await AppendAsync(other, Tca, head, [Events.Position(Mx, 2)]);

        // Both appends wait out the interval and go into one transaction, where the first meets the taken cursor.
        var stale = temp.Journal.AppendAsync(Tca, head, SealAll(head, [Events.Position(Us, 2)]));
        var yum = temp.Journal.AppendAsync(Yum, LogHead.Empty, SealAll(LogHead.Empty, [Events.Position(UnitId.Parse("US-YUM-0001"), 1)]));
        await AdvanceUntilAsync(time, Task.WhenAll(stale, yum));
        var error = await Assert.ThrowsAsync<LogConflictException>(() => stale.WaitAsync(TimeSpan.Zero));
        Assert.Contains("already has cursor 2", error.Message, StringComparison.Ordinal);
        await yum.WaitAsync(TimeSpan.Zero);
        Assert.Equal(1, (await temp.Journal.ReadHeadAsync(Yum)).Cursor);
        Assert.Equal([1, 2], await ChainAsync(temp, Tca));
        Assert.Equal(Mx, Assert.IsType<PositionRecorded>(Assert.Single(await temp.Journal.ReadFeedAsync(Feed.ForSector(Tca), 1)).Event).Unit);
    }

    [Fact]
    public async Task A_schema_3_journal_opens_with_one_index_of_each_units_positions_in_place_of_two()
    {
        await using var temp = new TempJournal();
        await AppendAsync(temp.Journal, Tca, LogHead.Empty, Enumerable.Range(1, 3).Select(i => Events.Position(Us, i)));
        await temp.ReopenAsync(async () =>
        {
            // As a schema-3 hub left it.
            await using var connection = new SqliteConnection($"Data Source={temp.Path};Pooling=false");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX journal_unit_positions;
                CREATE INDEX journal_position ON journal (unit, unit_seq) WHERE kind = 'position';
                CREATE INDEX journal_track ON journal (unit, cursor) WHERE kind = 'position';
                PRAGMA user_version = 3;
                """;
            await command.ExecuteNonQueryAsync();
        });

        await using (var connection = new SqliteConnection($"Data Source={temp.Path};Mode=ReadOnly;Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'journal_%' ORDER BY name)";
            Assert.Equal("journal_about_unit journal_kind journal_subject journal_time journal_to_unit journal_unit_positions", await command.ExecuteScalarAsync());
        }

        Assert.Equal(3, Assert.Single(await temp.Journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = Us, Last = 1 })).Cursor);
        Assert.Equal([1, 2, 3], (await temp.Journal.ReadTrackAsync(Us, 0, 3, 10)).Select(r => r.Cursor));
    }

    [Fact]
    public async Task A_journal_with_one_log_for_the_whole_hub_is_refused_with_a_clear_message()
    {
        var folder = Directory.CreateTempSubdirectory("patrolhub-old-").FullName;
        var path = Path.Combine(folder, "journal.db");
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE journal (cursor INTEGER PRIMARY KEY, payload TEXT)";
            await command.ExecuteNonQueryAsync();
        }

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteJournal(
            Microsoft.Extensions.Options.Options.Create(new JournalOptions { Path = path }), Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteJournal>.Instance));
        Assert.Contains("one log per sector", error.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Moves the clock a second at a time until <paramref name="done"/> ends (or 10 s pass): the writer may
    /// not have started waiting out the commit interval yet when the clock first moves.</summary>
    internal static async Task AdvanceUntilAsync(FakeTimeProvider time, Task done)
    {
        var timeout = Task.Delay(TimeSpan.FromSeconds(10));
        while (!done.IsCompleted && !timeout.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(done, Task.Delay(TimeSpan.FromMilliseconds(20)));
        }
    }

    /// <param name="at">When the i-th record was recorded; all at <see cref="At"/> if null.</param>
    internal static SealedRecord[] SealAll(LogHead head, IEnumerable<HubEvent> events, Func<int, DateTimeOffset>? at = null)
    {
        var sealedRecords = new List<SealedRecord>();
        foreach (var e in events)
        {
            var record = SealedRecord.After(head, at?.Invoke(sealedRecords.Count) ?? At, e);
            sealedRecords.Add(record);
            head = record.Head;
        }

        return [.. sealedRecords];
    }

    private static async Task<LogHead> AppendAsync(SqlJournal journal, SectorId sector, LogHead head, IEnumerable<HubEvent> events)
    {
        var records = SealAll(head, events);
        await journal.AppendAsync(sector, head, records);
        return records[^1].Head;
    }

    /// <summary>The sector's cursors in order, after checking every record's hash against its predecessor's from genesis,
    /// from the rows as the store holds them.</summary>
    private static async Task<List<long>> ChainAsync(TempJournal temp, SectorId sector)
    {
        var previous = new byte[32];
        var cursors = new List<long>();
        foreach (var link in await temp.Journal.ReadChainAsync(sector, 0, int.MaxValue))
        {
            Assert.Equal(previous, link.PreviousHash);
            var hash = JournalSerializer.Hash(previous, sector, link.Cursor, link.RecordedAtMicros, link.Kind, link.Payload);
            Assert.Equal(hash, link.Hash);
            previous = hash;
            cursors.Add(link.Cursor);
        }

        return cursors;
    }
}
