using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The journal in one SQLite file (WAL, synchronous=FULL). A single writer drains every pending append
/// into one transaction, so many messages share one fsync; each append completes only after its commit.
/// </summary>
public sealed partial class SqliteJournal : IJournal, IAsyncDisposable
{
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
    private readonly JournalOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteJournal> _logger;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly RecentRecords _recent;
    private readonly Task _writeLoop;
    private byte[] _lastHash;
    private long _head;

    public SqliteJournal(IOptions<JournalOptions> options, TimeProvider time, ILogger<SqliteJournal> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        var path = Path.GetFullPath(_options.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, Schema);
        (_head, _lastHash) = ReadHead(_writer);
        _recent = new RecentRecords(_options.RecentCapacity, _head + 1);
        _writeLoop = Task.Factory.StartNew(WriteLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        Log.Opened(_logger, path, _head);
    }

    public long Head => Volatile.Read(ref _head);

    /// <summary>False once the writer has stopped; appends would then never complete.</summary>
    public bool IsWriting => !_writeLoop.IsCompleted;

    public Task<JournalRecord> AppendAsync(HubEvent e, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(e, new TaskCompletionSource<JournalRecord>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
            throw new ObjectDisposedException(nameof(SqliteJournal), "The journal is closed.");
        return pending.Completion.Task;
    }

    public async Task<IReadOnlyList<JournalRecord>> ReadFeedAsync(
        Feed feed, long after, long before = long.MaxValue, int limit = int.MaxValue, CancellationToken cancellationToken = default)
    {
        if (_recent.TryRead(after, before, limit, feed.Matches, out var recent)) return recent;
        var (where, key, sector) = feed.ToSql();
        return await QueryAsync(
            $"SELECT cursor, recorded_at, payload FROM journal WHERE cursor > $after AND cursor < $before AND {where} ORDER BY cursor LIMIT $limit",
            [("$after", after), ("$before", before), ("$key", key), ("$sector", sector), ("$limit", limit)],
            cancellationToken);
    }

    public async Task<IReadOnlyList<JournalRecord>> ReadAsync(JournalQuery query, CancellationToken cancellationToken = default)
    {
        var filter = "kind = $kind";
        var parameters = new List<(string, object)> { ("$kind", query.Kind) };
        void Add(string column, object? value)
        {
            if (value is null) return;
            filter += $" AND {column} = ${column}";
            parameters.Add(($"${column}", value));
        }

        Add("sector", query.Sector?.Value);
        Add("unit", query.Unit?.Value);
        Add("subject", query.Subject);
        Add("unit_seq", query.UnitSequence);
        var groupBy = query.LatestPerUnit ? "unit" : query.LatestPerSubject ? "subject" : null;
        var matching = groupBy is null
            ? $"SELECT cursor, recorded_at, payload FROM journal WHERE {filter}"
            : $"SELECT cursor, recorded_at, payload FROM journal WHERE cursor IN (SELECT MAX(cursor) FROM journal WHERE {filter} GROUP BY {groupBy})";
        var sql = query.Last is { } last
            ? $"SELECT * FROM ({matching} ORDER BY cursor DESC LIMIT {last}) ORDER BY cursor"
            : $"{matching} ORDER BY cursor";
        return await QueryAsync(sql, parameters, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writeLoop;
        await _writer.DisposeAsync();
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_options.MaxBatch);
        using var insert = _writer.CreateCommand();
        insert.CommandText = """
            INSERT INTO journal (cursor, recorded_at, kind, sector, unit, to_unit, subject, unit_seq, payload, prev_hash, hash)
            VALUES ($cursor, $at, $kind, $sector, $unit, $to_unit, $subject, $unit_seq, $payload, $prev, $hash)
            """;
        var p = InsertParameters.Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name }))
            .ToArray();

        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && _pending.Reader.TryRead(out var item)) batch.Add(item);
            var started = Stopwatch.GetTimestamp();
            var records = new JournalRecord?[batch.Count];
            var head = _head;
            var hash = _lastHash;
            try
            {
                using var transaction = _writer.BeginTransaction();
                insert.Transaction = transaction;
                var micros = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
                var recordedAt = DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
                for (var i = 0; i < batch.Count; i++)
                {
                    var e = batch[i].Event;
                    var keys = e.Keys();
                    var payload = JournalSerializer.Serialize(e);
                    var cursor = head + 1;
                    var next = JournalSerializer.Hash(hash, cursor, micros, keys.Kind, payload);
                    object?[] values = [cursor, micros, keys.Kind, keys.Sector.Value, keys.Unit?.Value, keys.ToUnit?.Value, keys.Subject, keys.UnitSequence, payload, hash, next];
                    for (var j = 0; j < p.Length; j++) p[j].Value = values[j] ?? DBNull.Value;
                    try
                    {
                        insert.ExecuteNonQuery();
                    }
                    catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
                    {
                        // A constraint (a unit sequence already recorded) rejects only this statement, not the batch.
                        batch[i].Completion.TrySetException(new DomainConflictException($"{keys.Unit} sequence {keys.UnitSequence} is already recorded."));
                        continue;
                    }

                    head = cursor;
                    hash = next;
                    records[i] = new JournalRecord(cursor, recordedAt, e);
                }

                transaction.Commit();
            }
            catch (Exception ex)
            {
                Log.CommitFailed(_logger, ex, batch.Count);
                foreach (var item in batch) item.Completion.TrySetException(new InvalidOperationException("The journal could not record this message.", ex));
                continue;
            }

            var committed = records.OfType<JournalRecord>().ToList();
            _recent.Add(committed);
            _lastHash = hash;
            Volatile.Write(ref _head, head);
            HubMetrics.CommitLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            HubMetrics.CommitBatchSize.Record(committed.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (records[i] is { } record) batch[i].Completion.TrySetResult(record);
            }
        }
    }

    private async Task<IReadOnlyList<JournalRecord>> QueryAsync(string sql, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        var records = new List<JournalRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new JournalRecord(
                reader.GetInt64(0),
                DateTimeOffset.UnixEpoch.AddTicks(reader.GetInt64(1) * 10),
                JournalSerializer.Deserialize(reader.GetString(2))));
        }

        return records;
    }

    private static (long Head, byte[] Hash) ReadHead(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT cursor, hash FROM journal ORDER BY cursor DESC LIMIT 1";
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : (0, new byte[32]);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private const string Schema = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        CREATE TABLE IF NOT EXISTS journal (
            cursor INTEGER PRIMARY KEY,
            recorded_at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            sector TEXT NOT NULL,
            unit TEXT,
            to_unit TEXT,
            subject TEXT,
            unit_seq INTEGER,
            payload TEXT NOT NULL,
            prev_hash BLOB NOT NULL,
            hash BLOB NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS journal_position ON journal (unit, unit_seq) WHERE kind = 'position';
        CREATE INDEX IF NOT EXISTS journal_sector ON journal (sector, kind, cursor);
        CREATE INDEX IF NOT EXISTS journal_unit ON journal (unit, kind, cursor);
        CREATE INDEX IF NOT EXISTS journal_to_unit ON journal (to_unit, cursor) WHERE to_unit IS NOT NULL;
        CREATE INDEX IF NOT EXISTS journal_subject ON journal (subject, cursor) WHERE subject IS NOT NULL;
        """;

    private static readonly string[] InsertParameters =
        ["$cursor", "$at", "$kind", "$sector", "$unit", "$to_unit", "$subject", "$unit_seq", "$payload", "$prev", "$hash"];

    private sealed record Pending(HubEvent Event, TaskCompletionSource<JournalRecord> Completion);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Journal {Path} opened at cursor {Head}")]
        public static partial void Opened(ILogger logger, string path, long head);

        [LoggerMessage(2, LogLevel.Error, "A journal commit of {Count} records failed; none of them were acknowledged")]
        public static partial void CommitFailed(ILogger logger, Exception exception, int count);
    }
}
