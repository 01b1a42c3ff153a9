using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Tests;

internal static class Events
{
    private static int _nextUnit = 1000;

    /// <summary>A unit number no other test uses, so tests sharing a cluster do not meet.</summary>
    public static int NextNumber() => Interlocked.Increment(ref _nextUnit);

    public static PositionReport Report(long sequence, double latitude = 31.40, double longitude = -110.95, DateTimeOffset? at = null) =>
        new(sequence, at ?? DateTimeOffset.UtcNow, new GeoPoint(latitude, longitude), 5, 90, 3, UnitStatus.OnPatrol);

    public static PositionRecorded Position(UnitId unit, long sequence, UnitId? partner = null) => new(
        unit, Report(sequence), Boundary.Default.Locate(new GeoPoint(31.40, -110.95)), null, partner, null);
}
