using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Pki;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

/// <summary>
/// The README's authorization matrix, tried call by call against a hub of its own: every (role, nation, sector, RPC)
/// is allowed (and succeeds) or is PERMISSION_DENIED, as the table below says. Then what each kind of subscriber is
/// delivered of one sector's events: exactly what the matrix says, nothing missing and nothing more.
/// </summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly HubFixture _hub = new("matrix", new Dictionary<string, string>
    {
        ["Alerts:CriticalDeadline"] = "00:00:01",
        ["Security:CallsPerSecond"] = "100000",
        ["Security:CallBurst"] = "100000",
        ["Security:AlertRaisesPerMinute"] = "100000",
    });

    private int _nextUnit = 100;

    public Task InitializeAsync() => _hub.InitializeAsync();

    public Task DisposeAsync() => _hub.DisposeAsync();

    /// <summary>The callers: two units of TCA (paired with each other), both TCA commands, a command of another
    /// sector, the joint centre as each nation issues it, and both nations' reviewers.</summary>
    private static readonly (string Name, IdentitySpec Spec)[] Callers =
    [
        ("unit US TCA", IdentitySpec.Unit("US-TCA-0101")),
        ("unit MX TCA", IdentitySpec.Unit("MX-TCA-0101")),
        ("command US TCA", IdentitySpec.Command("US", "TCA")),
        ("command MX TCA", IdentitySpec.Command("MX", "TCA")),
        ("command US EPT", IdentitySpec.Command("US", "EPT")),
        ("joint US", IdentitySpec.Joint("US")),
        ("joint MX", IdentitySpec.Joint("MX")),
        ("reviewer US", IdentitySpec.Reviewer("US")),
        ("reviewer MX", IdentitySpec.Reviewer("MX")),
    ];

    /// <summary>Who may, per RPC and sector: the callers allowed; every other caller is PERMISSION_DENIED. Acting on an
    /// alert is tried on an alert a unit raised (not escalated) and on a command's CRITICAL alert once escalated.</summary>
    private static readonly Dictionary<(string Rpc, string Sector), string[]> Allowed = new()
    {
        [("Connect as US-{sector}-0101", "TCA")] = ["unit US TCA"],
        [("Connect as US-{sector}-0101", "EPT")] = [],
        [("ListSectors", "TCA")] = [.. Callers.Select(c => c.Name)],
        [("ListSectors", "EPT")] = [.. Callers.Select(c => c.Name)],
        [("GetSector", "TCA")] = ["command US TCA", "command MX TCA", "joint US", "joint MX"],
        [("GetSector", "EPT")] = ["command US EPT", "joint US", "joint MX"],
        [("WatchSector", "TCA")] = ["command US TCA", "command MX TCA", "joint US", "joint MX"],
        [("WatchSector", "EPT")] = ["command US EPT", "joint US", "joint MX"],
        [("ListPairs", "TCA")] = ["command US TCA", "command MX TCA", "joint US", "joint MX"],
        [("ListPairs", "EPT")] = ["command US EPT", "joint US", "joint MX"],
        [("ListAlerts", "TCA")] = ["command US TCA", "command MX TCA", "joint US", "joint MX"],
        [("ListAlerts", "EPT")] = ["command US EPT", "joint US", "joint MX"],
        [("ProposePair", "TCA")] = ["command US TCA", "command MX TCA"],
        [("ProposePair", "EPT")] = ["command US EPT"],
        [("AcceptPair (proposed by US)", "TCA")] = ["command MX TCA"],
        [("AcceptPair (proposed by US)", "EPT")] = [],
        [("DissolvePair", "TCA")] = ["command US TCA", "command MX TCA"],
        [("DissolvePair", "EPT")] = ["command US EPT"],
        [("RaiseAlert", "TCA")] = ["unit US TCA", "unit MX TCA", "command US TCA", "command MX TCA"],
        [("RaiseAlert", "EPT")] = ["command US EPT"],
        [("AcknowledgeAlert (a unit's)", "TCA")] = ["unit US TCA", "unit MX TCA", "command US TCA", "command MX TCA"],
        [("AcknowledgeAlert (a unit's)", "EPT")] = ["command US EPT"],
        [("ResolveAlert (escalated)", "TCA")] = ["unit US TCA", "unit MX TCA", "command US TCA", "command MX TCA", "joint US", "joint MX"],
        [("ResolveAlert (escalated)", "EPT")] = ["command US EPT", "joint US", "joint MX"],
        [("Replay", "TCA")] = ["reviewer US", "reviewer MX"],
        [("Replay", "EPT")] = ["reviewer US", "reviewer MX"],
        [("SectorAt", "TCA")] = ["reviewer US", "reviewer MX"],
        [("SectorAt", "EPT")] = ["reviewer US", "reviewer MX"],
        [("Export", "TCA")] = ["reviewer US", "reviewer MX"],
        [("Export", "EPT")] = ["reviewer US", "reviewer MX"],
        [("Audit", "TCA")] = ["reviewer US", "reviewer MX"],
        [("Audit", "EPT")] = ["reviewer US", "reviewer MX"],
        [("Verify", "TCA")] = ["command US TCA", "command MX TCA", "command US EPT", "joint US", "joint MX", "reviewer US", "reviewer MX"],
        [("Verify", "EPT")] = ["command US TCA", "command MX TCA", "command US EPT", "joint US", "joint MX", "reviewer US", "reviewer MX"],
    };

    [Fact]
    public async Task Every_role_nation_sector_and_rpc_is_allowed_or_denied_as_the_matrix_says()
    {
        var channels = Callers.ToDictionary(c => c.Name, c => _hub.Channel(c.Spec));
        try
        {
            await PairAsync(channels, "TCA", "US-TCA-0101", "MX-TCA-0101");
            var escalated = await EscalatedAlertsAsync(channels);
            var wrong = new List<string>();
            foreach (var ((rpc, sector), allowed) in Allowed)
            {
                foreach (var (name, _) in Callers)
                {
                    var code = await CallAsync(channels, channels[name], rpc, sector, escalated);
                    var expected = allowed.Contains(name) ? StatusCode.OK : StatusCode.PermissionDenied;
                    if (code != expected) wrong.Add($"{name} {rpc.Replace("{sector}", sector, StringComparison.Ordinal)} in {sector}: {code}, expected {expected}");
                }
            }

            Assert.Empty(wrong);
        }
        finally
        {
            foreach (var channel in channels.Values) channel.Dispose();
        }
    }

    [Fact]
    public async Task Each_subscriber_is_delivered_exactly_what_the_matrix_says()
    {
        const string sector = "YUM";
        string us = "US-YUM-0201", mx = "MX-YUM-0201", unpaired = "MX-YUM-0202";
        using var usChannel = _hub.Channel(IdentitySpec.Command("US", sector));
        using var mxChannel = _hub.Channel(IdentitySpec.Command("MX", sector));
        var usCommand = new CommandService.CommandServiceClient(usChannel);
        var mxCommand = new CommandService.CommandServiceClient(mxChannel);
        var started = DateTimeOffset.UtcNow;
        var p1 = (await usCommand.ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = mx })).PairId;
        await mxCommand.AcceptPairAsync(new PairRequest { PairId = p1 });

        await using var usUnit = await ConnectedUnit.ConnectAsync(_hub, us);
        await using var mxUnit = await ConnectedUnit.ConnectAsync(_hub, mx);
        await using var loneUnit = await ConnectedUnit.ConnectAsync(_hub, unpaired);
        var inboxes = new Dictionary<string, Inbox>
        {
            [us] = Inbox.Of(usUnit),
            [mx] = Inbox.Of(mxUnit),
            [unpaired] = Inbox.Of(loneUnit),
            ["command US"] = await Inbox.WatchAsync(_hub.Channel(IdentitySpec.Command("US", sector)), sector),
            ["command MX"] = await Inbox.WatchAsync(_hub.Channel(IdentitySpec.Command("MX", sector)), sector),
            ["joint"] = await Inbox.WatchAsync(_hub.Channel(IdentitySpec.Joint("MX")), sector),
        };

        await usUnit.Session.SendAsync(Units.Position(1, 32.60, -114.70));
        await mxUnit.Session.SendAsync(Units.Position(1, 32.58, -114.70));
        await loneUnit.Session.SendAsync(Units.Position(1, 32.57, -114.72));
        var a1 = (await usUnit.Session.RaiseAlertAsync(Raise(sector, Severity.Low))).Alert.AlertId;
        var a2 = (await mxCommand.RaiseAlertAsync(Raise(sector, Severity.Low))).AlertId;
        var a3 = (await usCommand.RaiseAlertAsync(Raise(sector, Severity.Critical))).AlertId;
        await inboxes["joint"].UntilAsync($"alert {a3} escalated");
        await mxCommand.DissolvePairAsync(new PairRequest { PairId = p1 });
        var a4 = (await usCommand.RaiseAlertAsync(Raise(sector, Severity.Low))).AlertId;
        var p2 = (await usCommand.ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = unpaired })).PairId;

        string[] positions = [$"position {us}", $"position {mx}", $"position {unpaired}"];
        string[] commandAlerts = [$"alert {a2} raised", $"alert {a3} raised", $"alert {a3} escalated"];
        var expected = new Dictionary<string, string[]>
        {
            [us] = [$"position {mx}", $"alert {a1} raised", .. commandAlerts, $"pair {p1} Dissolved", $"alert {a4} raised", $"pair {p2} Proposed"],
            [mx] = [$"position {us}", $"alert {a1} raised", .. commandAlerts, $"pair {p1} Dissolved", $"alert {a4} raised"],
            [unpaired] = [.. commandAlerts, $"alert {a4} raised", $"pair {p2} Proposed"],
            ["command US"] = [.. positions, $"alert {a1} raised", .. commandAlerts, $"pair {p1} Dissolved", $"alert {a4} raised", $"pair {p2} Proposed"],
            ["command MX"] = [.. positions, $"alert {a1} raised", .. commandAlerts, $"pair {p1} Dissolved", $"alert {a4} raised", $"pair {p2} Proposed"],
            ["joint"] = [.. positions, $"alert {a3} escalated", $"pair {p1} Dissolved", $"pair {p2} Proposed"],
        };
        foreach (var (name, inbox) in inboxes)
        {
            // Delivery is in log order: once a subscriber has its last expected event, anything else before it has come too.
            var delivered = await inbox.UntilAsync(expected[name][^1]);
            Assert.True(expected[name].SequenceEqual(delivered), $"{name} expected\n  {string.Join("\n  ", expected[name])}\nwas delivered\n  {string.Join("\n  ", delivered)}");
            await inbox.DisposeAsync();
        }

        // A reviewer replays everything recorded in the sector.
        using var reviewer = _hub.Channel(IdentitySpec.Reviewer("MX"));
        var replay = new ReviewService.ReviewServiceClient(reviewer).Replay(new ReplayRequest
        {
            Sector = sector, From = Timestamp.FromDateTimeOffset(started), To = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(1)),
        });
        var replayed = new List<string>();
        while (await replay.ResponseStream.MoveNext().WaitAsync(Timeout)) replayed.AddRange(replay.ResponseStream.Current.Events.Select(Inbox.Label));
        Assert.Equal(
            [$"pair {p1} Proposed", $"pair {p1} Active", .. positions, $"alert {a1} raised", .. commandAlerts, $"pair {p1} Dissolved", $"alert {a4} raised", $"pair {p2} Proposed"],
            replayed);
    }

    /// <summary>What one subscriber is delivered, as labels ("position US-YUM-0201", "alert YUM-A00001 raised").</summary>
    private sealed class Inbox : IAsyncDisposable
    {
        private readonly System.Threading.Channels.Channel<string> _labels = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource _stop = new();
        private readonly List<IDisposable> _owned = [];
        private Task _pump = Task.CompletedTask;

        public static Inbox Of(ConnectedUnit unit)
        {
            var inbox = new Inbox();
            inbox._pump = Task.Run(async () =>
            {
                await foreach (var message in unit.Session.Events.ReadAllAsync(inbox._stop.Token))
                {
                    if (message.PartnerPosition is { } p) inbox.Add($"position {p.UnitId}");
                    else if (message.Alert is { } a) inbox.Add($"alert {a.AlertId} {a.Transition}");
                    else if (message.Pair is { } pair) inbox.Add($"pair {pair.PairId} {pair.State}");
                    else if (message.Warning is { } w) inbox.Add($"warning {w.PairId}");
                }
            });
            return inbox;
        }

        /// <summary>Watches the sector from now: its snapshot has come before this returns.</summary>
        public static async Task<Inbox> WatchAsync(GrpcChannel channel, string sector)
        {
            var inbox = new Inbox();
            var call = new CommandService.CommandServiceClient(channel).WatchSector(new WatchSectorRequest { Sector = sector }, cancellationToken: inbox._stop.Token);
            inbox._owned.AddRange([call, channel]);
            Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Timeout));
            inbox._pump = Task.Run(async () =>
            {
                await foreach (var update in call.ResponseStream.ReadAllAsync(inbox._stop.Token))
                {
                    if (update.Position is { } p) inbox.Add($"position {p.UnitId}");
                    else if (update.Alert is { } a) inbox.Add($"alert {a.AlertId} {a.Transition}");
                    else if (update.Pair is { } pair) inbox.Add($"pair {pair.PairId} {pair.State}");
                    else if (update.Warning is { } w) inbox.Add($"warning {w.PairId}");
                }
            });
            return inbox;
        }

        public static string Label(RecordedEvent e) =>
            e.Position is { } p ? $"position {p.UnitId}"
            : e.Alert is { } a ? $"alert {a.AlertId} {a.Transition}"
            : e.Pair is { } pair ? $"pair {pair.PairId} {pair.State}"
            : $"warning {e.Warning.PairId}";

        private readonly List<string> _received = [];

        /// <summary>Everything delivered so far, up to and including <paramref name="last"/>.</summary>
        public async Task<string[]> UntilAsync(string last)
        {
            while (!_received.Contains(last)) _received.Add(await _labels.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
            return [.. _received];
        }

        private void Add(string label) => _labels.Writer.TryWrite(label);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _pump.ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var owned in _owned) owned.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>Makes the call, with whatever it needs set up first by those allowed to; its status.</summary>
    private async Task<StatusCode> CallAsync(
        Dictionary<string, GrpcChannel> channels, GrpcChannel channel, string rpc, string sector, Queue<string> escalated)
    {
        var command = new CommandService.CommandServiceClient(channel);
        var review = new ReviewService.ReviewServiceClient(channel);
        var now = DateTimeOffset.UtcNow;
        var window = (From: Timestamp.FromDateTimeOffset(now.AddHours(-1)), To: Timestamp.FromDateTimeOffset(now));
        try
        {
            switch (rpc)
            {
                case "Connect as US-{sector}-0101":
                    using (var call = new PatrolService.PatrolServiceClient(channel).Connect())
                    {
                        await call.RequestStream.WriteAsync(new UnitMessage { Hello = new Hello { UnitId = $"US-{sector}-0101" } });
                        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Timeout));
                        Assert.NotNull(call.ResponseStream.Current.Welcome);
                    }

                    break;
                case "ListSectors":
                    await command.ListSectorsAsync(new ListSectorsRequest());
                    break;
                case "GetSector":
                    await command.GetSectorAsync(new GetSectorRequest { Sector = sector });
                    break;
                case "WatchSector":
                    using (var call = command.WatchSector(new WatchSectorRequest { Sector = sector }))
                    {
                        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(Timeout));
                        Assert.NotNull(call.ResponseStream.Current.Snapshot);
                    }

                    break;
                case "ListPairs":
                    await command.ListPairsAsync(new ListPairsRequest { Sector = sector });
                    break;
                case "ListAlerts":
                    await command.ListAlertsAsync(new ListAlertsRequest { Sector = sector });
                    break;
                case "ProposePair":
                    var n = NextUnit();
                    await command.ProposePairAsync(new ProposePairRequest { UsUnit = $"US-{sector}-{n}", MxUnit = $"MX-{sector}-{n}" });
                    break;
                case "AcceptPair (proposed by US)":
                    var proposed = await Commands(channels, sector, "US").ProposePairAsync(
                        new ProposePairRequest { UsUnit = $"US-{sector}-{NextUnit()}", MxUnit = $"MX-{sector}-{NextUnit()}" });
                    await command.AcceptPairAsync(new PairRequest { PairId = proposed.PairId });
                    break;
                case "DissolvePair":
                    var m = NextUnit();
                    var pair = await PairAsync(channels, sector, $"US-{sector}-{m}", $"MX-{sector}-{m}");
                    await command.DissolvePairAsync(new PairRequest { PairId = pair });
                    break;
                case "RaiseAlert":
                    await command.RaiseAlertAsync(Raise(sector, Severity.Low));
                    break;
                case "AcknowledgeAlert (a unit's)":
                    // In TCA the paired unit US-TCA-0101 raises it; EPT has no unit here, so its command does.
                    var raiser = sector == "TCA" ? new CommandService.CommandServiceClient(channels["unit US TCA"]) : Commands(channels, sector, "US");
                    var raised = await raiser.RaiseAlertAsync(Raise(sector, Severity.Low));
                    await command.AcknowledgeAlertAsync(new AlertRequest { AlertId = raised.AlertId });
                    break;
                case "ResolveAlert (escalated)":
                    var id = escalated.Dequeue();
                    Assert.StartsWith(sector, id, StringComparison.Ordinal);
                    await command.ResolveAlertAsync(new ResolveAlertRequest { AlertId = id, Outcome = AlertOutcome.FalseAlarm });
                    break;
                case "Replay":
                    using (var call = review.Replay(new ReplayRequest { Sector = sector, From = window.From, To = window.To }))
                        while (await call.ResponseStream.MoveNext().WaitAsync(Timeout)) { }
                    break;
                case "SectorAt":
                    await review.SectorAtAsync(new SectorAtRequest { Sector = sector, Time = window.To });
                    break;
                case "Export":
                    using (var call = review.Export(new ExportRequest { Sector = sector, From = window.From, To = window.To, Format = ExportFormat.Csv }))
                        while (await call.ResponseStream.MoveNext().WaitAsync(Timeout)) { }
                    break;
                case "Audit":
                    using (var call = review.Audit(new AuditRequest { Since = window.From }))
                        while (await call.ResponseStream.MoveNext().WaitAsync(Timeout)) { }
                    break;
                case "Verify":
                    await review.VerifyAsync(new VerifyRequest { Sector = sector });
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(rpc), rpc, null);
            }

            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>One escalated CRITICAL command alert per caller and sector, for the callers to try to resolve.</summary>
    private static async Task<Queue<string>> EscalatedAlertsAsync(Dictionary<string, GrpcChannel> channels)
    {
        var ids = new Queue<string>();
        foreach (var sector in new[] { "TCA", "EPT" })
        {
            for (var i = 0; i < Callers.Length; i++) ids.Enqueue((await Commands(channels, sector, "US").RaiseAlertAsync(Raise(sector, Severity.Critical))).AlertId);
        }

        var joint = new CommandService.CommandServiceClient(channels["joint US"]);
        foreach (var sector in new[] { "TCA", "EPT" })
        {
            using var watch = joint.WatchSector(new WatchSectorRequest { Sector = sector });
            var seen = new HashSet<string>();
            while (!ids.Where(id => id.StartsWith(sector, StringComparison.Ordinal)).All(seen.Contains))
            {
                Assert.True(await watch.ResponseStream.MoveNext().WaitAsync(Timeout));
                var update = watch.ResponseStream.Current;
                foreach (var alert in update.Snapshot?.OpenAlerts ?? [])
                    seen.Add(alert.AlertId);
                if (update.Alert is { Transition: "escalated" } escalated) seen.Add(escalated.AlertId);
            }
        }

        return ids;
    }

    private static CommandService.CommandServiceClient Commands(Dictionary<string, GrpcChannel> channels, string sector, string nation) =>
        new(channels.TryGetValue($"command {nation} {sector}", out var channel) ? channel : throw new InvalidOperationException($"no {nation} {sector} command"));

    /// <summary>Proposed by the sector's U.S. command, accepted by its Mexican one; EPT has only a U.S. command here,
    /// so its Mexican side is a channel of its own.</summary>
    private async Task<string> PairAsync(Dictionary<string, GrpcChannel> channels, string sector, string us, string mx)
    {
        var proposed = await Commands(channels, sector, "US").ProposePairAsync(new ProposePairRequest { UsUnit = us, MxUnit = mx });
        if (channels.TryGetValue($"command MX {sector}", out var mxChannel))
        {
            await new CommandService.CommandServiceClient(mxChannel).AcceptPairAsync(new PairRequest { PairId = proposed.PairId });
        }
        else
        {
            using var own = _hub.Channel(IdentitySpec.Command("MX", sector));
            await new CommandService.CommandServiceClient(own).AcceptPairAsync(new PairRequest { PairId = proposed.PairId });
        }

        return proposed.PairId;
    }

    private string NextUnit() => (++_nextUnit).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static RaiseAlertRequest Raise(string sector, Severity severity) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Sector = sector,
        Kind = AlertKind.IllegalCrossing,
        Severity = severity,
        Latitude = sector == "TCA" ? 31.33 : 31.75,
        Longitude = sector == "TCA" ? -110.9 : -106.45,
        Text = "matrix",
    };
}
