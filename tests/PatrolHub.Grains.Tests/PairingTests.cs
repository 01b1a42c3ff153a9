using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class PairingTests(ClusterFixture fixture)
{
    private static readonly SectorId Tca = new("TCA");
    private static readonly Identity UsCommand = new(Role.Command, Nation.US, Sector: Tca);
    private static readonly Identity MxCommand = new(Role.Command, Nation.MX, Sector: Tca);

    private Sectors.ISectorGrain Sector => fixture.Client.Sector(Tca);

    [Fact]
    public async Task Pair_becomes_active_when_the_other_nation_accepts()
    {
        var (us, mx) = Units();
        var proposed = await Sector.ProposePair(us, mx, UsCommand);
        Assert.Equal(PairState.Proposed, proposed.Pair.State);
        Assert.Null((await fixture.Client.Unit(us).GetState()).Pair);

        var accepted = await Sector.AcceptPair(proposed.Pair.Id, MxCommand);

        Assert.Equal(PairState.Active, accepted.Pair.State);
        Assert.Equal("command:US:TCA", accepted.Pair.ProposedBy);
        Assert.Equal("command:MX:TCA", accepted.Pair.AcceptedBy);
        Assert.Equal(proposed.Pair.Id, (await fixture.Client.Unit(us).GetState()).Pair?.Id);
        Assert.Equal(proposed.Pair.Id, (await fixture.Client.Unit(mx).GetState()).Pair?.Id);
    }

    [Fact]
    public async Task A_pair_of_two_units_of_one_nation_is_invalid()
    {
        var (us, _) = Units();
        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Sector.ProposePair(us, UnitId.Parse($"US-TCA-{Events.NextNumber()}"), UsCommand));
        Assert.Equal("mx_unit", error.Field);
    }

    [Fact]
    public async Task A_unit_of_another_sector_cannot_be_paired_here()
    {
        var (us, _) = Units();
        var error = await Assert.ThrowsAsync<DomainValidationException>(() => Sector.ProposePair(us, UnitId.Parse("MX-EPT-0101"), UsCommand));
        Assert.Contains("belongs to sector EPT, not TCA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nation_cannot_accept_its_own_proposal()
    {
        var (us, mx) = Units();
        var proposed = await Sector.ProposePair(us, mx, MxCommand);
        var error = await Assert.ThrowsAsync<DomainPermissionException>(() => Sector.AcceptPair(proposed.Pair.Id, new Identity(Role.Command, Nation.MX, Sector: Tca)));
        Assert.Contains("the US command must accept it", error.Message, StringComparison.Ordinal);
        Assert.Equal(PairState.Proposed, (await Sector.ListPairs(false)).Single(p => p.Pair.Id == proposed.Pair.Id).Pair.State);
    }

    [Fact]
    public async Task A_unit_is_in_at_most_one_active_pair()
    {
        var (us, mx) = Units();
        var first = await Sector.ProposePair(us, mx, UsCommand);
        var rival = await Sector.ProposePair(us, UnitId.Parse($"MX-TCA-{Events.NextNumber()}"), UsCommand);
        await Sector.AcceptPair(first.Pair.Id, MxCommand);

        var error = await Assert.ThrowsAsync<DomainConflictException>(() => Sector.AcceptPair(rival.Pair.Id, MxCommand));
        Assert.Equal($"{us} is already in active pair {first.Pair.Id}; dissolve it first.", error.Message);
        await Assert.ThrowsAsync<DomainConflictException>(() => Sector.ProposePair(us, UnitId.Parse($"MX-TCA-{Events.NextNumber()}"), UsCommand));
    }

    [Fact]
    public async Task Either_nation_may_dissolve_and_the_units_are_free_again()
    {
        var (us, mx) = Units();
        var pair = await Sector.ProposePair(us, mx, UsCommand);
        await Sector.AcceptPair(pair.Pair.Id, MxCommand);

        var dissolved = await Sector.DissolvePair(pair.Pair.Id, MxCommand);

        Assert.Equal(PairState.Dissolved, dissolved.Pair.State);
        Assert.Equal("command:MX:TCA", dissolved.Pair.DissolvedBy);
        Assert.Null((await fixture.Client.Unit(us).GetState()).Pair);
        await Assert.ThrowsAsync<DomainConflictException>(() => Sector.DissolvePair(pair.Pair.Id, UsCommand));
        Assert.Equal(PairState.Proposed, (await Sector.ProposePair(us, mx, UsCommand)).Pair.State);
    }

    [Fact]
    public async Task An_unknown_pair_is_not_found()
    {
        var error = await Assert.ThrowsAsync<DomainNotFoundException>(() => Sector.AcceptPair(PairId.Create(Tca, 9999), MxCommand));
        Assert.Equal("pair TCA-P9999 does not exist.", error.Message);
    }

    private static (UnitId Us, UnitId Mx) Units()
    {
        var n = Events.NextNumber();
        return (UnitId.Parse($"US-TCA-{n}"), UnitId.Parse($"MX-TCA-{n}"));
    }
}
