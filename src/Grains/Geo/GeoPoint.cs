namespace PatrolHub.Grains.Geo;

[GenerateSerializer, Immutable]
public readonly record struct GeoPoint([property: Id(0)] double Latitude, [property: Id(1)] double Longitude)
{
    public static GeoPoint Validate(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || latitude is < -90 or > 90)
            throw new DomainValidationException("latitude", $"latitude {latitude} is outside -90..90.");
        if (!double.IsFinite(longitude) || longitude is < -180 or > 180)
            throw new DomainValidationException("longitude", $"longitude {longitude} is outside -180..180.");
        return new GeoPoint(latitude, longitude);
    }
}

public enum BoundarySide
{
    US = 1,
    MX = 2,
}

/// <summary>Where a point lies relative to the boundary line.</summary>
[GenerateSerializer, Immutable]
public readonly record struct BoundaryLocation([property: Id(0)] BoundarySide Side, [property: Id(1)] double DistanceM, [property: Id(2)] double ChainageKm);
