namespace PatrolHub.Grains.Journal;

public sealed class JournalOptions
{
    public const string Section = "Journal";

    /// <summary><c>sqlite</c> (the embedded default: one file, one process) or <c>postgres</c> (a cluster's shared store).</summary>
    public string Store { get; set; } = "sqlite";

    /// <summary>The SQLite file; its folder is created if missing.</summary>
    public string Path { get; set; } = "data/journal.db";

    /// <summary>With <c>Store=postgres</c>: the Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=5433;Database=patrolhub;Username=patrolhub</c>.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => Store.Equals("postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Most records of one sector made durable by one append.</summary>
    public int MaxBatch { get; set; } = 1024;

    /// <summary>Most records one sector's log holds waiting for the store; past it, appends are refused as overload.</summary>
    public int MaxPending { get; set; } = 16_384;

    /// <summary>Least time from the start of one commit to the start of the next. Appends arriving meanwhile wait and
    /// share the next commit, so a busy hub makes a few hundred commits a second with dozens of records each, rather
    /// than one per record; each acknowledgement may wait this much longer.</summary>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>With SQLite: how often the write-ahead log is copied back into the file, on a connection and thread of
    /// their own rather than inside a commit, which would hold up every append waiting for it.</summary>
    public TimeSpan WalCheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first setting that is wrong, as a sentence naming its key, or null.</summary>
    public string? Validate() =>
        !IsPostgres && !Store.Equals("sqlite", StringComparison.OrdinalIgnoreCase) ? $"{Section}:Store must be sqlite or postgres; it is '{Store}'."
        : IsPostgres && string.IsNullOrWhiteSpace(ConnectionString) ? $"{Section}:ConnectionString must be set when {Section}:Store is postgres."
        : string.IsNullOrWhiteSpace(Path) ? $"{Section}:Path must name a file."
        : MaxBatch < 1 ? $"{Section}:MaxBatch must be at least 1; it is {MaxBatch}."
        : CommitInterval < TimeSpan.Zero || CommitInterval > TimeSpan.FromSeconds(1) ? $"{Section}:CommitInterval must be between 0 and 1 second; it is {CommitInterval}."
        : WalCheckpointInterval < TimeSpan.FromMilliseconds(10) || WalCheckpointInterval > TimeSpan.FromMinutes(1)
            ? $"{Section}:WalCheckpointInterval must be between 10 milliseconds and 1 minute; it is {WalCheckpointInterval}."
        : MaxPending < MaxBatch ? $"{Section}:MaxPending must be at least {Section}:MaxBatch ({MaxBatch}); it is {MaxPending}."
        : null;
}
