namespace PatrolHub.Hub.Review;

public sealed class ReviewOptions
{
    public const string Section = "Review";

    /// <summary>The longest window one replay or export may ask for.</summary>
    public TimeSpan MaxWindow { get; set; } = TimeSpan.FromDays(31);

    /// <summary>How often the hub signs a checkpoint of every sector whose log has grown.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The first setting that is wrong, as a sentence naming its key, or null.</summary>
    public string? Validate() =>
        MaxWindow <= TimeSpan.Zero ? $"{Section}:MaxWindow must be positive; it is {MaxWindow}."
        : CheckpointInterval < TimeSpan.FromSeconds(1) ? $"{Section}:CheckpointInterval must be at least 1 second; it is {CheckpointInterval}."
        : null;
}
