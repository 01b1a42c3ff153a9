namespace PatrolHub.Grains.Geo;

[GenerateSerializer, Immutable]
public readonly record struct GeoPoint([property: Id(0)] double Latitude, [property: Id(1)] double Longitude)
{
    public static GeoPoint Validate(double latitude, double longitude) =>
        Invalid(latitude, longitude) is { } invalid ? throw invalid : new GeoPoint(latitude, longitude);

    /// <summary>What is wrong with a coordinate pair, naming the field, or null.</summary>
    public static DomainValidationException? Invalid(double latitude, double longitude) =>
        !double.IsFinite(latitude) || latitude is < -90 or > 90 ? new("latitude", $"latitude {latitude} is outside -90..90.")
        : !double.IsFinite(longitude) || longitude is < -180 or > 180 ? new("longitude", $"longitude {longitude} is outside -180..180.")
        : null;
}

public enum BoundarySide
{
    US = 1,
    MX = 2,
}

/// <summary>Where a point lies relative to the boundary line.</summary>
[GenerateSerializer, Immutable]
public readonly record struct BoundaryLocation([property: Id(0)] BoundarySide Side, [property: Id(1)] double DistanceM, [property: Id(2)] double ChainageKm);
