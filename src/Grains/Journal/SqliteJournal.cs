using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The sectors' logs in one SQLite file (WAL, synchronous=FULL): the embedded default. Only one process may write it.
/// </summary>
public sealed class SqliteJournal : SqlJournal
{
    private readonly string _path;
    private readonly string _connectionString;
    private sqlite3_stmt? _insert;
    private DbConnection? _insertOn;

    public SqliteJournal(IOptions<JournalOptions> options, ILogger<SqliteJournal> logger, TimeProvider? time = null)
        : this(options.Value.Path, readOnly: false, options.Value.CommitInterval, time ?? TimeProvider.System, logger)
    {
    }

    private SqliteJournal(string file, bool readOnly, TimeSpan commitInterval, TimeProvider time, ILogger logger)
        : base(logger, commitInterval, time)
    {
        _path = Path.GetFullPath(file);
        if (readOnly && !File.Exists(_path)) throw new FileNotFoundException($"There is no journal file '{_path}'.", _path);
        if (!readOnly) Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path, Pooling = true, Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        }.ToString();
        Open(readOnly);
    }

    /// <summary>Opens a journal file only to read it (to verify a copy, say): nothing is created, migrated or written.</summary>
    public static SqliteJournal OpenReadOnly(string path) =>
        new(path, readOnly: true, TimeSpan.Zero, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<SqliteJournal>.Instance);

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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _insert?.Dispose();
        // With the pooled readers closed too, the last close folds the write-ahead log into the file, so a copy of
        // the file alone is the whole record.
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }
}
