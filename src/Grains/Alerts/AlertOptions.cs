namespace PatrolHub.Grains.Alerts;

/// <summary>Alert deadlines, bound from the <c>Alerts</c> section.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Unacknowledged this long, a CRITICAL alert escalates to the joint centre.</summary>
    public TimeSpan CriticalDeadline { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan HighDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The deadline for LOW and MEDIUM alerts.</summary>
    public TimeSpan OtherDeadline { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Unresolved this long after it was raised, an alert expires.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(8);

    public int MaxTextLength { get; set; } = 500;

    public TimeSpan DeadlineFor(Severity severity) => severity switch
    {
        Severity.Critical => CriticalDeadline,
        Severity.High => HighDeadline,
        _ => OtherDeadline,
    };

    public string? Validate() =>
        new[] { CriticalDeadline, HighDeadline, OtherDeadline, Expiry }.Any(t => t <= TimeSpan.Zero) ? "Alerts: every deadline and Expiry must be positive."
        : MaxTextLength is < 1 or > 10_000 ? "Alerts:MaxTextLength must be between 1 and 10000."
        : null;
}
