using Npgsql;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// The journal's schema in PostgreSQL, as numbered migrations the hub applies on start, each once, in order, in one
/// transaction under an advisory lock so silos starting together do not race. <c>patrolhub_schema</c> lists those
/// applied; a database with a migration this build does not know is refused.
/// </summary>
internal static class PostgresSchema
{
    private static readonly string[] Migrations =
    [
        // 1: the sectors' logs and their signed checkpoints, with the lookups the hub and review make.
        """
        CREATE TABLE journal (
            sector text NOT NULL,
            cursor bigint NOT NULL,
            recorded_at bigint NOT NULL,
            kind text NOT NULL,
            unit text,
            to_unit text,
            subject text,
            unit_seq bigint,
            payload text NOT NULL,
            prev_hash bytea NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (sector, cursor));
        CREATE INDEX journal_kind ON journal (sector, kind, cursor);
        CREATE INDEX journal_position ON journal (unit, unit_seq) WHERE kind = 'position';
        CREATE INDEX journal_to_unit ON journal (to_unit, sector, cursor) WHERE to_unit IS NOT NULL;
        CREATE INDEX journal_about_unit ON journal (unit, sector, cursor) WHERE unit IS NOT NULL AND kind <> 'position';
        CREATE INDEX journal_subject ON journal (subject, cursor) WHERE subject IS NOT NULL;
        CREATE INDEX journal_time ON journal (sector, recorded_at);
        CREATE INDEX journal_track ON journal (unit, cursor) WHERE kind = 'position';
        CREATE TABLE checkpoints (
            sector text NOT NULL,
            cursor bigint NOT NULL,
            hash bytea NOT NULL,
            signed_at bigint NOT NULL,
            signer bytea NOT NULL,
            signature bytea NOT NULL,
            pruned_from bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (sector, cursor, pruned_from));
        """,
        // 2: revoked certificate serials, listed on any silo and refused by all.
        """
        CREATE TABLE revocations (
            serial text PRIMARY KEY,
            listed_at timestamptz NOT NULL DEFAULT now());
        """,
        // 3: each nation's sharing policy as the cluster holds it: every change is kept, and each nation's latest is in force.
        """
        CREATE TABLE sharing_policy (
            version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            nation text NOT NULL,
            terms text NOT NULL,
            set_at timestamptz NOT NULL DEFAULT now(),
            set_by text NOT NULL);
        CREATE INDEX sharing_policy_latest ON sharing_policy (nation, version DESC);
        """,
        // 4: one index of each unit's positions, in log order, for its track, its latest position and a repeated
        // sequence; a unit's positions are all in its own sector, so the two indexes of 1 were one order written twice.
        """
        DROP INDEX journal_position;
        DROP INDEX journal_track;
        CREATE INDEX journal_unit_positions ON journal (unit, cursor) INCLUDE (unit_seq) WHERE kind = 'position';
        """,
    ];

    /// <summary>The schema version this build writes: the number of migrations it knows.</summary>
    public static int Version => Migrations.Length;

    public static void Migrate(NpgsqlConnection connection, string name)
    {
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, """
            SELECT pg_advisory_xact_lock(7451);
            CREATE TABLE IF NOT EXISTS patrolhub_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """);
        var applied = Applied(connection, transaction, name);
        for (var version = applied + 1; version <= Version; version++)
        {
            Execute(connection, transaction, Migrations[version - 1]);
            Execute(connection, transaction, $"INSERT INTO patrolhub_schema (version) VALUES ({version})");
        }

        transaction.Commit();
    }

    /// <summary>Refuses a database this build cannot read; changes nothing.</summary>
    public static void Check(NpgsqlConnection connection, string name)
    {
        using var transaction = connection.BeginTransaction();
        Applied(connection, transaction, name);
    }

    private static int Applied(NpgsqlConnection connection, NpgsqlTransaction transaction, string name)
    {
        using var command = new NpgsqlCommand("SELECT to_regclass('patrolhub_schema') IS NOT NULL", connection, transaction);
        if (command.ExecuteScalar() is not true) return 0;
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM patrolhub_schema";
        var version = Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (version > Version)
            throw new InvalidOperationException($"{name} was written by a newer hub (schema {version}; this hub knows {Version}).");
        return version;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
