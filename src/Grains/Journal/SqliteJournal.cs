using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The sectors' logs in one SQLite file (WAL, synchronous=FULL): the embedded default. Only one process may write it.
/// </summary>
public sealed class SqliteJournal : SqlJournal
{
    private readonly string _path;
    private readonly string _connectionString;
    private SqliteCommand? _insert;

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

    /// <summary>One prepared insert per record: in SQLite a statement is a function call, not a round trip.</summary>
    protected override void Insert(DbConnection writer, DbTransaction transaction, IReadOnlyList<SealedRecord> records)
    {
        if (_insert is null)
        {
            _insert = (SqliteCommand)writer.CreateCommand();
            _insert.CommandText = """
                INSERT INTO journal (sector, cursor, recorded_at, kind, unit, to_unit, subject, unit_seq, payload, prev_hash, hash)
                VALUES (@sector, @cursor, @at, @kind, @unit, @to_unit, @subject, @unit_seq, @payload, @prev, @hash)
                """;
            foreach (var name in (string[])["@sector", "@cursor", "@at", "@kind", "@unit", "@to_unit", "@subject", "@unit_seq", "@payload", "@prev", "@hash"])
                _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        _insert.Transaction = (SqliteTransaction)transaction;
        foreach (var record in records)
        {
            var k = record.Keys;
            object?[] values = [k.Sector.Value, record.Record.Cursor, JournalSerializer.ToMicros(record.Record.RecordedAt), k.Kind,
                k.Unit?.Value, k.ToUnit?.Value, k.Subject, k.UnitSequence, record.Payload, record.PreviousHash, record.Hash];
            for (var j = 0; j < values.Length; j++) _insert.Parameters[j].Value = values[j] ?? DBNull.Value;
            _insert.ExecuteNonQuery();
        }
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
