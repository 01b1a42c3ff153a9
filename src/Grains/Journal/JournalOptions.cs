namespace PatrolHub.Grains.Journal;

public sealed class JournalOptions
{
    public const string Section = "Journal";

    /// <summary>The SQLite file; its folder is created if missing.</summary>
    public string Path { get; set; } = "data/journal.db";

    /// <summary>Most records of one sector made durable by one append.</summary>
    public int MaxBatch { get; set; } = 1024;

    /// <summary>Most records one sector's log holds waiting for the store; past it, appends are refused as overload.</summary>
    public int MaxPending { get; set; } = 16_384;

    /// <summary>The first setting that is wrong, as a sentence naming its key, or null.</summary>
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Path) ? $"{Section}:Path must name a file."
        : MaxBatch < 1 ? $"{Section}:MaxBatch must be at least 1; it is {MaxBatch}."
        : MaxPending < MaxBatch ? $"{Section}:MaxPending must be at least {Section}:MaxBatch ({MaxBatch}); it is {MaxPending}."
        : null;
}
