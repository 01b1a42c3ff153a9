namespace PatrolHub.Grains.Geo;

[GenerateSerializer, Immutable]
public readonly record struct GeoPoint(double Latitude, double Longitude)
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
public readonly record struct BoundaryLocation(BoundarySide Side, double DistanceM, double ChainageKm);
