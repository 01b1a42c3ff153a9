namespace PatrolHub.Hub.Hosting;

/// <summary>Revocation and the limits each caller is held to. Every limit is refused with RESOURCE_EXHAUSTED (or
/// INVALID_ARGUMENT for a message too large or a text too long) and a message naming its setting.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>The revocation list the hub watches; unset: DataPath/revoked.txt.</summary>
    public string? RevocationList { get; set; }

    /// <summary>How often the hub looks at the revocation list for changes.</summary>
    public TimeSpan RevocationCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Server streams (sector watches, replays, exports) one identity may have open at once.</summary>
    public int MaxStreamsPerIdentity { get; set; } = 8;

    /// <summary>Positions a unit may report per second, sustained; <see cref="PositionBurst"/> more may come at once.</summary>
    public int PositionsPerSecond { get; set; } = 50;

    /// <summary>Enough for a unit back from ten minutes offline at 1 Hz to send its backlog at once.</summary>
    public int PositionBurst { get; set; } = 600;

    /// <summary>Alerts one identity may raise per minute.</summary>
    public int AlertRaisesPerMinute { get; set; } = 30;

    /// <summary>Calls (unary RPCs and stream openings) one identity may make per second, sustained;
    /// <see cref="CallBurst"/> more may come at once.</summary>
    public int CallsPerSecond { get; set; } = 20;

    public int CallBurst { get; set; } = 100;

    /// <summary>The largest message the hub reads, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    public string? Validate() =>
        RevocationCheckInterval <= TimeSpan.Zero || RevocationCheckInterval > TimeSpan.FromSeconds(1) ? $"{Section}:RevocationCheckInterval must be more than 0 and at most 1 s; it is {RevocationCheckInterval}."
        : MaxStreamsPerIdentity < 1 ? $"{Section}:MaxStreamsPerIdentity must be at least 1; it is {MaxStreamsPerIdentity}."
        : PositionsPerSecond < 1 ? $"{Section}:PositionsPerSecond must be at least 1; it is {PositionsPerSecond}."
        : PositionBurst < 1 ? $"{Section}:PositionBurst must be at least 1; it is {PositionBurst}."
        : AlertRaisesPerMinute < 1 ? $"{Section}:AlertRaisesPerMinute must be at least 1; it is {AlertRaisesPerMinute}."
        : CallsPerSecond < 1 ? $"{Section}:CallsPerSecond must be at least 1; it is {CallsPerSecond}."
        : CallBurst < 1 ? $"{Section}:CallBurst must be at least 1; it is {CallBurst}."
        : MaxMessageBytes is < 1024 or > 4 * 1024 * 1024 ? $"{Section}:MaxMessageBytes must be between 1024 and 4194304; it is {MaxMessageBytes}."
        : null;
}
