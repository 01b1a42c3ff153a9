namespace PatrolHub.Client.Simulation;

/// <summary>Latency percentiles in milliseconds; null where nothing was measured.</summary>
public sealed record Latency(int Count, double? P50Ms, double? P99Ms, double? MaxMs)
{
    public static Latency Of(IEnumerable<double> samples)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        double? At(double p) => sorted.Length == 0 ? null : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
        return new Latency(sorted.Length, At(0.50), At(0.99), sorted.Length == 0 ? null : sorted[^1]);
    }

    public override string ToString() => P50Ms is null ? "none" : $"p50 {P50Ms:F2} ms, p99 {P99Ms:F2} ms, max {MaxMs:F2} ms";
}
