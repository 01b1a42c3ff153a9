using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Tests;

public sealed class IdTests
{
    [Fact]
    public void Unit_id_carries_nation_and_sector()
    {
        var id = UnitId.Parse("mx-tca-0101");
        Assert.Equal("MX-TCA-0101", id.ToString());
        Assert.Equal(Nation.MX, id.Nation);
        Assert.Equal(new SectorId("TCA"), id.Sector);
        Assert.Equal(Nation.US, UnitId.Parse("US-RGV-7").Nation);
        Assert.Equal(new SectorId("RGV"), UnitId.Parse("US-RGV-7").Sector);
    }

    [Theory]
    [InlineData("")]
    [InlineData("CA-TCA-0101")]
    [InlineData("US-TC-0101")]
    [InlineData("US-TCA-")]
    [InlineData("US-TCA-0101-2")]
    public void Malformed_unit_ids_are_rejected_with_the_field_named(string value)
    {
        var error = Assert.Throws<DomainValidationException>(() => UnitId.Parse(value));
        Assert.Equal("unit_id", error.Field);
    }

    [Fact]
    public void Pair_id_is_numbered_within_its_sector()
    {
        var id = PairId.Create(new SectorId("EPT"), 7);
        Assert.Equal("EPT-P0007", id.ToString());
        Assert.Equal(id, PairId.Parse("ept-p0007"));
        Assert.Equal(new SectorId("EPT"), id.Sector);
    }

    [Theory]
    [InlineData("urn:patrolhub:unit:US-TCA-0101", Nation.US, Role.Unit, "US-TCA-0101")]
    [InlineData("urn:patrolhub:command:MX:TCA", Nation.MX, Role.Command, "command:MX:TCA")]
    [InlineData("urn:patrolhub:joint", Nation.MX, Role.Joint, "joint:MX")]
    [InlineData("urn:patrolhub:reviewer:US", Nation.US, Role.Reviewer, "reviewer:US")]
    public void Identity_uris_are_read_with_the_issuers_nation(string uri, Nation issuer, Role role, string name)
    {
        Assert.True(Identity.TryParse(uri, issuer, out var identity, out var error), error);
        Assert.Equal(role, identity.Role);
        Assert.Equal(name, identity.Name);
        Assert.Equal(uri, identity.Uri);
    }

    [Fact]
    public void A_US_CA_cannot_mint_a_Mexican_unit()
    {
        Assert.False(Identity.TryParse("urn:patrolhub:unit:MX-TCA-0101", Nation.US, out _, out var error));
        Assert.Equal("identity MX-TCA-0101 belongs to MX but its certificate was issued by the US CA.", error);
    }
}
