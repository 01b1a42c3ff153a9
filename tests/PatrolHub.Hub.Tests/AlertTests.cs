using System.Diagnostics;
using Google.Rpc;
using Grpc.Core;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class AlertTests(HubFixture hub)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_units_alert_reaches_its_partner_and_both_commands_and_the_joint_centre_only_once_escalated()
    {
        var (us, mx) = Units.NextPair("BBT");
        await Units.PairAsync(hub, us, mx, "BBT");
        await using var usUnit = await ConnectedUnit.ConnectAsync(hub, us);
        await using var mxUnit = await ConnectedUnit.ConnectAsync(hub, mx);
        var usCommand = Watch(IdentitySpec.Command("US", "BBT"));
        var mxCommand = Watch(IdentitySpec.Command("MX", "BBT"));
        var joint = Watch(IdentitySpec.Joint("US"));
        foreach (var watch in new[] { usCommand, mxCommand, joint }) await NextAsync(watch, u => u.Snapshot is not null);

        var started = Stopwatch.GetTimestamp();
        var reply = await mxUnit.Session.RaiseAlertAsync(Raise("BBT", Severity.High, 29.10, -103.05));
        Assert.Equal(0, reply.Code);
        var atPartner = await usUnit.NextAsync(m => m.Alert is not null);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1));
        Assert.Equal((reply.Alert.AlertId, "raised", mx), (atPartner.Alert.AlertId, atPartner.Alert.Transition, atPartner.Alert.RaisedBy));
        Assert.Equal(us, atPartner.Alert.PartnerUnit);
        foreach (var watch in new[] { usCommand, mxCommand })
            Assert.Equal(reply.Alert.AlertId, (await NextAsync(watch, u => u.Alert is not null)).Alert.AlertId);

        var ack = await usUnit.Session.AlertActionAsync(reply.Alert.AlertId, AlertAction.Types.Kind.Acknowledge);
        Assert.Equal(AlertState.Acknowledged, ack.Alert.State);
        Assert.Equal(AlertState.Acknowledged, (await mxUnit.NextAsync(m => m.Alert?.Transition == "acknowledged")).Alert.State);

        // A command's CRITICAL alert left unacknowledged escalates; it is the first alert the joint centre sees.
        using var commandChannel = hub.Channel(IdentitySpec.Command("US", "BBT"));
        var critical = await new CommandService.CommandServiceClient(commandChannel).RaiseAlertAsync(Raise("BBT", Severity.Critical, 29.15, -103.10));
        var escalated = await NextAsync(joint, u => u.Alert is not null);
        Assert.Equal((critical.AlertId, "escalated", true), (escalated.Alert.AlertId, escalated.Alert.Transition, escalated.Alert.JointCentre));
        var after = escalated.Alert.ChangedAt.ToDateTimeOffset() - escalated.Alert.RaisedAt.ToDateTimeOffset();
        Assert.InRange(after, HubFixture.CriticalDeadline, HubFixture.CriticalDeadline + TimeSpan.FromSeconds(1));
        Assert.Equal("raised", (await usUnit.NextAsync(m => m.Alert?.AlertId == critical.AlertId)).Alert.Transition);
    }

    [Fact]
    public async Task A_refused_alert_request_on_the_stream_leaves_the_stream_open()
    {
        var (us, _) = Units.NextPair("BBT");
        await using var unit = await ConnectedUnit.ConnectAsync(hub, us);

        var unknown = await unit.Session.AlertActionAsync("BBT-A99999", AlertAction.Types.Kind.Acknowledge);
        var elsewhere = await unit.Session.RaiseAlertAsync(Raise("EPT", Severity.Low, 31.7, -106.4));

        Assert.Equal(((int)StatusCode.NotFound, "alert BBT-A99999 does not exist."), (unknown.Code, unknown.Message));
        Assert.Equal((int)StatusCode.PermissionDenied, elsewhere.Code);
        Assert.Equal(1ul, (await unit.Session.SendAsync(Units.Position(1, 29.2, -103.2))).Sequence);
    }

    [Fact]
    public async Task Bad_alert_requests_get_the_right_status_and_change_nothing()
    {
        var (us, _) = Units.NextPair("TCA");
        using var unit = hub.Channel(IdentitySpec.Unit(us));
        using var command = hub.Channel(IdentitySpec.Command("MX", "TCA"));
        var asUnit = new CommandService.CommandServiceClient(unit);
        var asCommand = new CommandService.CommandServiceClient(command);

        var elsewhere = await Assert.ThrowsAsync<RpcException>(() => asUnit.RaiseAlertAsync(Raise("EPT", Severity.High, 31.7, -106.4)).ResponseAsync);
        Assert.Equal((StatusCode.PermissionDenied, $"{us} may not raise an alert in EPT; a unit raises alerts only in its own sector, TCA."), (elsewhere.StatusCode, elsewhere.Status.Detail));

        var tooLong = Raise("TCA", Severity.High, 31.3, -110.9);
        tooLong.Text = new string('x', 501);
        var text = await Assert.ThrowsAsync<RpcException>(() => asUnit.RaiseAlertAsync(tooLong).ResponseAsync);
        Assert.Equal("text", text.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Single().Field);

        var offMap = await Assert.ThrowsAsync<RpcException>(() => asUnit.RaiseAlertAsync(Raise("TCA", Severity.High, 120, -110.9)).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, offMap.StatusCode);
        var noKind = Raise("TCA", Severity.High, 31.3, -110.9);
        noKind.Kind = AlertKind.Unspecified;
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => asUnit.RaiseAlertAsync(noKind).ResponseAsync)).StatusCode);

        var alert = await asCommand.RaiseAlertAsync(Raise("TCA", Severity.Low, 31.3, -110.9));
        var noOutcome = await Assert.ThrowsAsync<RpcException>(() => asCommand.ResolveAlertAsync(new ResolveAlertRequest { AlertId = alert.AlertId }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noOutcome.StatusCode);
        await asCommand.ResolveAlertAsync(new ResolveAlertRequest { AlertId = alert.AlertId, Outcome = AlertOutcome.FalseAlarm });
        var late = await Assert.ThrowsAsync<RpcException>(() => asCommand.AcknowledgeAlertAsync(new AlertRequest { AlertId = alert.AlertId }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => asCommand.AcknowledgeAlertAsync(new AlertRequest { AlertId = "TCA-A99999" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        var listed = await asCommand.ListAlertsAsync(new ListAlertsRequest { Sector = "TCA" });
        Assert.Equal((AlertState.Resolved, AlertOutcome.FalseAlarm), listed.Alerts.Where(a => a.AlertId == alert.AlertId).Select(a => (a.State, a.Outcome)).Single());
    }

    [Fact]
    public async Task Every_step_of_an_alert_is_a_span_of_the_trace_its_raise_started()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "PatrolHub",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans) spans.Add(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);
        var (us, mx) = Units.NextPair("ELC");
        await Units.PairAsync(hub, us, mx, "ELC");
        await using var partner = await ConnectedUnit.ConnectAsync(hub, us);
        await using var raiser = await ConnectedUnit.ConnectAsync(hub, mx);

        var raised = await raiser.Session.RaiseAlertAsync(Raise("ELC", Severity.Medium, 32.60, -115.40));
        await partner.NextAsync(m => m.Alert is not null);
        await partner.Session.AlertActionAsync(raised.Alert.AlertId, AlertAction.Types.Kind.Acknowledge);
        await partner.NextAsync(m => m.Alert?.Transition == "acknowledged");

        List<Activity> ofAlert;
        lock (spans) ofAlert = [.. spans.Where(s => (string?)s.GetTagItem("patrolhub.alert") == raised.Alert.AlertId)];
        Assert.Equal(raised.Alert.TraceParent.Split('-')[1], ofAlert.Single(s => s.OperationName == "alert.raise").TraceId.ToHexString());
        Assert.Superset(new HashSet<string> { "alert.raise", "alert.record", "alert.deliver", "alert.acknowledged" }, ofAlert.Select(s => s.OperationName).ToHashSet());
        Assert.Single(ofAlert.Select(s => s.TraceId).Distinct());
    }

    private IAsyncEnumerator<SectorUpdate> Watch(IdentitySpec identity) =>
        new SectorWatch(hub.Channel(identity), identity.Uri.EndsWith("joint", StringComparison.Ordinal) ? "BBT" : identity.Uri[^3..]).WatchAsync().GetAsyncEnumerator();

    private static async Task<SectorUpdate> NextAsync(IAsyncEnumerator<SectorUpdate> watch, Func<SectorUpdate, bool> match)
    {
        while (true)
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Timeout));
            if (match(watch.Current)) return watch.Current;
        }
    }

    internal static RaiseAlertRequest Raise(string sector, Severity severity, double latitude, double longitude) => new()
    {
        Sector = sector,
        Kind = AlertKind.HumanSmuggling,
        Severity = severity,
        Latitude = latitude,
        Longitude = longitude,
        DirectionDeg = 10,
        Text = "group of eight heading north",
    };
}
