using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Tests;

/// <summary>A real SQLite journal in a fresh folder, deleted afterwards.</summary>
public sealed class TempJournal : IAsyncDisposable
{
    public TempJournal()
    {
        Folder = Directory.CreateTempSubdirectory("patrolhub-journal-").FullName;
        Journal = Open();
    }

    public string Folder { get; }

    public string Path => System.IO.Path.Combine(Folder, "journal.db");

    public SqliteJournal Journal { get; private set; }

    /// <summary>Closes and opens the same file again, as a restarted hub would.</summary>
    public async Task ReopenAsync()
    {
        await Journal.DisposeAsync();
        Journal = Open();
    }

    public async ValueTask DisposeAsync()
    {
        await Journal.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }

    private SqliteJournal Open() => new(Options.Create(new JournalOptions { Path = Path }), NullLogger<SqliteJournal>.Instance);
}
