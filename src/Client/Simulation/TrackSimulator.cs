using PatrolHub.V1;

namespace PatrolHub.Client.Simulation;

/// <summary>
/// A deterministic patrol track: back and forth along a stretch of the boundary at patrol speed, a fixed
/// distance inside the unit's own nation. Both units of a mirrored pair given the same slot move in step,
/// since the track depends only on the slot and the clock.
/// </summary>
public sealed class TrackSimulator
{
    private const double MetresPerDegreeLat = 110_540;
    private const double MetresPerDegreeLonAtEquator = 111_320;
    private readonly LatLon[] _line;
    private readonly double[] _km;
    private readonly double _sign;
    private readonly double _offsetM;
    private readonly double _speedMps;
    private readonly double _centreKm;
    private readonly double _amplitudeKm;

    /// <param name="stretch">The sector's boundary, west to east along the line (U.S. on the left).</param>
    /// <param name="usSide">True for a U.S. unit, false for a Mexican one.</param>
    /// <param name="slot">Where along the stretch the unit patrols; partners share it.</param>
    /// <param name="offsetKm">Distance from the line, inside the unit's own nation.</param>
    /// <param name="speedMps">Patrol speed.</param>
    public TrackSimulator(IReadOnlyList<LatLon> stretch, bool usSide, int slot, double offsetKm = 1.3, double speedMps = 4)
    {
        if (stretch.Count < 2) throw new ArgumentException("A track needs a stretch of at least two points.", nameof(stretch));
        _line = [.. stretch];
        _km = new double[_line.Length];
        for (var i = 1; i < _line.Length; i++)
        {
            var (dx, dy) = Metres(_line[i - 1], _line[i]);
            _km[i] = _km[i - 1] + Math.Sqrt(dx * dx + dy * dy) / 1000;
        }

        _sign = usSide ? 1 : -1;
        _offsetM = offsetKm * 1000;
        _speedMps = speedMps;
        _amplitudeKm = Math.Min(2.5, _km[^1] / 4);
        var golden = slot * 0.6180339887498949 % 1;
        _centreKm = _amplitudeKm + golden * (_km[^1] - 2 * _amplitudeKm);
    }

    /// <summary>The simulated unit's position, heading (degrees) and speed at a time.</summary>
    public (double Latitude, double Longitude, double HeadingDeg, double SpeedMps) At(DateTimeOffset time)
    {
        // A triangle wave over the patrol stretch: out for one leg, back for the next.
        var travelledKm = time.ToUnixTimeMilliseconds() / 1000.0 * _speedMps / 1000;
        var leg = 4 * _amplitudeKm;
        var phase = travelledKm % leg;
        var forward = phase < leg / 2;
        var along = _centreKm - _amplitudeKm + (forward ? phase : leg - phase);

        var here = PointAt(along);
        // The direction over 3 km smooths the river's meanders, so partners offset to either side stay in step.
        var (tx, ty) = Metres(PointAt(along - 1.5), PointAt(along + 1.5));
        var length = Math.Sqrt(tx * tx + ty * ty);
        (tx, ty) = length == 0 ? (1, 0) : (tx / length, ty / length);
        // Left of the west-to-east direction is the U.S. side.
        var (nx, ny) = (-ty * _sign, tx * _sign);
        var latitude = here.Latitude + ny * _offsetM / MetresPerDegreeLat;
        var longitude = here.Longitude + nx * _offsetM / (MetresPerDegreeLonAtEquator * Math.Cos(here.Latitude * Math.PI / 180));
        var heading = (Math.Atan2(forward ? tx : -tx, forward ? ty : -ty) * 180 / Math.PI + 360) % 360;
        return (latitude, longitude, heading, _speedMps);
    }

    private LatLon PointAt(double km)
    {
        km = Math.Clamp(km, 0, _km[^1]);
        var i = Array.BinarySearch(_km, km);
        if (i >= 0) return _line[i];
        i = ~i;
        var t = (km - _km[i - 1]) / (_km[i] - _km[i - 1]);
        return new LatLon
        {
            Latitude = _line[i - 1].Latitude + t * (_line[i].Latitude - _line[i - 1].Latitude),
            Longitude = _line[i - 1].Longitude + t * (_line[i].Longitude - _line[i - 1].Longitude),
        };
    }

    private static (double X, double Y) Metres(LatLon a, LatLon b) =>
        ((b.Longitude - a.Longitude) * MetresPerDegreeLonAtEquator * Math.Cos(a.Latitude * Math.PI / 180),
         (b.Latitude - a.Latitude) * MetresPerDegreeLat);
}
