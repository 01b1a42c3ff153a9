using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;

namespace PatrolHub.Grains.Units;

/// <summary>One patrol unit, keyed by its <see cref="Ids.UnitId"/>: its sequence, last position and pair. What is
/// addressed to it reaches its streams from its sector's log.</summary>
[Alias("patrolhub.unit")]
public interface IPatrolUnitGrain : IGrainWithStringKey
{
    /// <summary>The unit's recorded state, for a connecting app.</summary>
    [ReadOnly, AlwaysInterleave, Alias("status")]
    Task<UnitState> GetState();

    /// <summary>Records a position (durably) and shares it. A repeated sequence with the same content is
    /// acknowledged again without a second record.</summary>
    [Alias("report")]
    Task<PositionAck> Report(PositionReport report);

    /// <summary>Records as many of <paramref name="reports"/> as it can in one append: the longest run from the first
    /// that is valid and follows the last sequence. Returns their acknowledgements, in order; the caller sends the first
    /// one left over through <see cref="Report"/>, which acknowledges a repeat or says what is wrong.</summary>
    [Alias("report-many")]
    Task<IReadOnlyList<PositionAck>> ReportMany(IReadOnlyList<PositionReport> reports);

    /// <summary>Where along the boundary the unit last reported (km from the Pacific), for its partner's mirror drift.</summary>
    [ReadOnly, AlwaysInterleave, Alias("chainage")]
    Task<double?> Chainage();

    [Alias("pair-changed")]
    Task OnPairChanged(JournalRecord record);
}

[GenerateSerializer, Immutable]
public sealed record PositionAck([property: Id(0)] long Sequence, [property: Id(1)] long Cursor, [property: Id(2)] DateTimeOffset RecordedAt);

[GenerateSerializer, Immutable]
public sealed record UnitState([property: Id(0)] long LastSequence, [property: Id(1)] PairInfo? Pair, [property: Id(2)] JournalRecord? LastPosition);
