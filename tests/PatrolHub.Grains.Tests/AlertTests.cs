using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;

namespace PatrolHub.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class AlertTests(ClusterFixture fixture)
{
    private static readonly SectorId Drt = new("DRT");
    private static readonly Identity UsCommand = new(Role.Command, Nation.US, Sector: Drt);
    private static readonly Identity MxCommand = new(Role.Command, Nation.MX, Sector: Drt);
    private static readonly Identity Joint = new(Role.Joint, Nation.US);

    private Sectors.ISectorGrain Sector => fixture.Client.Sector(Drt);

    [Fact]
    public async Task An_alert_goes_through_every_step_of_its_life()
    {
        var watcher = await fixture.WatchAsync(Drt);
        var (us, mx) = await PairAsync();
        var raised = (await Sector.RaiseAlert(Report(Severity.High), Unit(mx), null)).Alert;
        Assert.Equal((AlertState.Raised, us, (UnitId?)mx), (raised.State, raised.Partner!.Value, raised.RaisedByUnit));

        var acknowledged = (await fixture.Client.Alert(raised.Id).Acknowledge(Unit(us))).Alert;
        var responding = (await fixture.Client.Alert(raised.Id).Respond(UsCommand)).Alert;
        var resolved = (await fixture.Client.Alert(raised.Id).Resolve(UsCommand, AlertOutcome.Apprehension)).Alert;

        Assert.Equal(AlertState.Acknowledged, acknowledged.State);
        Assert.Null(acknowledged.EscalatesAt);
        Assert.Equal(AlertState.Responding, responding.State);
        Assert.Equal((AlertState.Resolved, AlertOutcome.Apprehension, "command:US:DRT"), (resolved.State, resolved.Outcome, resolved.LastActor));
        foreach (var transition in new[] { AlertTransition.Raised, AlertTransition.Acknowledged, AlertTransition.Responding, AlertTransition.Resolved })
            Assert.Equal(transition, (await watcher.NextAsync<AlertChanged>(a => a.Alert.Id == raised.Id)).Transition);
        Assert.DoesNotContain(await Sector.ListAlerts(openOnly: true), a => a.Id == raised.Id);
        Assert.Equal(AlertState.Resolved, (await Sector.ListAlerts(openOnly: false)).Single(a => a.Id == raised.Id).State);
    }

    [Fact]
    public async Task Steps_out_of_order_are_refused_and_change_nothing()
    {
        var alert = (await Sector.RaiseAlert(Report(Severity.Low), MxCommand, null)).Alert;
        await fixture.Client.Alert(alert.Id).Resolve(MxCommand, AlertOutcome.FalseAlarm);

        var ack = await Assert.ThrowsAsync<DomainConflictException>(() => fixture.Client.Alert(alert.Id).Acknowledge(UsCommand));
        Assert.Equal($"alert {alert.Id} is resolved; it can be acknowledged only when raised.", ack.Message);
        await Assert.ThrowsAsync<DomainConflictException>(() => fixture.Client.Alert(alert.Id).Respond(UsCommand));
        Assert.Equal(AlertState.Resolved, (await fixture.Client.Alert(alert.Id).GetAlert()).State);
    }

    [Fact]
    public async Task Resolving_needs_an_outcome()
    {
        var alert = (await Sector.RaiseAlert(Report(Severity.Low), MxCommand, null)).Alert;
        var error = await Assert.ThrowsAsync<DomainValidationException>(() => fixture.Client.Alert(alert.Id).Resolve(UsCommand, null));
        Assert.Equal("outcome", error.Field);
        Assert.Equal(AlertState.Raised, (await fixture.Client.Alert(alert.Id).GetAlert()).State);
    }

    [Fact]
    public async Task Text_over_the_limit_and_bad_coordinates_are_invalid()
    {
        var text = await Assert.ThrowsAsync<DomainValidationException>(() => Sector.RaiseAlert(Report(Severity.Low) with { Text = new string('x', 501) }, UsCommand, null));
        Assert.Equal("text", text.Field);
        var direction = await Assert.ThrowsAsync<DomainValidationException>(() => Sector.RaiseAlert(Report(Severity.Low) with { DirectionDeg = 400 }, UsCommand, null));
        Assert.Equal("direction_deg", direction.Field);
    }

    [Fact]
    public async Task An_unknown_alert_is_not_found()
    {
        var error = await Assert.ThrowsAsync<DomainNotFoundException>(() => fixture.Client.Alert(AlertId.Create(Drt, 99999)).Acknowledge(UsCommand));
        Assert.Equal("alert DRT-A99999 does not exist.", error.Message);
    }

    [Fact]
    public async Task Only_recipients_and_the_sectors_commands_act_on_an_alert()
    {
        var (us, mx) = await PairAsync();
        var alert = (await Sector.RaiseAlert(Report(Severity.Medium), Unit(us), null)).Alert;
        var stranger = UnitId.Parse($"MX-DRT-{Events.NextNumber()}");
        await Assert.ThrowsAsync<DomainPermissionException>(() => fixture.Client.Alert(alert.Id).Acknowledge(Unit(stranger)));
        await Assert.ThrowsAsync<DomainPermissionException>(() => fixture.Client.Alert(alert.Id).Acknowledge(new Identity(Role.Command, Nation.US, Sector: new SectorId("EPT"))));
        Assert.Equal(AlertState.Acknowledged, (await fixture.Client.Alert(alert.Id).Acknowledge(Unit(mx))).Alert.State);
    }

    [Fact]
    public async Task A_units_alert_reaches_the_unit_and_its_partner_and_a_commands_alert_every_unit()
    {
        var (us, mx) = await PairAsync();
        var other = UnitId.Parse($"US-DRT-{Events.NextNumber()}");
        var watchers = new Dictionary<UnitId, RecordingObserver>();
        foreach (var unit in new[] { us, mx, other }) watchers[unit] = await fixture.WatchAsync(unit);

        var fromUnit = (await Sector.RaiseAlert(Report(Severity.High), Unit(mx), null)).Alert;
        Assert.Equal(fromUnit.Id, (await watchers[us].NextAsync<AlertChanged>()).Alert.Id);
        Assert.Equal(fromUnit.Id, (await watchers[mx].NextAsync<AlertChanged>()).Alert.Id);

        var fromCommand = (await Sector.RaiseAlert(Report(Severity.Low), UsCommand, null)).Alert;
        foreach (var unit in new[] { us, mx })
            Assert.Equal(fromCommand.Id, (await watchers[unit].NextAsync<AlertChanged>(a => a.Alert.Id == fromCommand.Id)).Alert.Id);
        // The sector hands out alerts in order, so anything of the unit's alert for the third unit would come first.
        Assert.Equal(fromCommand.Id, (await watchers[other].NextAsync<AlertChanged>()).Alert.Id);
    }

    [Fact]
    public async Task An_unacknowledged_alert_climbs_to_critical_and_the_joint_centre_then_stops()
    {
        var watcher = await fixture.WatchAsync(Drt);
        var alert = (await Sector.RaiseAlert(Report(Severity.Low), UsCommand, null)).Alert;
        await watcher.NextAsync<AlertChanged>(a => a.Alert.Id == alert.Id);

        fixture.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(Severity.Low, (await fixture.Client.Alert(alert.Id).GetAlert()).Severity);
        var steps = new List<(Severity, bool, int)>();
        foreach (var wait in new[] { 1, 120, 60 })
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(wait));
            var escalated = await watcher.NextAsync<AlertChanged>(a => a.Alert.Id == alert.Id);
            Assert.Equal(AlertTransition.Escalated, escalated.Transition);
            steps.Add((escalated.Alert.Severity, escalated.Alert.JointCentre, escalated.Alert.Escalations));
        }

        Assert.Equal([(Severity.Medium, true, 1), (Severity.High, true, 2), (Severity.Critical, true, 3)], steps);
        Assert.Null((await fixture.Client.Alert(alert.Id).GetAlert()).EscalatesAt);
    }

    [Fact]
    public async Task An_acknowledged_alert_does_not_escalate_but_expires_unresolved()
    {
        var watcher = await fixture.WatchAsync(Drt);
        var alert = (await Sector.RaiseAlert(Report(Severity.Critical), MxCommand, null)).Alert;
        await fixture.Client.Alert(alert.Id).Acknowledge(UsCommand);

        fixture.Time.Advance(TimeSpan.FromHours(8));
        var expired = await watcher.NextAsync<AlertChanged>(a => a.Alert.Id == alert.Id && a.Transition is not (AlertTransition.Raised or AlertTransition.Acknowledged));
        Assert.Equal((AlertTransition.Expired, AlertState.Expired, 0), (expired.Transition, expired.Alert.State, expired.Alert.Escalations));
    }

    private async Task<(UnitId Us, UnitId Mx)> PairAsync()
    {
        var (us, mx, _) = await fixture.PairAsync(Drt);
        return (us, mx);
    }

    private static Identity Unit(UnitId unit) => new(Role.Unit, unit.Nation, Unit: unit);

    internal static AlertReport Report(Severity severity) =>
        new(AlertKind.HumanSmuggling, severity, new GeoPoint(29.30, -100.95), 10, "group of eight heading north");
}
