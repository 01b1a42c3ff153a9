using System.Globalization;

namespace PatrolHub.Client.Cli;

internal static class Durations
{
    /// <summary>Reads 500ms, 20s, 5m, 1h, or a TimeSpan such as 00:01:00.</summary>
    public static TimeSpan Parse(string text)
    {
        var units = new (string Suffix, double Seconds)[] { ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600) };
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0)
            {
                return TimeSpan.FromSeconds(value * seconds);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new UsageException($"'{text}' is not a duration; use for example 20s, 5m or 1h.");
    }
}

/// <summary>The command line itself is wrong: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

internal static class Times
{
    /// <summary>Reads an ISO 8601 time (UTC unless it names an offset), "now", or a time relative to now such as -15m or -2h.</summary>
    public static DateTimeOffset Parse(string text, TimeProvider? clock = null)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        if (text.Equals("now", StringComparison.OrdinalIgnoreCase)) return now;
        if (text.StartsWith('-') && text.Length > 1 && char.IsDigit(text[1]))
        {
            try
            {
                return now - Durations.Parse(text[1..]);
            }
            catch (UsageException)
            {
                // Not a relative time; tried as an absolute one below.
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new UsageException($"'{text}' is not a time; use ISO 8601 such as 2026-11-28T14:05:00Z, 'now', or a time before now such as -15m.");
    }
}
