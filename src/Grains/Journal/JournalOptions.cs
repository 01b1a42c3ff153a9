namespace PatrolHub.Grains.Journal;

public sealed class JournalOptions
{
    public const string Section = "Journal";

    /// <summary>The SQLite file; its folder is created if missing.</summary>
    public string Path { get; set; } = "data/journal.db";

    /// <summary>Most records made durable by one commit.</summary>
    public int MaxBatch { get; set; } = 1024;

    /// <summary>Recent records kept in memory to serve catch-up reads without touching the file.</summary>
    public int RecentCapacity { get; set; } = 65_536;
}
