namespace PatrolHub.Grains.Sectors;

/// <summary>Sector warnings and status, bound from the <c>Sectors</c> section.</summary>
public sealed class SectorOptions
{
    public const string Section = "Sectors";

    /// <summary>Mirror drift above this (km) ...</summary>
    public double DriftThresholdKm { get; set; } = 2;

    /// <summary>... for this long warns both units and both commands.</summary>
    public TimeSpan DriftDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A unit with no update for this long is stale in sector status.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An active pair covers the boundary this far (km) either side of its two units.</summary>
    public double CoverageRadiusKm { get; set; } = 5;

    public string? Validate() =>
        DriftThresholdKm <= 0 || CoverageRadiusKm <= 0 ? "Sectors:DriftThresholdKm and Sectors:CoverageRadiusKm must be positive."
        : DriftDuration < TimeSpan.Zero || StaleAfter <= TimeSpan.Zero ? "Sectors:DriftDuration must not be negative and Sectors:StaleAfter must be positive."
        : null;
}
