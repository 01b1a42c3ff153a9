using System.Data.Common;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The sectors' logs in PostgreSQL: the store a cluster's silos share. Every silo may read; the one writer of each
/// sector is fenced by the database itself, since (sector, cursor) is the primary key and every append checks the
/// log's head first, inside the same transaction.
/// </summary>
public sealed class PostgresJournal : SqlJournal
{
    private readonly NpgsqlDataSource _source;
    private readonly string _name;

    public PostgresJournal(IOptions<JournalOptions> options, ILogger<PostgresJournal> logger, TimeProvider? time = null)
        : base(logger, options.Value.CommitInterval, time ?? TimeProvider.System)
    {
        var settings = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString);
        _name = $"The PostgreSQL journal '{settings.Database}' on {settings.Host}:{settings.Port}";
        _source = NpgsqlDataSource.Create(settings);
        try
        {
            Open(readOnly: false);
        }
        catch
        {
            _source.Dispose();
            throw;
        }
    }

    public override string Name => _name;

    /// <summary>Adds revoked certificate serials to the list every silo of the cluster reads; a serial once listed
    /// stays listed.</summary>
    public async Task AddRevocationsAsync(IReadOnlyCollection<string> serials, CancellationToken cancellationToken = default)
    {
        await using var insert = _source.CreateCommand("INSERT INTO revocations (serial) SELECT unnest(@serials) ON CONFLICT DO NOTHING");
        insert.Parameters.AddWithValue("serials", serials.ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every serial any silo has listed as revoked.</summary>
    public async Task<IReadOnlySet<string>> ReadRevocationsAsync(CancellationToken cancellationToken = default)
    {
        await using var select = _source.CreateCommand("SELECT serial FROM revocations");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var serials = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken)) serials.Add(reader.GetString(0));
        return serials;
    }

    /// <summary>Makes <paramref name="terms"/> (JSON) the nation's sharing policy for the whole cluster; returns its
    /// version, which is higher than any set before it.</summary>
    public async Task<long> SetSharingAsync(string nation, string terms, string setBy, CancellationToken cancellationToken = default)
    {
        await using var insert = _source.CreateCommand("INSERT INTO sharing_policy (nation, terms, set_by) VALUES (@nation, @terms, @by) RETURNING version");
        insert.Parameters.AddWithValue("nation", nation);
        insert.Parameters.AddWithValue("terms", terms);
        insert.Parameters.AddWithValue("by", setBy);
        return (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Each nation's latest sharing policy in the cluster, for the nations that have one.</summary>
    public async Task<IReadOnlyList<SharedTerms>> ReadSharingAsync(CancellationToken cancellationToken = default)
    {
        await using var select = _source.CreateCommand(
            "SELECT DISTINCT ON (nation) nation, version, terms, set_at, set_by FROM sharing_policy ORDER BY nation, version DESC");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        var latest = new List<SharedTerms>();
        while (await reader.ReadAsync(cancellationToken))
            latest.Add(new SharedTerms(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4)));
        return latest;
    }

    protected override DbConnection CreateConnection() => _source.CreateConnection();

    protected override void ApplySchema(DbConnection connection) => PostgresSchema.Migrate((NpgsqlConnection)connection, _name);

    protected override void CheckSchema(DbConnection connection) => PostgresSchema.Check((NpgsqlConnection)connection, _name);

    protected override bool IsDuplicate(DbException exception) => exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    /// <summary>One statement per append, its records as arrays: one round trip however many records.</summary>
    protected override void Insert(DbConnection writer, DbTransaction transaction, IReadOnlyList<SealedRecord> records)
    {
        using var insert = new NpgsqlCommand(
            """
            INSERT INTO journal (sector, cursor, recorded_at, kind, unit, to_unit, subject, unit_seq, payload, prev_hash, hash)
            SELECT * FROM unnest(@sector::text[], @cursor::bigint[], @at::bigint[], @kind::text[], @unit::text[], @to_unit::text[],
                                 @subject::text[], @unit_seq::bigint[], @payload::text[], @prev::bytea[], @hash::bytea[])
            """,
            (NpgsqlConnection)writer,
            (NpgsqlTransaction)transaction);
        insert.Parameters.AddWithValue("sector", records.Select(r => r.Keys.Sector.Value).ToArray());
        insert.Parameters.AddWithValue("cursor", records.Select(r => r.Record.Cursor).ToArray());
        insert.Parameters.AddWithValue("at", records.Select(r => JournalSerializer.ToMicros(r.Record.RecordedAt)).ToArray());
        insert.Parameters.AddWithValue("kind", records.Select(r => r.Keys.Kind).ToArray());
        insert.Parameters.AddWithValue("unit", records.Select(r => r.Keys.Unit?.Value).ToArray());
        insert.Parameters.AddWithValue("to_unit", records.Select(r => r.Keys.ToUnit?.Value).ToArray());
        insert.Parameters.AddWithValue("subject", records.Select(r => r.Keys.Subject).ToArray());
        insert.Parameters.AddWithValue("unit_seq", records.Select(r => r.Keys.UnitSequence).ToArray());
        insert.Parameters.AddWithValue("payload", records.Select(r => Encoding.UTF8.GetString(r.Payload)).ToArray());
        insert.Parameters.AddWithValue("prev", records.Select(r => r.PreviousHash).ToArray());
        insert.Parameters.AddWithValue("hash", records.Select(r => r.Hash).ToArray());
        insert.ExecuteNonQuery();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _source.DisposeAsync();
    }
}

/// <summary>A nation's sharing policy as the cluster holds it: its terms (JSON), its version, when and by which silo it was set.</summary>
public sealed record SharedTerms(string Nation, long Version, string Terms, DateTimeOffset SetAt, string SetBy);
