using Google.Protobuf.WellKnownTypes;
using PatrolHub.V1;

namespace PatrolHub.Client.Units;

/// <summary>Sends a unit's positions through a session, at a steady rate or at a timed track's own pace, awaiting each
/// acknowledgement.</summary>
public static class PatrolLoop
{
    /// <summary>Runs until the source ends or <paramref name="cancellationToken"/> fires; reports each acknowledgement
    /// with its latency. Returns the number of positions acknowledged.</summary>
    public static async Task<int> RunAsync(
        UnitSession session, PositionSource source, double rateHz, ulong lastSequence,
        Action<PositionUpdate, Ack, TimeSpan>? acknowledged, CancellationToken cancellationToken, TimeSpan initialDelay = default)
    {
        var sequence = lastSequence;
        var count = 0;
        try
        {
            if (initialDelay > TimeSpan.Zero) await Task.Delay(initialDelay, cancellationToken);
            var started = DateTimeOffset.UtcNow;
            async Task<bool> SendNextAsync()
            {
                var now = DateTimeOffset.UtcNow;
                if (source.FixAt(now) is not var (lat, lon, heading, speed)) return false;
                var update = Update(++sequence, now, lat, lon, heading, speed);
                var ack = await session.SendAsync(update, cancellationToken);
                count++;
                acknowledged?.Invoke(update, ack, DateTimeOffset.UtcNow - now);
                return true;
            }

            if (source.NextDue is not null)
            {
                while (source.NextDue is { } due)
                {
                    var wait = started + due - DateTimeOffset.UtcNow;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
                    await SendNextAsync();
                }

                return count;
            }

            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / rateHz));
            while (await SendNextAsync())
            {
                if (!await timer.WaitForNextTickAsync(cancellationToken)) break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped on request.
        }

        return count;
    }

    /// <summary>A position on patrol, as a GNSS receiver with 5 m accuracy would give it.</summary>
    public static PositionUpdate Update(ulong sequence, DateTimeOffset at, double latitude, double longitude, double headingDeg, double speedMps) => new()
    {
        Sequence = sequence,
        GnssTime = Timestamp.FromDateTimeOffset(at),
        Latitude = latitude,
        Longitude = longitude,
        AccuracyM = 5,
        HeadingDeg = (float)headingDeg % 360,
        SpeedMps = (float)speedMps,
        Status = UnitStatus.OnPatrol,
    };
}
