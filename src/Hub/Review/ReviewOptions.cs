namespace PatrolHub.Hub.Review;

public sealed class ReviewOptions
{
    public const string Section = "Review";

    /// <summary>The longest window one replay or export may ask for.</summary>
    public TimeSpan MaxWindow { get; set; } = TimeSpan.FromDays(31);

    /// <summary>How often the hub prunes by <see cref="Retention"/> and signs a checkpoint of every sector whose log has grown.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long records of each kind (position, pair, alert, warning) are kept; a kind not named is kept for good.</summary>
    public Dictionary<string, TimeSpan> Retention { get; set; } = [];

    private static readonly string[] Kinds = ["position", "pair", "alert", "warning"];

    /// <summary>The first setting that is wrong, as a sentence naming its key, or null.</summary>
    public string? Validate() =>
        MaxWindow <= TimeSpan.Zero ? $"{Section}:MaxWindow must be positive; it is {MaxWindow}."
        : CheckpointInterval < TimeSpan.FromSeconds(1) ? $"{Section}:CheckpointInterval must be at least 1 second; it is {CheckpointInterval}."
        : Retention.Keys.FirstOrDefault(k => !Kinds.Contains(k)) is { } kind
            ? $"{Section}:Retention:{kind} names no kind of record; the kinds are {string.Join(", ", Kinds)}."
        : Retention.FirstOrDefault(r => r.Value <= TimeSpan.Zero).Key is { } nonPositive ? $"{Section}:Retention:{nonPositive} must be positive."
        : null;
}
