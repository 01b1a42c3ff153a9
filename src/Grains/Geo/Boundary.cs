using System.Text.Json;

namespace PatrolHub.Grains.Geo;

/// <summary>
/// The U.S.–Mexico boundary as one polyline from the Pacific terminus to the Gulf (Natural Earth 1:10m).
/// Distances use a local equirectangular projection around the query point, which is within metres
/// of the geodesic at the few-kilometre scale that matters here.
/// </summary>
public sealed class Boundary
{
    private const double EarthRadiusM = 6_371_008.8;
    private const double MetresPerDegree = Math.PI / 180 * EarthRadiusM;

    /// <summary>Consecutive segments per chunk: a query looks at every chunk's box, then only into the chunks near it.</summary>
    private const int ChunkSize = 16;

    private readonly GeoPoint[] _points;
    private readonly double[] _chainageKm;
    private readonly (double Lon, double Lat)[] _usSide;
    private readonly Chunk[] _lineChunks;
    private readonly Chunk[] _usSideChunks;

    public Boundary(IReadOnlyList<GeoPoint> points)
    {
        if (points.Count < 2) throw new ArgumentException("A boundary needs at least two points.", nameof(points));
        _points = [.. points];
        _chainageKm = new double[_points.Length];
        for (var i = 1; i < _points.Length; i++)
            _chainageKm[i] = _chainageKm[i - 1] + DistanceM(_points[i - 1], _points[i]) / 1000;

        // The U.S. side as a polygon: the line, then a loop far to the north closing over the sea at both ends.
        var first = _points[0];
        var last = _points[^1];
        _usSide = [.. _points.Select(p => (p.Longitude, p.Latitude)),
            (last.Longitude + 10, last.Latitude), (last.Longitude + 10, 60), (first.Longitude - 10, 60),
            (first.Longitude - 10, first.Latitude)];
        _lineChunks = Chunk.Cover([.. _points.Select(p => (p.Longitude, p.Latitude))], closed: false);
        _usSideChunks = Chunk.Cover(_usSide, closed: true);
    }

    public static Boundary Default { get; } = Load();

    public IReadOnlyList<GeoPoint> Points => _points;

    public double LengthKm => _chainageKm[^1];

    public BoundaryLocation Locate(GeoPoint point)
    {
        var best = double.MaxValue;
        var bestChainage = 0.0;
        var cosLat = Math.Cos(point.Latitude * Math.PI / 180);
        // Nearest chunks first; a chunk whose box is farther than the best segment so far cannot hold a nearer one.
        Span<double> lowerBounds = stackalloc double[_lineChunks.Length];
        for (var c = 0; c < _lineChunks.Length; c++) lowerBounds[c] = _lineChunks[c].DistanceM(point, cosLat);
        while (true)
        {
            var nearest = 0;
            for (var c = 1; c < lowerBounds.Length; c++)
            {
                if (lowerBounds[c] < lowerBounds[nearest]) nearest = c;
            }

            if (lowerBounds[nearest] >= best) break;
            lowerBounds[nearest] = double.PositiveInfinity;
            for (var i = _lineChunks[nearest].First; i < _lineChunks[nearest].End; i++)
            {
                var (ax, ay) = Project(_points[i], point, cosLat);
                var (bx, by) = Project(_points[i + 1], point, cosLat);
                double dx = bx - ax, dy = by - ay;
                var lengthSquared = dx * dx + dy * dy;
                var t = lengthSquared == 0 ? 0 : Math.Clamp(-(ax * dx + ay * dy) / lengthSquared, 0, 1);
                double px = ax + t * dx, py = ay + t * dy;
                var d = Math.Sqrt(px * px + py * py);
                if (d < best)
                {
                    best = d;
                    bestChainage = _chainageKm[i] + t * (_chainageKm[i + 1] - _chainageKm[i]);
                }
            }
        }

        return new BoundaryLocation(IsOnUsSide(point) ? BoundarySide.US : BoundarySide.MX, best, bestChainage);
    }

    /// <summary>The point on the line at a chainage, clamped to the line's ends.</summary>
    public GeoPoint PointAt(double chainageKm)
    {
        var i = Array.BinarySearch(_chainageKm, Math.Clamp(chainageKm, 0, LengthKm));
        if (i >= 0) return _points[i];
        i = ~i;
        var t = (chainageKm - _chainageKm[i - 1]) / (_chainageKm[i] - _chainageKm[i - 1]);
        var (a, b) = (_points[i - 1], _points[i]);
        return new GeoPoint(a.Latitude + t * (b.Latitude - a.Latitude), a.Longitude + t * (b.Longitude - a.Longitude));
    }

    /// <summary>The chainage where the line first reaches a longitude, walking east from the Pacific.</summary>
    public double ChainageAtLongitude(double longitude)
    {
        for (var i = 1; i < _points.Length; i++)
        {
            if (_points[i].Longitude < longitude) continue;
            var (a, b) = (_points[i - 1], _points[i]);
            var t = b.Longitude == a.Longitude ? 0 : (longitude - a.Longitude) / (b.Longitude - a.Longitude);
            return _chainageKm[i - 1] + Math.Clamp(t, 0, 1) * (_chainageKm[i] - _chainageKm[i - 1]);
        }

        return LengthKm;
    }

    /// <summary>The line's points between two chainages, with the cut points at both ends.</summary>
    public IReadOnlyList<GeoPoint> Stretch(double fromKm, double toKm)
    {
        var points = new List<GeoPoint> { PointAt(fromKm) };
        for (var i = 0; i < _points.Length; i++)
        {
            if (_chainageKm[i] > fromKm && _chainageKm[i] < toKm) points.Add(_points[i]);
        }

        points.Add(PointAt(toKm));
        return points;
    }

    public static double DistanceM(GeoPoint a, GeoPoint b)
    {
        var dLat = (b.Latitude - a.Latitude) * Math.PI / 180;
        var dLon = (b.Longitude - a.Longitude) * Math.PI / 180;
        var h = Math.Pow(Math.Sin(dLat / 2), 2)
            + Math.Cos(a.Latitude * Math.PI / 180) * Math.Cos(b.Latitude * Math.PI / 180) * Math.Pow(Math.Sin(dLon / 2), 2);
        return 2 * EarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    private static (double X, double Y) Project(GeoPoint p, GeoPoint origin, double cosLat) =>
        ((p.Longitude - origin.Longitude) * MetresPerDegree * cosLat, (p.Latitude - origin.Latitude) * MetresPerDegree);

    /// <summary>Ray casting eastward over the U.S. side polygon, counting only the edges of chunks the ray can meet.</summary>
    private bool IsOnUsSide(GeoPoint p)
    {
        var inside = false;
        foreach (var chunk in _usSideChunks)
        {
            // An edge crosses the ray only if its latitudes straddle the point's and it reaches east of the point.
            if (p.Latitude < chunk.MinLat || p.Latitude >= chunk.MaxLat || chunk.MaxLon < p.Longitude) continue;
            for (var i = chunk.First; i < chunk.End; i++)
            {
                var (xi, yi) = _usSide[i];
                var (xj, yj) = _usSide[(i + 1) % _usSide.Length];
                if ((yi > p.Latitude) != (yj > p.Latitude)
                    && p.Longitude < (xj - xi) * (p.Latitude - yi) / (yj - yi) + xi)
                {
                    inside = !inside;
                }
            }
        }

        return inside;
    }

    /// <summary>Edges First..End-1 (edge i joins point i to point i+1, wrapping when closed) and their bounding box in degrees.</summary>
    private readonly record struct Chunk(int First, int End, double MinLon, double MaxLon, double MinLat, double MaxLat)
    {
        public static Chunk[] Cover((double Lon, double Lat)[] points, bool closed)
        {
            var edges = closed ? points.Length : points.Length - 1;
            var chunks = new Chunk[(edges + ChunkSize - 1) / ChunkSize];
            for (var c = 0; c < chunks.Length; c++)
            {
                var (first, end) = (c * ChunkSize, Math.Min(edges, (c + 1) * ChunkSize));
                var corners = Enumerable.Range(first, end - first + 1).Select(i => points[i % points.Length]).ToList();
                chunks[c] = new Chunk(first, end, corners.Min(p => p.Lon), corners.Max(p => p.Lon), corners.Min(p => p.Lat), corners.Max(p => p.Lat));
            }

            return chunks;
        }

        /// <summary>The distance from a point to the box in the same local projection as the segments: never more than
        /// the distance to any segment inside it.</summary>
        public double DistanceM(GeoPoint p, double cosLat)
        {
            var dx = Math.Max(0, Math.Max(MinLon - p.Longitude, p.Longitude - MaxLon)) * MetresPerDegree * cosLat;
            var dy = Math.Max(0, Math.Max(MinLat - p.Latitude, p.Latitude - MaxLat)) * MetresPerDegree;
            return Math.Sqrt(dx * dx + dy * dy);
        }
    }

    private static Boundary Load()
    {
        using var stream = typeof(Boundary).Assembly.GetManifestResourceStream("us-mx-boundary.json")
            ?? throw new InvalidOperationException("The boundary data resource is missing from the assembly.");
        using var document = JsonDocument.Parse(stream);
        var points = document.RootElement.GetProperty("points").EnumerateArray()
            .Select(p => new GeoPoint(p[1].GetDouble(), p[0].GetDouble()))
            .ToList();
        return new Boundary(points);
    }
}
