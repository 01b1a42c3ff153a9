using Microsoft.Data.Sqlite;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Journal;

/// <summary>The journal's tables in SQLite: one row per record, keyed by (sector, cursor), so a sector's log can have
/// only one record at each cursor.</summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this build writes; a file of a newer version is refused.</summary>
    private const int Version = 4;

    public static void Apply(SqliteConnection connection)
    {
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Check(connection);
        // Schema 3 adds the time and track indexes and the checkpoints to schema 2; all are created below if missing.
        // Schema 4 keeps one index of each unit's positions, in log order, where schema 3 had two (by sequence and by
        // cursor): a unit's positions are all in its own sector, so the two orders are one, and every position written
        // cost two scattered index pages instead of one.
        Execute(connection, $"""
            CREATE TABLE IF NOT EXISTS journal (
                sector TEXT NOT NULL,
                cursor INTEGER NOT NULL,
                recorded_at INTEGER NOT NULL,
                kind TEXT NOT NULL,
                unit TEXT,
                to_unit TEXT,
                subject TEXT,
                unit_seq INTEGER,
                payload TEXT NOT NULL,
                prev_hash BLOB NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (sector, cursor)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS journal_kind ON journal (sector, kind, cursor);
            CREATE INDEX IF NOT EXISTS journal_to_unit ON journal (to_unit, sector, cursor) WHERE to_unit IS NOT NULL;
            CREATE INDEX IF NOT EXISTS journal_about_unit ON journal (unit, sector, cursor) WHERE unit IS NOT NULL AND kind <> 'position';
            CREATE INDEX IF NOT EXISTS journal_subject ON journal (subject, cursor) WHERE subject IS NOT NULL;
            CREATE INDEX IF NOT EXISTS journal_time ON journal (sector, recorded_at);
            DROP INDEX IF EXISTS journal_position;
            DROP INDEX IF EXISTS journal_track;
            CREATE INDEX IF NOT EXISTS journal_unit_positions ON journal (unit, cursor, unit_seq) WHERE kind = 'position';
            CREATE TABLE IF NOT EXISTS checkpoints (
                sector TEXT NOT NULL,
                cursor INTEGER NOT NULL,
                hash BLOB NOT NULL,
                signed_at INTEGER NOT NULL,
                signer BLOB NOT NULL,
                signature BLOB NOT NULL,
                pruned_from INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (sector, cursor, pruned_from)) WITHOUT ROWID;
            PRAGMA user_version = {Version};
            """);
    }

    /// <summary>Settings of the writer's connection, which SQLite does not keep in the file: every commit is on disk
    /// before it is acknowledged (synchronous=FULL), and the pages appends keep touching (the ends of each sector's log
    /// and of each unit's index entries: several thousand at a busy border) stay in its cache rather than being read
    /// back from the operating system on every commit. The writer never copies the write-ahead log back into the file
    /// by itself (wal_autocheckpoint=0): <see cref="SqliteJournal"/> does that on a connection of its own.</summary>
    public static void ConfigureWriter(SqliteConnection connection) =>
        Execute(connection, "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;");

    /// <summary>Settings of the checkpointing connection: the file is on disk before the log is started over.</summary>
    public static void ConfigureCheckpointer(SqliteConnection connection) => Execute(connection, "PRAGMA synchronous = FULL;");

    /// <summary>Refuses a file this build cannot read; returns its schema version (0 for a new file).</summary>
    public static long Check(SqliteConnection connection)
    {
        var version = Scalar(connection, "PRAGMA user_version");
        if (version == 0 && Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE name = 'journal'") > 0) version = 1;
        if (version == 1)
        {
            throw new InvalidOperationException(
                $"The journal '{connection.DataSource}' has one log for the whole hub (schema 1); this hub keeps one log per sector (schema {Version}). Start with a new Journal:Path.");
        }

        if (version > Version)
            throw new InvalidOperationException($"The journal '{connection.DataSource}' was written by a newer hub (schema {version}; this hub knows {Version}).");
        return version;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
