using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Tests;

/// <summary>
/// A real journal, fresh and deleted afterwards: a SQLite file in a new folder, or (store "postgres") a new database on
/// the PostgreSQL server PATROLHUB_POSTGRES names, which <c>scripts/services.sh start</c> starts and <c>.ci/run</c> sets.
/// </summary>
public sealed class TempJournal : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    private readonly string? _database;
    private readonly string? _connectionString;
    private readonly TimeSpan _commitInterval;
    private readonly TimeSpan _walCheckpointInterval;
    private readonly TimeProvider _time;

    /// <param name="commitInterval">The journal's <see cref="JournalOptions.CommitInterval"/>; the default's if null.</param>
    /// <param name="time">The clock the commit interval is kept by.</param>
    /// <param name="walCheckpointInterval">The journal's <see cref="JournalOptions.WalCheckpointInterval"/>; the default's if null.</param>
    public TempJournal(string store = Sqlite, TimeSpan? commitInterval = null, TimeProvider? time = null, TimeSpan? walCheckpointInterval = null)
    {
        _commitInterval = commitInterval ?? new JournalOptions().CommitInterval;
        _walCheckpointInterval = walCheckpointInterval ?? new JournalOptions().WalCheckpointInterval;
        _time = time ?? TimeProvider.System;
        Folder = Directory.CreateTempSubdirectory("patrolhub-journal-").FullName;
        try
        {
            if (store == Postgres)
            {
                var database = $"patrolhub_test_{Guid.NewGuid():N}";
                _connectionString = CreateDatabase(database);
                _database = database;
            }

            Journal = Open();
        }
        catch
        {
            // No journal, so no DisposeAsync: what was made goes now.
            DeleteStore();
            throw;
        }
    }

    /// <summary>Creates the database on the test server and gives its connection string.</summary>
    private static string CreateDatabase(string database)
    {
        var server = Environment.GetEnvironmentVariable("PATROLHUB_POSTGRES")
            ?? throw new InvalidOperationException(
                "This test needs PostgreSQL: run 'eval \"$(scripts/services.sh start)\"' first (.ci/run does), which sets PATROLHUB_POSTGRES.");
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
    }

    public string Folder { get; }

    /// <summary>The SQLite file, for a SQLite journal.</summary>
    public string Path => System.IO.Path.Combine(Folder, "journal.db");

    public SqlJournal Journal { get; private set; }

    /// <summary>The PostgreSQL database's connection string, for a PostgreSQL journal.</summary>
    public string? ConnectionString => _connectionString;

    /// <summary>A second journal on the same store: another silo's, or for SQLite another writer this process does not
    /// know of.</summary>
    public SqlJournal OpenAnother() => Open();

    /// <summary>Closes and opens the same store again, as a restarted hub would; <paramref name="whileClosed"/> runs in
    /// between (to change the file as an older hub would have left it, say).</summary>
    public async Task ReopenAsync(Func<Task>? whileClosed = null)
    {
        await Journal.DisposeAsync();
        if (whileClosed is not null) await whileClosed();
        Journal = Open();
    }

    public async ValueTask DisposeAsync()
    {
        await Journal.DisposeAsync();
        DeleteStore();
    }

    /// <summary>Deletes the folder and, for PostgreSQL, the database: once the journal is closed, or when it could not
    /// be opened.</summary>
    private void DeleteStore()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
        if (_database is null) return;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("PATROLHUB_POSTGRES"));
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE {_database} WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    private SqlJournal Open() => _connectionString is null
        ? new SqliteJournal(Options.Create(Settings()), NullLogger<SqliteJournal>.Instance, _time)
        : new PostgresJournal(Options.Create(Settings()), NullLogger<PostgresJournal>.Instance, _time);

    private JournalOptions Settings() => _connectionString is null
        ? new JournalOptions { Path = Path, CommitInterval = _commitInterval, WalCheckpointInterval = _walCheckpointInterval }
        : new JournalOptions { Store = Postgres, ConnectionString = _connectionString, CommitInterval = _commitInterval };
}
