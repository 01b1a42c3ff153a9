using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Journal;

/// <summary>The kinds of record the journal stores; queries name only these.</summary>
public static class JournalKinds
{
    public static readonly HashSet<string> All = [PositionRecorded.Kind, PairChanged.Kind, AlertChanged.Kind, DriftWarning.Kind, Security.SecurityEvent.Kind];
}
