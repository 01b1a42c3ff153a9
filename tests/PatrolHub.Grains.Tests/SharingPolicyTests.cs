using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Tests;

public sealed class SharingPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly Identity UsCommand = new(Role.Command, Nation.US, Sector: new SectorId("TCA"));
    private static readonly Identity MxCommand = new(Role.Command, Nation.MX, Sector: new SectorId("TCA"));
    private static readonly Identity UsReviewer = new(Role.Reviewer, Nation.US);
    private static readonly Identity MxJoint = new(Role.Joint, Nation.MX);

    [Fact]
    public void With_no_rule_a_nation_releases_nothing_but_its_own_see_everything()
    {
        var policy = new SharingPolicy();
        var record = Record(UnitId.Parse("MX-TCA-0001"));

        Assert.Null(policy.Release(UsCommand, record, Now));
        Assert.Null(policy.Release(UsReviewer, record, Now));
        Assert.Null(policy.Release(MxJoint, record, Now));
        Assert.Same(record, policy.Release(MxCommand, record, Now));
        Assert.Equal("US releases partner: withheld; commands: withheld; joint: withheld; reviewers: withheld. MX releases partner: withheld; commands: withheld; joint: withheld; reviewers: withheld.", policy.ToString());
    }

    [Fact]
    public void Reviewers_are_given_what_the_commands_are_unless_they_have_a_rule_of_their_own()
    {
        var policy = new SharingPolicy { MX = { Commands = new ReleaseTerms { Release = true, CoarsenMetres = 1000 } } };
        var record = Record(UnitId.Parse("MX-TCA-0001"));
        Assert.Equal(
            ((PositionRecorded)policy.Release(UsCommand, record, Now)!.Event).Report.Point,
            ((PositionRecorded)policy.Release(UsReviewer, record, Now)!.Event).Report.Point);

        policy.MX.Reviewers = new ReleaseTerms { Release = true };
        Assert.Same(record, policy.Release(UsReviewer, record, Now));
        policy.MX.Reviewers = new ReleaseTerms { Release = false };
        Assert.Null(policy.Release(UsReviewer, record, Now));
    }

    [Fact]
    public void Coarsening_snaps_every_point_of_a_cell_to_its_centre_and_delay_holds_a_position_back()
    {
        var a = SharingPolicy.Snap(new GeoPoint(31.3390, -110.8950), 1000);
        var b = SharingPolicy.Snap(new GeoPoint(31.3410, -110.8900), 1000);
        var far = SharingPolicy.Snap(new GeoPoint(31.3600, -110.9001), 1000);
        Assert.Equal(a, b);
        Assert.NotEqual(a, far);
        Assert.InRange(Math.Abs(a.Latitude - 31.3390) * 111_320, 0, 500);

        var policy = new SharingPolicy { MX = { Joint = new ReleaseTerms { Release = true, DelaySeconds = 30, WithholdMotion = true } } };
        var record = Record(UnitId.Parse("MX-TCA-0001"));
        Assert.Null(policy.Release(MxJoint, record, Now.AddSeconds(29)));
        var released = (PositionRecorded)policy.Release(MxJoint, record, Now.AddSeconds(30))!.Event;
        Assert.Equal((0f, 0f, 30), (released.Report.SpeedMps, released.Report.HeadingDeg, released.ReleasedUnder!.DelaySeconds));
    }

    [Theory]
    [InlineData("CoarsenMetres", -1, "Sharing:MX:Commands:CoarsenMetres must be between 0 (exact) and 100000; it is -1.")]
    [InlineData("DelaySeconds", 86_401, "Sharing:MX:Commands:DelaySeconds must be between 0 and 86400; it is 86401.")]
    public void A_policy_out_of_range_names_its_setting(string setting, int value, string error)
    {
        var terms = setting == "CoarsenMetres" ? new ReleaseTerms { Release = true, CoarsenMetres = value } : new ReleaseTerms { Release = true, DelaySeconds = value };
        Assert.Equal(error, new SharingPolicy { MX = { Commands = terms } }.Validate());
        Assert.Equal(
            "Sharing:US:Reviewers sets terms but not Sharing:US:Reviewers:Release; set it to true to release under them, or false to withhold.",
            new SharingPolicy { US = { Reviewers = new ReleaseTerms { CoarsenMetres = 500 } } }.Validate());
    }

    private static JournalRecord Record(UnitId unit) => new(1, Now, Events.Position(unit, 1));
}
