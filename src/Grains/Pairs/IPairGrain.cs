using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Pairs;

/// <summary>One mirrored pair's lifecycle, keyed by its <see cref="PairId"/>. Each step is journaled before it returns.
/// Called by its sector, which checks the rules that span pairs (one active pair per unit).</summary>
[Alias("patrolhub.pair")]
public interface IPairGrain : IGrainWithStringKey
{
    [Alias("propose")]
    Task<JournalRecord> Propose(UnitId us, UnitId mx, Identity by);

    [Alias("accept")]
    Task<JournalRecord> Accept(Identity by);

    [Alias("dissolve")]
    Task<JournalRecord> Dissolve(Identity by);
}
