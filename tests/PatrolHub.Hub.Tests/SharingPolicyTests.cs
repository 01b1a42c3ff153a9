using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Security;
using PatrolHub.Hub.Security;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>
/// Each nation's sharing policy, on a hub of its own: Mexico coarsens its units to 1 km and withholds their motion for
/// U.S. commands (and so for U.S. reviewers), hides unpaired units from the joint centre; the U.S. withholds alert text
/// from Mexican commands, gives the joint centre its positions a second late, and releases nothing to partners or to
/// Mexican reviewers.
/// </summary>
public sealed class SharingPolicyTests : IAsyncLifetime
{
    private const double MetresPerDegree = 111_320;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly HubFixture _hub = new("sharing", new Dictionary<string, string>
    {
        ["Sharing:MX:Commands:CoarsenMetres"] = "1000",
        ["Sharing:MX:Commands:WithholdMotion"] = "true",
        ["Sharing:MX:Joint:HiddenWhenUnpaired"] = "true",
        ["Sharing:US:Commands:WithholdText"] = "true",
        ["Sharing:US:Joint:DelaySeconds"] = "1",
        ["Sharing:US:Partner:Release"] = "false",
        ["Sharing:US:Reviewers:Release"] = "false",
    });

    public Task InitializeAsync() => _hub.InitializeAsync();

    public Task DisposeAsync() => _hub.DisposeAsync();

    [Fact]
    public async Task A_reviewer_asking_by_name_for_units_the_other_nation_shares_nothing_of_is_refused_and_told_whose_policy_it_is()
    {
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(_hub, us, mx);
        await using (var usUnit = await ConnectedUnit.ConnectAsync(_hub, us))
        {
            await usUnit.Session.SendAsync(Units.Position(1, 31.35));
        }

        using var channel = _hub.Channel(IdentitySpec.Reviewer("MX"));
        var review = new ReviewService.ReviewServiceClient(channel);
        ReplayRequest Replay(params string[] units) => new()
        {
            Sector = "TCA", From = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-5)), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(1)),
            Units = { units }, Kinds = { EventKind.Position },
        };

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = review.Replay(Replay(us));
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("US's sharing policy releases nothing of its units to reviewer:MX", refused.Status.Detail, StringComparison.Ordinal);

        // Asked for the sector as a whole, or for its own nation's units, the reviewer is answered with what was shared.
        foreach (var request in new[] { Replay(), Replay(mx) })
        {
            using var call = review.Replay(request);
            while (await call.ResponseStream.MoveNext().WaitAsync(Timeout))
                Assert.DoesNotContain(call.ResponseStream.Current.Events, e => e.Position?.UnitId == us);
        }
    }

    [Fact]
    public async Task US_commands_and_reviewers_see_Mexican_units_on_a_1_km_grid_while_their_partners_see_them_exactly()
    {
        var from = DateTimeOffset.UtcNow;
        const string us = "US-TCA-0301", mx = "MX-TCA-0301";
        await PairAsync(us, mx);
        using var usCommandChannel = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        using var mxCommandChannel = _hub.Channel(IdentitySpec.Command("MX", "TCA"));
        var usCommand = new CommandService.CommandServiceClient(usCommandChannel);
        using var usWatch = await WatchAsync(usCommand);
        using var mxWatch = await WatchAsync(new CommandService.CommandServiceClient(mxCommandChannel));
        await using var usUnit = await ConnectedUnit.ConnectAsync(_hub, us);
        await using var mxUnit = await ConnectedUnit.ConnectAsync(_hub, mx);

        await mxUnit.Session.SendAsync(Units.Position(1, 31.3456, -110.9123));
        await usUnit.Session.SendAsync(Units.Position(1, 31.3501, -110.9101));

        var atPartner = (await usUnit.NextAsync(m => m.PartnerPosition is not null)).PartnerPosition;
        Assert.Equal((31.3456, -110.9123, 3f, 90f, null), (atPartner.Latitude, atPartner.Longitude, atPartner.SpeedMps, atPartner.HeadingDeg, atPartner.ReleasedUnder));
        var atMxCommand = await NextPositionAsync(mxWatch, mx);
        Assert.Equal((31.3456, -110.9123, 3f, null), (atMxCommand.Latitude, atMxCommand.Longitude, atMxCommand.SpeedMps, atMxCommand.ReleasedUnder));

        var atUsCommand = await NextPositionAsync(usWatch, mx);
        AssertOnGrid(atUsCommand, 31.3456, -110.9123, 1000);
        Assert.Equal((0f, 0f, true), (atUsCommand.SpeedMps, atUsCommand.HeadingDeg, atUsCommand.ReleasedUnder.MotionWithheld));
        Assert.True(atUsCommand.AccuracyM >= 1000);
        var ownUnit = await NextPositionAsync(usWatch, us);
        Assert.Equal((31.3501, -110.9101, null), (ownUnit.Latitude, ownUnit.Longitude, ownUnit.ReleasedUnder));
        var grid = (atUsCommand.Latitude, atUsCommand.Longitude);

        var status = await usCommand.GetSectorAsync(new GetSectorRequest { Sector = "TCA" });
        Assert.Equal(grid, status.Units.Where(u => u.UnitId == mx).Select(u => (u.Latitude, u.Longitude)).Single());

        // U.S. reviewers are given what U.S. commands were; Mexico's reviewers see their own units exactly.
        var to = DateTimeOffset.UtcNow.AddSeconds(1);
        var usReplay = await ReplayAsync("US", from, to);
        Assert.Equal([grid], usReplay.Where(p => p.UnitId == mx).Select(p => (p.Latitude, p.Longitude)));
        Assert.Equal([(31.3501, -110.9101)], usReplay.Where(p => p.UnitId == us).Select(p => (p.Latitude, p.Longitude)));
        Assert.Equal([(31.3456, -110.9123)], (await ReplayAsync("MX", from, to)).Where(p => p.UnitId == mx).Select(p => (p.Latitude, p.Longitude)));

        using var usReviewer = _hub.Channel(IdentitySpec.Reviewer("US"));
        var review = new ReviewService.ReviewServiceClient(usReviewer);
        var at = await review.SectorAtAsync(new SectorAtRequest { Sector = "TCA", Time = Timestamp.FromDateTimeOffset(to) });
        Assert.Equal(grid, at.Units.Where(u => u.UnitId == mx).Select(u => (u.Latitude, u.Longitude)).Single());
        var csv = await ExportAsync(review, ExportFormat.Csv, from, to);
        var geoJson = await ExportAsync(review, ExportFormat.Geojson, from, to);
        foreach (var export in new[] { csv, geoJson })
        {
            Assert.Contains(grid.Latitude.ToString(CultureInfo.InvariantCulture), export, StringComparison.Ordinal);
            Assert.DoesNotContain("31.3456", export, StringComparison.Ordinal);
            Assert.DoesNotContain("-110.9123", export, StringComparison.Ordinal);
        }

        // Each nation's release log holds what it gave the other: Mexico's shows the U.S. command's watch.
        var mxReleases = await AuditAsync("MX", e => e.Action == "released" && e.Subject == "command:US:TCA" && e.Detail.Contains("by watch", StringComparison.Ordinal));
        Assert.Contains("records of MX units in TCA", mxReleases.Detail, StringComparison.Ordinal);
        Assert.Contains("coarsened to 1000 m, speed and heading withheld", mxReleases.Detail, StringComparison.Ordinal);
        await AuditAsync("MX", e => e.Action == "released" && e.Subject == "reviewer:US" && e.Detail.Contains("by export", StringComparison.Ordinal));
        Assert.DoesNotContain(await AuditEventsAsync("US"), e => e.Action == "released" && e.Subject == "command:US:TCA");
    }

    [Fact]
    public async Task Alert_text_the_US_withholds_does_not_reach_Mexican_commands()
    {
        using var usChannel = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        using var mxChannel = _hub.Channel(IdentitySpec.Command("MX", "TCA"));
        var raised = await new CommandService.CommandServiceClient(usChannel).RaiseAlertAsync(new RaiseAlertRequest
        {
            RequestId = "withheld-text", Sector = "TCA", Kind = AlertKind.Vehicle, Severity = Severity.Low, Latitude = 31.33, Longitude = -110.9,
            Text = "white pickup, plates 7ABC123",
        });
        Assert.Equal("white pickup, plates 7ABC123", raised.Text);

        var listed = await new CommandService.CommandServiceClient(mxChannel).ListAlertsAsync(new ListAlertsRequest { Sector = "TCA" });
        var atMx = listed.Alerts.Single(a => a.AlertId == raised.AlertId);
        Assert.Equal(("", true), (atMx.Text, atMx.ReleasedUnder.TextWithheld));
        var acknowledged = await new CommandService.CommandServiceClient(mxChannel).AcknowledgeAlertAsync(new AlertRequest { AlertId = raised.AlertId });
        Assert.Equal("", acknowledged.Text);
    }

    [Fact]
    public async Task What_no_rule_releases_is_not_released_and_cannot_be_acted_on()
    {
        const string us = "US-TCA-0305", mx = "MX-TCA-0305";
        await PairAsync(us, mx);
        await using var usUnit = await ConnectedUnit.ConnectAsync(_hub, us);
        await using var mxUnit = await ConnectedUnit.ConnectAsync(_hub, mx);

        await usUnit.Session.SendAsync(Units.Position(1, 31.36, -110.95));
        var usAlert = await usUnit.Session.RaiseAlertAsync(new RaiseAlertRequest
        {
            RequestId = "us-partner", Sector = "TCA", Kind = AlertKind.Tunnel, Severity = Severity.Low, Latitude = 31.34, Longitude = -110.95,
        });
        await mxUnit.Session.SendAsync(Units.Position(1, 31.30, -110.95));
        using var mxChannel = _hub.Channel(IdentitySpec.Command("MX", "TCA"));
        var marker = await new CommandService.CommandServiceClient(mxChannel).RaiseAlertAsync(new RaiseAlertRequest
        {
            RequestId = "marker", Sector = "TCA", Kind = AlertKind.Other, Severity = Severity.Low, Latitude = 31.34, Longitude = -110.95,
        });

        // The U.S. releases nothing to partners: its unit's position and alert never reach the Mexican partner, whose
        // first event is its own command's alert; the other way round is released exactly.
        var first = await mxUnit.NextAsync(m => m.BodyCase != HubMessage.BodyOneofCase.Pair);
        Assert.Equal(marker.AlertId, first.Alert?.AlertId);
        Assert.Equal(mx, (await usUnit.NextAsync(m => m.PartnerPosition is not null)).PartnerPosition.UnitId);
        var act = await mxUnit.Session.AlertActionAsync(usAlert.Alert.AlertId, AlertAction.Types.Kind.Acknowledge);
        Assert.Equal(((int)StatusCode.PermissionDenied, $"{mx} may not act on alert {usAlert.Alert.AlertId}; US's sharing policy withholds its alerts from {mx}."), (act.Code, act.Message));
    }

    [Fact]
    public async Task The_joint_centre_is_not_given_an_unpaired_Mexican_unit()
    {
        using var joint = _hub.Channel(IdentitySpec.Joint("US"));
        using var watch = await WatchAsync(new CommandService.CommandServiceClient(joint));
        await using var mxUnit = await ConnectedUnit.ConnectAsync(_hub, "MX-TCA-0302");
        await using var usUnit = await ConnectedUnit.ConnectAsync(_hub, "US-TCA-0302");

        await mxUnit.Session.SendAsync(Units.Position(1, 31.30, -110.95));
        await usUnit.Session.SendAsync(Units.Position(1, 31.36, -110.95));

        // In log order the Mexican position came first: the joint centre's first position is the U.S. one.
        var first = await NextAsync(watch, u => u.Position is not null);
        Assert.Equal("US-TCA-0302", first.Position.UnitId);
        var status = await new CommandService.CommandServiceClient(joint).GetSectorAsync(new GetSectorRequest { Sector = "TCA" });
        Assert.DoesNotContain(status.Units, u => u.UnitId == "MX-TCA-0302");
    }

    [Fact]
    public async Task Delayed_positions_come_in_their_own_lane_once_the_delay_has_passed_and_resume_exactly()
    {
        const string us = "US-TCA-0304";
        using var joint = _hub.Channel(IdentitySpec.Joint("MX"));
        var watch = new Client.Sectors.SectorWatch(joint, "TCA");
        await using var unit = await ConnectedUnit.ConnectAsync(_hub, us);
        using (var stop = new CancellationTokenSource())
        {
            await using var updates = watch.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);
            Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Timeout));
            Assert.NotNull(updates.Current.Snapshot);

            await unit.Session.SendAsync(Units.Position(1, 31.36, -110.95));
            Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Timeout));
            var first = updates.Current;
            var late = DateTimeOffset.UtcNow - first.Position.RecordedAt.ToDateTimeOffset();
            Assert.Equal((us, 1ul, true, 1u), (first.Position.UnitId, first.Position.Sequence, first.Delayed, first.Position.ReleasedUnder.DelayedS));
            Assert.InRange(late, TimeSpan.FromSeconds(1), Timeout);
            Assert.Equal(first.DelayedCursor, watch.DelayedCursor);
            await stop.CancelAsync();
        }

        // While nobody watches, two more are recorded; resuming from both cursors gives exactly those two.
        await unit.Session.SendAsync(Units.Position(2, 31.361, -110.95));
        await unit.Session.SendAsync(Units.Position(3, 31.362, -110.95));
        var resumed = new Client.Sectors.SectorWatch(joint, "TCA", watch.Cursor, watch.DelayedCursor);
        using var after = new CancellationTokenSource();
        var sequences = new List<ulong>();
        await foreach (var update in resumed.WatchAsync(after.Token).WithCancellation(after.Token))
        {
            Assert.Null(update.Snapshot);
            sequences.Add(update.Position.Sequence);
            if (sequences.Count == 2) break;
        }

        Assert.Equal([2ul, 3ul], sequences);
    }

    [Fact]
    public async Task A_policy_change_takes_effect_without_a_restart_and_is_audited_and_an_invalid_one_is_refused()
    {
        await ChangePolicyAsync("""{ "Sharing": { "MX": { "Commands": { "CoarsenMetres": 5000 } } } }""", p => p.MX.Commands.CoarsenMetres == 5000);
        var changed = await AuditAsync("US", e => e.Action == "sharing-policy" && e.Detail.Contains("5000", StringComparison.Ordinal));
        Assert.Contains("MX releases partner: exact; commands: coarsened to 5000 m, speed and heading withheld;", changed.Detail, StringComparison.Ordinal);

        await ChangePolicyAsync("""{ "Sharing": { "MX": { "Commands": { "CoarsenMetres": 5000, "DelaySeconds": -60 } } } }""", p => p.MX.Commands.DelaySeconds == -60);
        var refused = await AuditAsync("MX", e => e.Action == "sharing-policy-refused");
        Assert.Contains("Sharing:MX:Commands:DelaySeconds must be between 0 and 86400; it is -60.", refused.Detail, StringComparison.Ordinal);

        await using var mxUnit = await ConnectedUnit.ConnectAsync(_hub, "MX-TCA-0303");
        await mxUnit.Session.SendAsync(Units.Position(1, 31.3456, -110.9123));
        using var channel = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        var status = await new CommandService.CommandServiceClient(channel).GetSectorAsync(new GetSectorRequest { Sector = "TCA" });
        var position = status.Units.Single(u => u.UnitId == "MX-TCA-0303");
        AssertOnGrid(position, 31.3456, -110.9123, 5000);
    }

    /// <summary>Writes DATA/sharing.json and waits for the hub to read it; the hub's own listener, registered first,
    /// has taken the change by then.</summary>
    private async Task ChangePolicyAsync(string json, Func<SharingPolicy, bool> read)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = _hub.App.Services.GetRequiredService<IOptionsMonitor<SharingPolicy>>().OnChange(p =>
        {
            if (read(p)) changed.TrySetResult();
        });
        await File.WriteAllTextAsync(Path.Combine(_hub.DataPath, Releases.FileName), json);
        await changed.Task.WaitAsync(Timeout);
    }

    /// <summary>The point is the centre of its cell in a grid <paramref name="metres"/> wide, within half a cell of
    /// where the unit was, and says so.</summary>
    private static void AssertOnGrid(Position position, double latitude, double longitude, int metres)
    {
        var rowDegrees = metres / MetresPerDegree;
        var columnDegrees = metres / (MetresPerDegree * Math.Cos(position.Latitude * Math.PI / 180));
        Assert.Equal(0.5, Fraction(position.Latitude / rowDegrees), 3);
        Assert.Equal(0.5, Fraction(position.Longitude / columnDegrees), 3);
        Assert.InRange(Math.Abs(position.Latitude - latitude), 0, rowDegrees / 2);
        Assert.InRange(Math.Abs(position.Longitude - longitude), 0, columnDegrees / 2);
        Assert.NotEqual((latitude, longitude), (position.Latitude, position.Longitude));
        Assert.Equal((uint)metres, position.ReleasedUnder.CoarsenedToM);

        static double Fraction(double x) => x - Math.Floor(x);
    }

    private async Task PairAsync(string us, string mx)
    {
        using var usChannel = _hub.Channel(IdentitySpec.Command("US", "TCA"));
        using var mxChannel = _hub.Channel(IdentitySpec.Command("MX", "TCA"));
        var proposed = await new CommandService.CommandServiceClient(usChannel).ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = mx });
        await new CommandService.CommandServiceClient(mxChannel).AcceptPairAsync(new PairRequest { PairId = proposed.PairId });
    }

    private static async Task<AsyncServerStreamingCall<SectorUpdate>> WatchAsync(CommandService.CommandServiceClient client)
    {
        var call = client.WatchSector(new WatchSectorRequest { Sector = "TCA" });
        await NextAsync(call, u => u.Snapshot is not null);
        return call;
    }

    private static async Task<SectorUpdate> NextAsync(AsyncServerStreamingCall<SectorUpdate> call, Func<SectorUpdate, bool> match)
    {
        while (true)
        {
            Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Timeout));
            if (match(call.ResponseStream.Current)) return call.ResponseStream.Current;
        }
    }

    private static async Task<Position> NextPositionAsync(AsyncServerStreamingCall<SectorUpdate> call, string unit) =>
        (await NextAsync(call, u => u.Position?.UnitId == unit)).Position;

    private async Task<List<Position>> ReplayAsync(string nation, DateTimeOffset from, DateTimeOffset to)
    {
        using var channel = _hub.Channel(IdentitySpec.Reviewer(nation));
        using var call = new ReviewService.ReviewServiceClient(channel).Replay(new ReplayRequest
        {
            Sector = "TCA", From = Timestamp.FromDateTimeOffset(from), To = Timestamp.FromDateTimeOffset(to), Kinds = { EventKind.Position },
        });
        var positions = new List<Position>();
        while (await call.ResponseStream.MoveNext().WaitAsync(Timeout)) positions.AddRange(call.ResponseStream.Current.Events.Select(e => e.Position));
        return positions;
    }

    private static async Task<string> ExportAsync(ReviewService.ReviewServiceClient review, ExportFormat format, DateTimeOffset from, DateTimeOffset to)
    {
        using var call = review.Export(new ExportRequest { Sector = "TCA", From = Timestamp.FromDateTimeOffset(from), To = Timestamp.FromDateTimeOffset(to), Format = format });
        using var text = new MemoryStream();
        while (await call.ResponseStream.MoveNext().WaitAsync(Timeout)) call.ResponseStream.Current.Data.WriteTo(text);
        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>The first event of the nation's security log that matches, read again until there is one: what the test
    /// waits on (a policy change, say) may reach the test before the hub has gathered its audit event.</summary>
    private async Task<AuditEvent> AuditAsync(string nation, Func<AuditEvent, bool> match)
    {
        List<AuditEvent> events = [];
        await Poll.UntilAsync(async () => (events = await AuditEventsAsync(nation)).Any(match), Timeout,
            () => $"no matching event among: {string.Join("; ", events.Select(e => $"{e.Action} {e.Detail}"))}");
        return events.First(match);
    }

    /// <summary>The nation's security log as its reviewer reads it, once what the hub gathered is recorded.</summary>
    private async Task<List<AuditEvent>> AuditEventsAsync(string nation)
    {
        await _hub.App.Services.GetRequiredService<SecurityAudit>().FlushAsync().WaitAsync(Timeout);
        using var channel = _hub.Channel(IdentitySpec.Reviewer(nation));
        using var call = new ReviewService.ReviewServiceClient(channel).Audit(new AuditRequest { Since = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)) });
        return await call.ResponseStream.ReadAllAsync().ToListAsync();
    }
}
