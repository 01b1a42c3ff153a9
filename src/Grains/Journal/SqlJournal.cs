using System.Diagnostics;
using System.Threading.Channels;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The sectors' logs in a SQL store, the same way in SQLite (<see cref="SqliteJournal"/>) and PostgreSQL
/// (<see cref="PostgresJournal"/>): one row per record, keyed by (sector, cursor), so a log can have only one record at
/// each cursor. One writer connection takes every sector's pending appends into one transaction, so many messages of
/// many sectors share one commit; each append completes only after its commit, and is refused unless it follows the
/// log's head as the store has it (its predecessor's cursor and hash). Reads run on the thread pool on connections of
/// their own.
/// </summary>
public abstract partial class SqlJournal : IJournal, IAsyncDisposable
{
    /// <summary>Most appends taken into one transaction.</summary>
    private const int MaxAppendsPerCommit = 256;

    private readonly Channel<Pending> _pending = Channel.CreateBounded<Pending>(new BoundedChannelOptions(4096) { SingleReader = true });
    private readonly ILogger _logger;
    private readonly Dictionary<SectorId, LogHead> _heads = [];
    private DbConnection _writer = null!;
    private Task _writeLoop = Task.CompletedTask;
    private bool _readOnly;

    /// <summary>Most records one pruning checkpoint stands for.</summary>
    private const int PruneRun = 10_000;

    /// <summary>Records at the end of each sector's log whose chain is checked on opening.</summary>
    private const int CheckedOnOpen = 1024;

    private readonly TimeSpan _commitInterval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();

    protected SqlJournal(ILogger logger, TimeSpan commitInterval, TimeProvider time)
    {
        _logger = logger;
        _commitInterval = commitInterval;
        _time = time;
    }

    /// <summary>What the store is, for messages: "the journal '/data/journal.db'".</summary>
    public abstract string Name { get; }

    /// <summary>A new connection to the store, not yet open.</summary>
    protected abstract DbConnection CreateConnection();

    /// <summary>Creates or upgrades the schema, or refuses a store this build cannot read.</summary>
    protected abstract void ApplySchema(DbConnection connection);

    /// <summary>Refuses a store this build cannot read, changing nothing.</summary>
    protected abstract void CheckSchema(DbConnection connection);

    /// <summary>Whether the error is a second record at a (sector, cursor) already taken.</summary>
    protected abstract bool IsDuplicate(DbException exception);

    /// <summary>Inserts one append's records on the writer connection, inside <paramref name="transaction"/>.</summary>
    protected abstract void Insert(DbConnection writer, DbTransaction transaction, IReadOnlyList<SealedRecord> records);

    /// <summary>A stored payload as the UTF-8 bytes it was hashed as.</summary>
    protected virtual byte[] ReadPayload(DbDataReader reader, int ordinal) => System.Text.Encoding.UTF8.GetBytes(reader.GetString(ordinal));

    /// <summary>Sets up a newly opened writer connection.</summary>
    protected virtual void ConfigureWriter(DbConnection writer)
    {
    }

    protected ILogger Logger => _logger;

    /// <summary>Cancelled when the journal starts closing.</summary>
    protected CancellationToken Closing => _closing.Token;

    /// <summary>Runs on the writer after each commit, once its appends are completed.</summary>
    protected virtual void Committed(DbConnection writer)
    {
    }

    /// <summary>Names the index a query should use, where the store needs telling.</summary>
    protected virtual string Use(string index) => "";

    /// <summary>Opens the writer and checks the store (creating or upgrading its schema unless read-only); a store that
    /// cannot be reached, is damaged or is too new stops here with a sentence saying so.</summary>
    protected void Open(bool readOnly)
    {
        _readOnly = readOnly;
        _writer = CreateConnection();
        try
        {
            _writer.Open();
            if (readOnly)
            {
                CheckSchema(_writer);
                _pending.Writer.Complete();
                return;
            }

            ConfigureWriter(_writer);
            ApplySchema(_writer);
            CheckEnds();
        }
        catch (DbException e)
        {
            _writer.Dispose();
            throw new InvalidOperationException($"{Name} cannot be reached or read: {e.Message}", e);
        }
        catch
        {
            _writer.Dispose();
            throw;
        }

        _writeLoop = Task.Run(WriteLoopAsync);
        Log.Opened(_logger, Name);
    }

    /// <summary>What the store is, as the hub reports it on start.</summary>
    public override string ToString() => $"journal: {Name}";

    /// <summary>False once the writer has stopped; appends would then never complete.</summary>
    public bool IsWriting => !_writeLoop.IsCompleted;

    /// <summary>Completes once the store has answered a query on a fresh connection of the pool; throws if it cannot.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default) => ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        return command.ExecuteScalar();
    }, cancellationToken);

    public Task<LogHead> ReadHeadAsync(SectorId sector, CancellationToken cancellationToken = default) =>
        ReadAsync(connection => ReadHead(connection, sector), cancellationToken);

    public async Task AppendAsync(SectorId sector, LogHead head, IReadOnlyList<SealedRecord> records, CancellationToken cancellationToken = default)
    {
        if (records.Count == 0) return;
        if (_readOnly) throw new InvalidOperationException("This journal was opened read-only.");
        var pending = new Pending(sector, head, records, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await _pending.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(GetType().Name, "The journal is closed.");
        }

        await pending.Completion.Task;
    }

    public Task<IReadOnlyList<JournalRecord>> ReadFeedAsync(
        Feed feed, long after, long upTo = long.MaxValue, int limit = int.MaxValue, CancellationToken cancellationToken = default)
    {
        const string Range = "sector = @sector AND cursor > @after AND cursor <= @upTo";
        // A unit's feed is Addressees.Includes in SQL: sent to it, about it (not its own position), or a command's alert.
        // Each part reads its own index, so a unit catching up reads its own records, not the whole sector's since.
        var sql = feed.Unit is null
            ? $"SELECT cursor, recorded_at, payload FROM journal WHERE {Range} ORDER BY cursor LIMIT @limit"
            : $"""
              SELECT cursor, recorded_at, payload FROM journal {Use("journal_to_unit")} WHERE to_unit = @unit AND {Range}
              UNION ALL SELECT cursor, recorded_at, payload FROM journal {Use("journal_about_unit")}
                WHERE unit = @unit AND kind <> 'position' AND {Range} AND (to_unit IS NULL OR to_unit <> @unit)
              UNION ALL SELECT cursor, recorded_at, payload FROM journal {Use("journal_kind")} WHERE kind = 'alert' AND unit IS NULL AND {Range}
              ORDER BY cursor LIMIT @limit
              """;
        return QueryAsync(
            sql,
            [("@sector", feed.Log.Value), ("@unit", (object?)feed.Unit?.Value ?? DBNull.Value), ("@after", after), ("@upTo", upTo), ("@limit", limit)],
            cancellationToken);
    }

    public Task<IReadOnlyList<JournalRecord>> ReadAsync(JournalQuery query, CancellationToken cancellationToken = default)
    {
        // The kind is written into the SQL so the partial indexes apply; only the known kinds are accepted.
        if (!JournalKinds.All.Contains(query.Kind)) throw new ArgumentException($"'{query.Kind}' is not a journal record kind.", nameof(query));
        var filter = $"kind = '{query.Kind}'";
        var parameters = new List<(string, object)>();
        void Add(string column, object? value)
        {
            if (value is null) return;
            filter += $" AND {column} = @{column}";
            parameters.Add(($"@{column}", value));
        }

        Add("sector", query.Sector?.Value);
        Add("unit", query.Unit?.Value);
        Add("subject", query.Subject);
        Add("unit_seq", query.UnitSequence);
        if (query.Since is { } since)
        {
            filter += " AND recorded_at >= @since";
            parameters.Add(("@since", JournalSerializer.ToMicros(since)));
        }

        if (query.After is { } after)
        {
            filter += " AND cursor > @after";
            parameters.Add(("@after", after));
        }

        if (query.UpTo is { } upTo)
        {
            filter += " AND cursor <= @upTo";
            parameters.Add(("@upTo", upTo));
        }

        var groupBy = query.LatestPerUnit ? "unit" : query.LatestPerSubject ? "subject" : null;
        var matching = groupBy is null
            ? $"SELECT sector, cursor, recorded_at, payload FROM journal WHERE {filter}"
            : $"SELECT sector, cursor, recorded_at, payload FROM journal WHERE (sector, cursor) IN (SELECT sector, MAX(cursor) FROM journal WHERE {filter} GROUP BY sector, {groupBy})";
        // Within one sector's log (a sector's or a unit's records) newest means latest in the log, which its indexes
        // find without sorting; across sectors it means latest recorded.
        var newest = query.Sector is null && query.Unit is null ? "recorded_at DESC, cursor DESC" : "cursor DESC";
        var sql = query.Last is { } last
            ? $"SELECT cursor, recorded_at, payload FROM ({matching} ORDER BY {newest} LIMIT {last}) AS m ORDER BY sector, cursor"
            : $"SELECT cursor, recorded_at, payload FROM ({matching}) AS m ORDER BY sector, cursor";
        return QueryAsync(sql, parameters, cancellationToken);
    }

    public Task<int> CountSubjectsAsync(SectorId sector, string kind, CancellationToken cancellationToken = default) => ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(DISTINCT subject) FROM journal WHERE sector = @sector AND kind = @kind";
        Add(command, "@sector", sector.Value);
        Add(command, "@kind", kind);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }, cancellationToken);

    public Task<IReadOnlyList<JournalRecord>> ReadTrackAsync(UnitId unit, long after, long upTo, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"""
            SELECT cursor, recorded_at, payload FROM journal {Use("journal_unit_positions")}
            WHERE unit = @unit AND kind = 'position' AND sector = @sector AND cursor > @after AND cursor <= @upTo ORDER BY cursor LIMIT @limit
            """,
            [("@unit", unit.Value), ("@sector", unit.Sector.Value), ("@after", after), ("@upTo", upTo), ("@limit", limit)],
            cancellationToken);

    public Task<long> CursorAtAsync(SectorId sector, DateTimeOffset time, CancellationToken cancellationToken = default) => ReadAsync(connection =>
    {
        using var command = connection.CreateCommand();
        // One step down the time index, whatever the log's length: a sector's records are recorded in cursor order.
        command.CommandText = $"""
            SELECT cursor FROM journal {Use("journal_time")} WHERE sector = @sector AND recorded_at <= @at
            ORDER BY recorded_at DESC, cursor DESC LIMIT 1
            """;
        Add(command, "@sector", sector.Value);
        Add(command, "@at", JournalSerializer.ToMicros(time));
        return command.ExecuteScalar() is long cursor ? cursor : 0;
    }, cancellationToken);

    public Task<IReadOnlyList<ChainLink>> ReadChainAsync(SectorId sector, long after, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ChainLink>>(connection => ReadChain(connection, sector, after, limit), cancellationToken);

    public Task AddCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken = default) =>
        ReadAsync(connection => AddCheckpoint(connection, null, checkpoint), cancellationToken);

    public Task<IReadOnlyList<Checkpoint>> ReadCheckpointsAsync(SectorId sector, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<Checkpoint>>(connection => ReadCheckpoints(connection, sector), cancellationToken);

    public Task<long> PruneAsync(
        SectorId sector, IReadOnlyDictionary<string, DateTimeOffset> cutoffs, Func<long, LogHead, Checkpoint> sign, CancellationToken cancellationToken = default) =>
        ReadAsync(connection =>
        {
            if (cutoffs.Count == 0) return 0L;
            foreach (var kind in cutoffs.Keys)
            {
                if (!JournalKinds.All.Contains(kind)) throw new ArgumentException($"'{kind}' is not a journal record kind.", nameof(cutoffs));
            }

            // The runs first, as (first cursor, last record); only their ends are kept, so memory does not grow with them.
            var runs = new List<(long First, LogHead Last)>();
            using (var select = connection.CreateCommand())
            {
                select.CommandText = $"""
                    SELECT cursor, kind, recorded_at, hash FROM journal
                    WHERE sector = @sector AND kind IN ({string.Join(", ", cutoffs.Keys.Select(k => $"'{k}'"))}) AND recorded_at < @before
                      AND cursor < (SELECT MAX(cursor) FROM journal WHERE sector = @sector)
                    ORDER BY cursor
                    """;
                Add(select, "@sector", sector.Value);
                Add(select, "@before", JournalSerializer.ToMicros(cutoffs.Values.Max()));
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    var cursor = reader.GetInt64(0);
                    if (reader.GetInt64(2) >= JournalSerializer.ToMicros(cutoffs[reader.GetString(1)])) continue;
                    var head = new LogHead(cursor, (byte[])reader.GetValue(3));
                    if (runs.Count > 0 && runs[^1].Last.Cursor == cursor - 1 && cursor - runs[^1].First < PruneRun) runs[^1] = (runs[^1].First, head);
                    else runs.Add((cursor, head));
                }
            }

            var pruned = 0L;
            foreach (var (first, last) in runs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var transaction = connection.BeginTransaction();
                AddCheckpoint(connection, transaction, sign(first, last));
                using var delete = connection.CreateCommand();
                delete.Transaction = transaction;
                delete.CommandText = "DELETE FROM journal WHERE sector = @sector AND cursor BETWEEN @first AND @last";
                Add(delete, "@sector", sector.Value);
                Add(delete, "@first", first);
                Add(delete, "@last", last.Cursor);
                pruned += delete.ExecuteNonQuery();
                transaction.Commit();
            }

            return pruned;
        }, cancellationToken);

    public virtual async ValueTask DisposeAsync()
    {
        // What was accepted is committed at once, without waiting out the interval.
        _pending.Writer.TryComplete();
        await _closing.CancelAsync();
        await _writeLoop;
        await _writer.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>The one writer, on the thread pool: commits what is pending together.</summary>
    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxAppendsPerCommit);
        var lastCommit = 0L;
        while (await _pending.Reader.WaitToReadAsync())
        {
            // Group commit: what arrives before the interval is up is committed with what is already waiting.
            var wait = _commitInterval - _time.GetElapsedTime(lastCommit);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, _closing.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lastCommit = _time.GetTimestamp();
            batch.Clear();
            while (batch.Count < MaxAppendsPerCommit && _pending.Reader.TryRead(out var item)) batch.Add(item);
            var started = Stopwatch.GetTimestamp();
            var failures = new Exception?[batch.Count];
            try
            {
                Commit(batch, failures);
            }
            catch (Exception ex)
            {
                Log.CommitFailed(_logger, ex, batch.Sum(b => b.Records.Count));
                _heads.Clear();
                foreach (var item in batch) item.Completion.TrySetException(new JournalUnavailableException("The journal could not record this message.", ex));
                Reconnect();
                continue;
            }

            HubMetrics.CommitLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            HubMetrics.CommitBatchSize.Record(batch.Where((_, i) => failures[i] is null).Sum(b => b.Records.Count));
            for (var i = 0; i < batch.Count; i++)
            {
                if (failures[i] is { } failure)
                {
                    batch[i].Completion.TrySetException(failure);
                }
                else
                {
                    _heads[batch[i].Sector] = batch[i].Records[^1].Head;
                    batch[i].Completion.TrySetResult();
                }
            }

            Committed(_writer);
        }
    }

    /// <summary>After a failed commit, a writer whose connection broke (the database went away) opens a new one, so
    /// appends succeed again once the store is back; until then each batch fails and is refused.</summary>
    private void Reconnect()
    {
        if (_writer.State == System.Data.ConnectionState.Open) return;
        try
        {
            _writer.Dispose();
            _writer = CreateConnection();
            _writer.Open();
            ConfigureWriter(_writer);
        }
        catch (DbException e)
        {
            Log.ReconnectFailed(_logger, e, Name);
        }
    }

    /// <summary>Inserts the appends not yet refused and commits them in one transaction. An append the store refuses
    /// (its first cursor is taken: a writer this process does not know of appended) is refused alone: the transaction
    /// is rolled back and run again without it. That is rare, so the appends share a transaction with no savepoint
    /// each, which would cost SQLite a copy of every page an append changes and PostgreSQL two more round trips.</summary>
    private void Commit(List<Pending> batch, Exception?[] failures)
    {
        while (true)
        {
            using var transaction = _writer.BeginTransaction();
            var taken = -1;
            for (var i = 0; i < batch.Count; i++)
            {
                failures[i] ??= CheckHead(transaction, batch[i]);
                if (failures[i] is not null) continue;
                try
                {
                    Insert(_writer, transaction, batch[i].Records);
                }
                catch (DbException ex) when (IsDuplicate(ex))
                {
                    taken = i;
                    break;
                }
            }

            if (taken < 0)
            {
                transaction.Commit();
                return;
            }

            transaction.Rollback();
            _heads.Remove(batch[taken].Sector);
            failures[taken] = new LogConflictException(
                $"sector {batch[taken].Sector}'s log already has cursor {batch[taken].Records[0].Record.Cursor}; another writer appended first.");
        }
    }

    /// <summary>Why an append does not follow its log's head as this writer knows it, or null if it does.</summary>
    private LogConflictException? CheckHead(DbTransaction transaction, Pending append)
    {
        if (!_heads.TryGetValue(append.Sector, out var head)) _heads[append.Sector] = head = ReadHead(_writer, append.Sector, transaction);
        return head == append.Head
            ? null
            : new LogConflictException(
                $"sector {append.Sector}'s log ends at cursor {head.Cursor}, not at {append.Head.Cursor} as its writer expected; another writer appended first.");
    }

    private async Task<IReadOnlyList<JournalRecord>> QueryAsync(string sql, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken) =>
        await ReadAsync<IReadOnlyList<JournalRecord>>(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters) Add(command, name, value);
            var records = new List<JournalRecord>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                records.Add(new JournalRecord(
                    reader.GetInt64(0), JournalSerializer.FromMicros(reader.GetInt64(1)), JournalSerializer.Deserialize(ReadPayload(reader, 2))));
            }

            return records;
        }, cancellationToken);

    /// <summary>Runs a read on a pooled connection off the caller's thread.</summary>
    private Task<T> ReadAsync<T>(Func<DbConnection, T> read, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = CreateConnection();
        connection.Open();
        return read(connection);
    }, cancellationToken);

    protected static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static int AddCheckpoint(DbConnection connection, DbTransaction? transaction, Checkpoint checkpoint)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO checkpoints (sector, cursor, hash, signed_at, signer, signature, pruned_from)
            VALUES (@sector, @cursor, @hash, @at, @signer, @signature, @pruned_from) ON CONFLICT DO NOTHING
            """;
        Add(command, "@sector", checkpoint.Sector.Value);
        Add(command, "@cursor", checkpoint.Cursor);
        Add(command, "@hash", checkpoint.Hash);
        Add(command, "@at", JournalSerializer.ToMicros(checkpoint.SignedAt));
        Add(command, "@signer", checkpoint.Signer);
        Add(command, "@signature", checkpoint.Signature);
        Add(command, "@pruned_from", checkpoint.PrunedFrom ?? 0L);
        return command.ExecuteNonQuery();
    }

    private static List<Checkpoint> ReadCheckpoints(DbConnection connection, SectorId sector)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT cursor, hash, signed_at, signer, signature, pruned_from FROM checkpoints WHERE sector = @sector ORDER BY cursor, pruned_from";
        Add(command, "@sector", sector.Value);
        using var reader = command.ExecuteReader();
        var checkpoints = new List<Checkpoint>();
        while (reader.Read())
        {
            checkpoints.Add(new Checkpoint(sector, reader.GetInt64(0), (byte[])reader.GetValue(1), JournalSerializer.FromMicros(reader.GetInt64(2)),
                (byte[])reader.GetValue(3), (byte[])reader.GetValue(4), reader.GetInt64(5) is var from and > 0 ? from : null));
        }

        return checkpoints;
    }

    private List<ChainLink> ReadChain(DbConnection connection, SectorId sector, long after, int limit)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT cursor, recorded_at, kind, unit, to_unit, subject, unit_seq, payload, prev_hash, hash FROM journal
            WHERE sector = @sector AND cursor > @after ORDER BY cursor LIMIT @limit
            """;
        Add(command, "@sector", sector.Value);
        Add(command, "@after", after);
        Add(command, "@limit", limit);
        using var reader = command.ExecuteReader();
        var links = new List<ChainLink>();
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        while (reader.Read())
        {
            links.Add(new ChainLink(sector, reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), Text(3), Text(4), Text(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6), ReadPayload(reader, 7), (byte[])reader.GetValue(8), (byte[])reader.GetValue(9)));
        }

        return links;
    }

    /// <summary>Checks the chain at the end of every sector's log, so a damaged or cut file stops the hub before it
    /// appends to it; the whole record is checked by verification.</summary>
    private void CheckEnds()
    {
        foreach (var sector in Geo.SectorCatalog.Default.All.Select(s => s.Id))
        {
            var head = ReadHead(_writer, sector);
            if (head.Cursor == 0) continue;
            var from = Math.Max(0, head.Cursor - CheckedOnOpen - 1);
            var links = ReadChain(_writer, sector, from, CheckedOnOpen + 2);
            // The check starts from what the first record read says came before it.
            var check = new ChainCheck(sector, from == 0 ? LogHead.Empty : new LogHead(links[0].Cursor - 1, links[0].PreviousHash), ReadCheckpoints(_writer, sector));
            foreach (var link in links)
            {
                if (check.Next(link) is { } broken)
                    throw new InvalidOperationException($"{Name} is damaged: {broken} The hub will not append to it; restore it from a copy, or run 'patrolhub verify --offline' to check the whole record.");
            }
        }
    }

    private static LogHead ReadHead(DbConnection connection, SectorId sector, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT cursor, hash FROM journal WHERE sector = @sector ORDER BY cursor DESC LIMIT 1";
        Add(command, "@sector", sector.Value);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new LogHead(reader.GetInt64(0), (byte[])reader.GetValue(1)) : LogHead.Empty;
    }

    private sealed record Pending(SectorId Sector, LogHead Head, IReadOnlyList<SealedRecord> Records, TaskCompletionSource Completion);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Opened {Journal}")]
        public static partial void Opened(ILogger logger, string journal);

        [LoggerMessage(2, LogLevel.Error, "A journal commit of {Count} records failed; none of them were acknowledged")]
        public static partial void CommitFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(3, LogLevel.Warning, "{Journal} is still out of reach; the next append tries again")]
        public static partial void ReconnectFailed(ILogger logger, Exception exception, string journal);
    }
}
