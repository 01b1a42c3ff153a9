using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Pairs;

namespace PatrolHub.Grains.Sectors;

/// <summary>Decides when a pair's mirror drift has stayed above the threshold long enough to warn, and when it has
/// come back. Fed every drift measurement with the time it was recorded.</summary>
public sealed class DriftWatch(SectorOptions options)
{
    private readonly Dictionary<PairId, (DateTimeOffset Since, bool Warned)> _above = [];

    /// <summary>The warning to record for this measurement, if any.</summary>
    public DriftWarning? Observe(PairInfo pair, double driftKm, DateTimeOffset at)
    {
        if (driftKm > options.DriftThresholdKm)
        {
            if (!_above.TryGetValue(pair.Id, out var state)) _above[pair.Id] = state = (at, false);
            var above = at - state.Since;
            if (state.Warned || above < options.DriftDuration) return null;
            _above[pair.Id] = (state.Since, true);
            return new DriftWarning(pair, driftKm, options.DriftThresholdKm, above, Cleared: false);
        }

        if (_above.Remove(pair.Id, out var was) && was.Warned)
            return new DriftWarning(pair, driftKm, options.DriftThresholdKm, at - was.Since, Cleared: true);
        return null;
    }

    public void Forget(PairId pair) => _above.Remove(pair);
}
