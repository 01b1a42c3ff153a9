using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The sectors' logs in one SQLite file (WAL, synchronous=FULL): the embedded default. Only one process may write it.
/// </summary>
public sealed partial class SqliteJournal : SqlJournal
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly TimeSpan _walCheckpointInterval;
    private readonly Thread? _checkpoints;
    private int _checkpointed;
    private sqlite3_stmt? _insert;
    private DbConnection? _insertOn;

    public SqliteJournal(IOptions<JournalOptions> options, ILogger<SqliteJournal> logger, TimeProvider? time = null)
        : this(options.Value.Path, readOnly: false, options.Value.CommitInterval, options.Value.WalCheckpointInterval, time ?? TimeProvider.System, logger)
    {
    }

    private SqliteJournal(string file, bool readOnly, TimeSpan commitInterval, TimeSpan walCheckpointInterval, TimeProvider time, ILogger logger)
        : base(logger, commitInterval, time)
    {
        _walCheckpointInterval = walCheckpointInterval;
        _path = Path.GetFullPath(file);
        if (readOnly && !File.Exists(_path)) throw new FileNotFoundException($"There is no journal file '{_path}'.", _path);
        if (!readOnly) Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path, Pooling = true, Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        }.ToString();
        Open(readOnly);
        if (readOnly) return;
        _checkpoints = new Thread(CheckpointLoop) { IsBackground = true, Name = "journal checkpoints" };
        _checkpoints.Start();
    }

    /// <summary>Opens a journal file only to read it (to verify a copy, say): nothing is created, migrated or written.</summary>
    public static SqliteJournal OpenReadOnly(string path) =>
        new(path, readOnly: true, TimeSpan.Zero, TimeSpan.Zero, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteJournal>.Instance);

    public override string Name => $"The journal '{_path}'";

    protected override DbConnection CreateConnection() => new SqliteConnection(_connectionString);

    protected override void ConfigureWriter(DbConnection writer) => SqliteSchema.ConfigureWriter((SqliteConnection)writer);

    protected override void ApplySchema(DbConnection connection) => SqliteSchema.Apply((SqliteConnection)connection);

    protected override void CheckSchema(DbConnection connection) => SqliteSchema.Check((SqliteConnection)connection);

    protected override bool IsDuplicate(DbException exception) => exception is SqliteException { SqliteErrorCode: 19 };

    protected override string Use(string index) => $"INDEXED BY {index}";

    /// <summary>SQLite hands out a text column's bytes as stored, with no decoding.</summary>
    protected override byte[] ReadPayload(DbDataReader reader, int ordinal) => reader.GetFieldValue<byte[]>(ordinal);

    /// <summary>One prepared insert per record: in SQLite a statement is a function call, not a round trip. Bound
    /// through SQLite's own calls, as Microsoft.Data.Sqlite's parameters allocate a binder and a UTF-8 copy for every
    /// value of every record; the payload's UTF-8 bytes are stored as the text they are.</summary>
    protected override void Insert(DbConnection writer, DbTransaction transaction, IReadOnlyList<SealedRecord> records)
    {
        var db = ((SqliteConnection)writer).Handle!;
        if (_insertOn != writer)
        {
            _insert?.Dispose();
            Check(raw.sqlite3_prepare_v2(db, """
                INSERT INTO journal (sector, cursor, recorded_at, kind, unit, to_unit, subject, unit_seq, payload, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?)
                """, out _insert), db);
            _insertOn = writer;
        }

        var insert = _insert!;
        foreach (var record in records)
        {
            var k = record.Keys;
            Text(insert, 1, k.Sector.Value);
            raw.sqlite3_bind_int64(insert, 2, record.Record.Cursor);
            raw.sqlite3_bind_int64(insert, 3, JournalSerializer.ToMicros(record.Record.RecordedAt));
            Text(insert, 4, k.Kind);
            Text(insert, 5, k.Unit?.Value);
            Text(insert, 6, k.ToUnit?.Value);
            Text(insert, 7, k.Subject);
            if (k.UnitSequence is { } sequence) raw.sqlite3_bind_int64(insert, 8, sequence);
            else raw.sqlite3_bind_null(insert, 8);
            raw.sqlite3_bind_blob(insert, 9, record.Payload);
            raw.sqlite3_bind_blob(insert, 10, record.PreviousHash);
            raw.sqlite3_bind_blob(insert, 11, record.Hash);
            var rc = raw.sqlite3_step(insert);
            raw.sqlite3_reset(insert);
            if (rc != raw.SQLITE_DONE) Check(rc, db);
        }

        static void Text(sqlite3_stmt statement, int index, string? value)
        {
            if (value is null) raw.sqlite3_bind_null(statement, index);
            else raw.sqlite3_bind_text16(statement, index, value);
        }

        static void Check(int rc, sqlite3 db) => SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>Copies the write-ahead log back into the file every <see cref="JournalOptions.WalCheckpointInterval"/>. A
    /// passive checkpoint takes no lock the writer needs, so commits go on meanwhile; inside a commit, as SQLite's own
    /// automatic checkpoint runs, it took 50–180 ms at 4,000 units and held up every append meanwhile.</summary>
    private void CheckpointLoop()
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
            connection.Open();
            SqliteSchema.ConfigureCheckpointer(connection);
            while (!Closing.WaitHandle.WaitOne(_walCheckpointInterval))
            {
                var rc = Checkpoint(connection);
                if (rc == raw.SQLITE_OK) Volatile.Write(ref _checkpointed, 1);
                else if (rc != raw.SQLITE_BUSY) Log.CheckpointFailed(Logger, rc, raw.sqlite3_errstr(rc).utf8_to_string(), _path);
            }
        }
        catch (Exception e)
        {
            Log.CheckpointsStopped(Logger, e, _path);
        }
    }

    /// <summary>After a background checkpoint, the writer copies what was committed while it ran (a few commits' pages),
    /// so the whole log is in the file and the next commit starts the log over from its beginning. A log that always
    /// had a commit newer than its last checkpoint would never start over, and would grow without end.</summary>
    protected override void Committed(DbConnection writer)
    {
        if (Interlocked.Exchange(ref _checkpointed, 0) == 1) Checkpoint((SqliteConnection)writer);
    }

    /// <summary>A passive checkpoint: copies what it can without waiting for any lock; SQLITE_BUSY if one is running.</summary>
    private static int Checkpoint(SqliteConnection connection) =>
        raw.sqlite3_wal_checkpoint_v2(connection.Handle!, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);

    public override async ValueTask DisposeAsync()
    {
        // Closing stops the checkpoints too; they end before the pool is cleared, whose last close folds the log in.
        await base.DisposeAsync();
        _checkpoints?.Join();
        _insert?.Dispose();
        // With the pooled readers closed too, the last close folds the write-ahead log into the file, so a copy of
        // the file alone is the whole record.
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A checkpoint of {Path} failed with SQLite error {Code} ({Error}); the next one retries")]
        public static partial void CheckpointFailed(ILogger logger, int code, string error, string path);

        [LoggerMessage(2, LogLevel.Error, "Checkpoints of {Path} stopped; its write-ahead log grows until the hub restarts")]
        public static partial void CheckpointsStopped(ILogger logger, Exception exception, string path);
    }
}
