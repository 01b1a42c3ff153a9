using System.Globalization;
using System.Xml.Linq;
using PatrolHub.Client.Simulation;

namespace PatrolHub.Client.Units;

/// <summary>Where a unit's positions come from: a simulated track or a GPX file, one fix per tick, or for a GPX track
/// with times, each fix when the track says.</summary>
public abstract class PositionSource
{
    /// <summary>The next fix at <paramref name="now"/>, or null when the track has ended.</summary>
    public abstract (double Latitude, double Longitude, double HeadingDeg, double SpeedMps)? FixAt(DateTimeOffset now);

    /// <summary>For a timed track, how long after its first fix the next one is due; null for a source paced by the rate.</summary>
    public virtual TimeSpan? NextDue => null;

    public static PositionSource Simulated(TrackSimulator track) => new SimulatedSource(track);

    /// <summary>Reads the track points (trkpt, else rtept) of a GPX file.</summary>
    public static PositionSource FromGpx(string path)
    {
        var document = XDocument.Load(path);
        var points = document.Descendants().Where(e => e.Name.LocalName == "trkpt").ToList();
        if (points.Count == 0) points = [.. document.Descendants().Where(e => e.Name.LocalName == "rtept")];
        if (points.Count == 0) throw new FormatException($"'{path}' has no track or route points.");
        var times = points.Select(p => p.Elements().FirstOrDefault(e => e.Name.LocalName == "time") is { } time
            ? DateTimeOffset.Parse(time.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : (DateTimeOffset?)null).ToList();
        // The track's own pace when every point has a time; otherwise one point per tick.
        var timed = times.All(t => t is not null);
        for (var i = 1; timed && i < times.Count; i++)
        {
            if (times[i] < times[i - 1])
                throw new FormatException($"'{path}' goes back in time at point {i + 1} ({times[i]:O} after {times[i - 1]:O}).");
        }

        return new GpxSource(
            [.. points.Select(p => (
                double.Parse((string?)p.Attribute("lat") ?? throw new FormatException($"A point in '{path}' has no lat."), CultureInfo.InvariantCulture),
                double.Parse((string?)p.Attribute("lon") ?? throw new FormatException($"A point in '{path}' has no lon."), CultureInfo.InvariantCulture)))],
            timed ? [.. times.Select(t => t!.Value - times[0]!.Value)] : null);
    }

    private sealed class SimulatedSource(TrackSimulator track) : PositionSource
    {
        public override (double, double, double, double)? FixAt(DateTimeOffset now) => track.At(now);
    }

    private sealed class GpxSource((double Lat, double Lon)[] points, TimeSpan[]? offsets) : PositionSource
    {
        private int _next;

        public override TimeSpan? NextDue => offsets is null || _next >= offsets.Length ? null : offsets[_next];

        public override (double, double, double, double)? FixAt(DateTimeOffset now)
        {
            if (_next >= points.Length) return null;
            var (lat, lon) = points[_next];
            var heading = 0.0;
            if (_next + 1 < points.Length)
            {
                var (lat2, lon2) = points[_next + 1];
                heading = (Math.Atan2((lon2 - lon) * Math.Cos(lat * Math.PI / 180), lat2 - lat) * 180 / Math.PI + 360) % 360;
            }

            _next++;
            return (lat, lon, heading, 0);
        }
    }
}
