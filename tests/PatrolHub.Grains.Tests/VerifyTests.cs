using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Data.Sqlite;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;

namespace PatrolHub.Grains.Tests;

/// <summary>Tampering with the stored record, as someone with the file would: every change is found and named.</summary>
public sealed class VerifyTests
{
    private static readonly SectorId Tca = new("TCA");
    private static readonly UnitId Us = UnitId.Parse("US-TCA-0001");

    [Fact]
    public void The_keys_read_from_a_payload_alone_are_the_ones_its_event_gives()
    {
        HubEvent[] events =
        [
            Events.Position(Us, 7, UnitId.Parse("MX-TCA-0001")),
            Events.Position(Us, 8),
            new PairChanged(new PairInfo(PairId.Create(Tca, 1), Us, UnitId.Parse("MX-TCA-0001"), PairState.Active, "command:US:TCA", Nation.US, "command:MX:TCA", null, DateTimeOffset.UtcNow)),
        ];
        foreach (var e in events)
        {
            Assert.Equal(e.Keys(), JournalSerializer.DeserializeKeys(JournalSerializer.Serialize(e)));
            // The bytes hashed are those of the JSON text, as journals written before the payload was serialized
            // straight to UTF-8 hashed them.
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(e, JournalSerializer.Options)), JournalSerializer.Serialize(e));
        }
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task An_untouched_record_verifies_and_agrees_with_its_signed_checkpoint(string store)
    {
        await using var temp = await RecordAsync(20, store);
        using var hub = SelfSigned("CN=PatrolHub hub");
        await temp.Journal.AddCheckpointAsync(Checkpoint.Sign(Tca, await temp.Journal.ReadHeadAsync(Tca), DateTimeOffset.UtcNow, hub));

        var result = await ChainVerifier.VerifyAsync(temp.Journal, Tca, new CheckpointTrust([PublicOnly(hub)]));

        Assert.True(result.Intact, result.Break?.ToString());
        Assert.Equal((20, 1), (result.Records, result.Checkpoints));
    }

    [Theory]
    [InlineData("byte", 7, "altered")]
    [InlineData("delete", 7, "missing")]
    [InlineData("insert", 8, "altered")]
    [InlineData("swap", 7, "altered")]
    [InlineData("index", 7, "index columns")]
    public async Task Each_kind_of_tampering_breaks_verification_at_the_record_it_touched(string tampering, long cursor, string problem)
    {
        await using var temp = await RecordAsync(20);
        await temp.Journal.DisposeAsync();
        await TamperAsync(temp.Path, tampering switch
        {
            // One character of a recorded position's latitude.
            "byte" => "UPDATE journal SET payload = replace(payload, '\"latitude\":31.4', '\"latitude\":31.5') WHERE cursor = 7",
            "delete" => "DELETE FROM journal WHERE cursor = 7",
            // Every record from 8 moves up one, and a copy of record 3 goes in at 8.
            "insert" => """
                UPDATE journal SET cursor = -(cursor + 1) WHERE cursor >= 8;
                UPDATE journal SET cursor = -cursor WHERE cursor < 0;
                INSERT INTO journal SELECT sector, 8, recorded_at, kind, unit, to_unit, subject, unit_seq, payload, prev_hash, hash FROM journal WHERE cursor = 3;
                """,
            "swap" => """
                UPDATE journal SET cursor = -cursor WHERE cursor IN (7, 8);
                UPDATE journal SET cursor = 8 WHERE cursor = -7;
                UPDATE journal SET cursor = 7 WHERE cursor = -8;
                """,
            // The hashed payload untouched, the unit column pointed elsewhere.
            _ => "UPDATE journal SET unit = 'US-TCA-0999' WHERE cursor = 7",
        });

        await using var journal = SqliteJournal.OpenReadOnly(temp.Path);
        var result = await ChainVerifier.VerifyAsync(journal, Tca, CheckpointTrust.SignatureOnly);

        Assert.False(result.Intact);
        Assert.Equal(cursor, result.Break!.Cursor);
        Assert.Contains(problem, result.Break.Problem, StringComparison.Ordinal);
        Assert.Equal(cursor - 1, result.Records);

        // The hub will not append to it either: opening says which record is bad.
        var refused = Assert.Throws<InvalidOperationException>(() => new SqliteJournal(
            Microsoft.Extensions.Options.Options.Create(new JournalOptions { Path = temp.Path }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteJournal>.Instance));
        Assert.Contains($"record {cursor}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_catches_what_the_chain_alone_cannot_a_rewritten_or_cut_tail()
    {
        await using var temp = await RecordAsync(20);
        using var hub = SelfSigned("CN=PatrolHub hub");
        var trust = new CheckpointTrust([PublicOnly(hub)]);
        await temp.Journal.AddCheckpointAsync(Checkpoint.Sign(Tca, await temp.Journal.ReadHeadAsync(Tca), DateTimeOffset.UtcNow, hub));
        await temp.Journal.DisposeAsync();

        // Records 18 to 20 cut off the end: the chain that is left is sound, but the checkpoint says it went further.
        var cut = Path.Combine(temp.Folder, "cut.db");
        File.Copy(temp.Path, cut);
        await TamperAsync(cut, "DELETE FROM journal WHERE cursor > 17");
        await using (var journal = SqliteJournal.OpenReadOnly(cut))
        {
            var result = await ChainVerifier.VerifyAsync(journal, Tca, trust);
            Assert.Equal(18, result.Break!.Cursor);
            Assert.Contains("removed from its end", result.Break.Problem, StringComparison.Ordinal);
        }

        // Record 10 altered and every hash after it recomputed: only the signed head can tell.
        await RewriteFromAsync(temp.Path, 10);
        var bare = Path.Combine(temp.Folder, "bare.db");
        File.Copy(temp.Path, bare);
        await TamperAsync(bare, "DELETE FROM checkpoints");
        await using (var journal = SqliteJournal.OpenReadOnly(bare))
            Assert.True((await ChainVerifier.VerifyAsync(journal, Tca, trust)).Intact);
        await using (var journal = SqliteJournal.OpenReadOnly(temp.Path))
        {
            var result = await ChainVerifier.VerifyAsync(journal, Tca, trust);
            Assert.Equal(20, result.Break!.Cursor);
            Assert.Contains("rewritten", result.Break.Problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task A_checkpoint_signed_by_another_key_is_not_believed(string store)
    {
        await using var temp = await RecordAsync(5, store);
        using var hub = SelfSigned("CN=PatrolHub hub");
        using var impostor = SelfSigned("CN=PatrolHub hub");
        await temp.Journal.AddCheckpointAsync(Checkpoint.Sign(Tca, await temp.Journal.ReadHeadAsync(Tca), DateTimeOffset.UtcNow, impostor));

        var result = await ChainVerifier.VerifyAsync(temp.Journal, Tca, new CheckpointTrust([PublicOnly(hub)]));

        Assert.Contains("not signed by a trusted", result.Break!.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TempJournal.Sqlite)]
    [InlineData(TempJournal.Postgres)]
    public async Task A_pruned_record_still_verifies_and_says_what_was_pruned_and_when(string store)
    {
        await using var temp = new TempJournal(store);
        var pair = new PairChanged(new PairInfo(PairId.Create(Tca, 1), Us, UnitId.Parse("MX-TCA-0001"), PairState.Active,
            "command:US:TCA", Nation.US, "command:MX:TCA", null, DateTimeOffset.UtcNow));
        // Positions, with the pair's record kept at 10 and 20; 30, the head, is never pruned.
        var records = JournalTests.SealAll(LogHead.Empty, Enumerable.Range(1, 30).Select(i => i % 10 == 0 && i < 30 ? (HubEvent)pair : Events.Position(Us, i)));
        await temp.Journal.AppendAsync(Tca, LogHead.Empty, records);
        using var hub = SelfSigned("CN=PatrolHub hub");
        var trust = new CheckpointTrust([PublicOnly(hub)]);
        await temp.Journal.AddCheckpointAsync(Checkpoint.Sign(Tca, records[14].Head, DateTimeOffset.UtcNow, hub));
        var prunedAt = DateTimeOffset.UtcNow;

        var pruned = await temp.Journal.PruneAsync(
            Tca, new Dictionary<string, DateTimeOffset> { ["position"] = DateTimeOffset.MaxValue },
            (first, last) => Checkpoint.Sign(Tca, last, prunedAt, hub, prunedFrom: first));
        await temp.Journal.AddCheckpointAsync(Checkpoint.Sign(Tca, records[^1].Head, DateTimeOffset.UtcNow, hub));

        Assert.Equal(27, pruned);
        var intact = await ChainVerifier.VerifyAsync(temp.Journal, Tca, trust);
        Assert.True(intact.Intact, intact.Break?.ToString());
        Assert.Equal((30L, 27L, 1), (intact.Records, intact.Pruned, intact.Checkpoints));
        Assert.Equal(JournalSerializer.FromMicros(JournalSerializer.ToMicros(prunedAt)), intact.LastPrunedAt);
        await temp.ReopenAsync();
        Assert.True((await ChainVerifier.VerifyAsync(temp.Journal, Tca, trust)).Intact);
        if (store != TempJournal.Sqlite) return;

        // What pruning kept is still guarded: remove the pair's record at 20, or a pruning's checkpoint, and verify says so.
        await temp.Journal.DisposeAsync();
        var copy = Path.Combine(temp.Folder, "copy.db");
        File.Copy(temp.Path, copy);
        await TamperAsync(temp.Path, "DELETE FROM journal WHERE cursor = 20");
        await TamperAsync(copy, "DELETE FROM checkpoints WHERE pruned_from = 11");
        await using (var journal = SqliteJournal.OpenReadOnly(temp.Path))
            Assert.Equal(20, (await ChainVerifier.VerifyAsync(journal, Tca, trust)).Break!.Cursor);
        await using (var journal = SqliteJournal.OpenReadOnly(copy))
            Assert.Contains("records 11 to 19 are not in the log", (await ChainVerifier.VerifyAsync(journal, Tca, trust)).Break!.Problem, StringComparison.Ordinal);
    }

    private static async Task<TempJournal> RecordAsync(int count, string store = TempJournal.Sqlite)
    {
        var temp = new TempJournal(store);
        var records = JournalTests.SealAll(LogHead.Empty, Enumerable.Range(1, count).Select(i => Events.Position(Us, i)));
        await temp.Journal.AppendAsync(Tca, LogHead.Empty, records);
        return temp;
    }

    private static async Task TamperAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>What a forger who knows the algorithm would do: alter a record, then recompute every hash after it.</summary>
    private static async Task RewriteFromAsync(string path, long cursor)
    {
        await TamperAsync(path, $"UPDATE journal SET payload = replace(payload, '\"latitude\":31.4', '\"latitude\":31.5') WHERE cursor = {cursor}");
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        await connection.OpenAsync();
        var links = new List<(long Cursor, long At, string Kind, byte[] Payload)>();
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = $"SELECT cursor, recorded_at, kind, payload FROM journal WHERE cursor >= {cursor} ORDER BY cursor";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync()) links.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3)));
        }

        await using var previous = connection.CreateCommand();
        previous.CommandText = $"SELECT hash FROM journal WHERE cursor = {cursor - 1}";
        var hash = (byte[])(await previous.ExecuteScalarAsync())!;
        foreach (var link in links)
        {
            var next = JournalSerializer.Hash(hash, Tca, link.Cursor, link.At, link.Kind, link.Payload);
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE journal SET prev_hash = $prev, hash = $hash WHERE cursor = $cursor";
            update.Parameters.AddWithValue("$prev", hash);
            update.Parameters.AddWithValue("$hash", next);
            update.Parameters.AddWithValue("$cursor", link.Cursor);
            await update.ExecuteNonQueryAsync();
            hash = next;
        }
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);
}
