using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Pairs;

public sealed class PairGrain(IJournal journal, TimeProvider time) : Grain, IPairGrain
{
    private PairId _id;
    private PairInfo? _pair;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = PairId.Parse(this.GetPrimaryKeyString());
        var last = await journal.ReadAsync(new JournalQuery(PairChanged.Kind) { Subject = _id.Value, Last = 1 }, cancellationToken);
        _pair = (last.SingleOrDefault()?.Event as PairChanged)?.Pair;
    }

    public Task<JournalRecord> Propose(UnitId us, UnitId mx, Identity by)
    {
        if (_pair is not null) throw new DomainConflictException($"pair {_id} already exists.");
        return RecordAsync(new PairInfo(_id, us, mx, PairState.Proposed, by.Name, by.Nation, null, null, time.GetUtcNow()));
    }

    public Task<JournalRecord> Accept(Identity by)
    {
        var pair = Existing();
        if (pair.State != PairState.Proposed)
            throw new DomainConflictException($"pair {_id} is {pair.State.ToString().ToLowerInvariant()}; only a proposed pair can be accepted.");
        if (by.Nation == pair.ProposedByNation)
        {
            throw new DomainPermissionException(
                $"pair {_id} was proposed by {pair.ProposedBy} of {pair.ProposedByNation}; the {pair.ProposedByNation.Other()} command must accept it.");
        }

        return RecordAsync(pair with { State = PairState.Active, AcceptedBy = by.Name, ChangedAt = time.GetUtcNow() });
    }

    public Task<JournalRecord> Dissolve(Identity by)
    {
        var pair = Existing();
        if (pair.State == PairState.Dissolved) throw new DomainConflictException($"pair {_id} is already dissolved.");
        return RecordAsync(pair with { State = PairState.Dissolved, DissolvedBy = by.Name, ChangedAt = time.GetUtcNow() });
    }

    private PairInfo Existing() => _pair ?? throw new DomainNotFoundException($"pair {_id} does not exist.");

    private async Task<JournalRecord> RecordAsync(PairInfo pair)
    {
        var record = await GrainFactory.SectorLog(pair.Sector).Append(new PairChanged(pair));
        _pair = pair;
        return record;
    }
}
