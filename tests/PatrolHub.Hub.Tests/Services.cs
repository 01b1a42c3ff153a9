using Npgsql;

namespace PatrolHub.Hub.Tests;

/// <summary>The PostgreSQL and Redis servers the cluster and store tests need, as <c>scripts/services.sh start</c>
/// names them.</summary>
internal static class Services
{
    public static string Needed(string variable) => Environment.GetEnvironmentVariable(variable)
        ?? throw new InvalidOperationException($"This test needs PostgreSQL and Redis: run 'eval \"$(scripts/services.sh start)\"' first (.ci/run does), which sets {variable}.");

    public static string Postgres => Needed("PATROLHUB_POSTGRES");

    public static string Redis => Needed("PATROLHUB_REDIS");

    /// <summary>The server's connection string, for one of its databases.</summary>
    public static string Database(string name) => new NpgsqlConnectionStringBuilder(Postgres) { Database = name }.ConnectionString;

    /// <summary>A fresh database on the server, for one test's hubs.</summary>
    public static Task CreateDatabaseAsync(string name) => ExecuteAsync(Postgres, $"CREATE DATABASE {name}");

    /// <summary>Drops a test's database, after closing this process's pooled connections to it.</summary>
    public static Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        return ExecuteAsync(Postgres, $"DROP DATABASE {name} WITH (FORCE)");
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
