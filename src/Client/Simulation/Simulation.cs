using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Client.Simulation;

/// <summary>What to drive: <see cref="Pairs"/> pairs spread over <see cref="Sectors"/>, each unit offering
/// <see cref="RateHz"/> positions a second on a fixed schedule, with up to <see cref="Window"/> unacknowledged.</summary>
public sealed record SimulationOptions(IReadOnlyList<string> Sectors, int Pairs, double RateHz, TimeSpan Duration)
{
    /// <summary>Positions a unit may have sent and not yet had acknowledged; a scheduled position past it is not sent.</summary>
    public int Window { get; init; } = 32;

    /// <summary>Units connected per second before streaming starts.</summary>
    public double ConnectPerSecond { get; init; } = 500;

    /// <summary>Alerts per minute raised by random units of the first sector, their fan-out timed.</summary>
    public double AlertsPerMinute { get; init; }

    /// <summary>The number of each sector's first simulated unit (US-TCA-5001 and MX-TCA-5001 by default); two
    /// simulations of one sector with numbers far enough apart drive different units.</summary>
    public int FirstUnit { get; init; } = Simulation.FirstUnitNumber;

    /// <summary>How long after streaming starts positions are still counted as warm-up: latency is also reported for
    /// the positions scheduled after it, apart from the first seconds of cold processes (JIT, first collections).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>What a simulation run measured. Offered: positions the schedule called for; sent: those the window let
/// out; acknowledged: those the hub recorded; failed: those whose session ended first; outages: each time a unit was
/// without its stream, from the drop to the welcome of the hub it reached next, or to the end of the run for the
/// <paramref name="StillDown"/> units that had not been welcomed back by then.</summary>
public sealed record SimulationReport(
    int Pairs, int Units, TimeSpan Duration, long Offered, long Sent, long Acknowledged, long Failed, Latency Ack, Latency Delivery,
    int Reconnects, int MostReconnectsOfOneUnit, int Refusals, Latency Outages, int StillDown, int AlertsRaised, Latency AlertToPartner,
    Latency AlertToCommands)
{
    /// <summary>Each unit's highest acknowledged sequence: what the hub promised is durably recorded.</summary>
    public IReadOnlyDictionary<string, ulong> LastAcknowledged { get; init; } = new Dictionary<string, ulong>();

    /// <summary>How long after streaming started positions were counted as warm-up.</summary>
    public TimeSpan Settle { get; init; }

    /// <summary><see cref="Ack"/> and <see cref="Delivery"/> of the positions scheduled after <see cref="Settle"/>.</summary>
    public Latency SettledAck { get; init; } = Latency.Of([]);

    public Latency SettledDelivery { get; init; } = Latency.Of([]);

    public double AcknowledgedPerSecond => Acknowledged / Duration.TotalSeconds;
}

/// <summary>
/// Drives mirrored pairs through the real API: issues unit and command identities from the development CAs, pairs the
/// units with bilateral consent, and streams simulated patrols from every unit over its own connection. Open loop: each
/// unit sends on its schedule whether or not the hub keeps up, and latency is measured from the scheduled time, so a
/// slow hub cannot lower the load it is measured under.
/// </summary>
public sealed class Simulation(HubConnectionOptions connection, DevelopmentPki pki, TextWriter? progress = null)
{
    public const int FirstUnitNumber = 5001;

    /// <summary>Runs <paramref name="pairs"/> pairs in one sector, as the demo does.</summary>
    public Task<SimulationReport> RunAsync(
        string sector, int pairs, double rateHz, TimeSpan duration, double alertsPerMinute = 0, CancellationToken cancellationToken = default) =>
        RunAsync(new SimulationOptions([sector], pairs, rateHz, duration) { AlertsPerMinute = alertsPerMinute }, cancellationToken);

    public async Task<SimulationReport> RunAsync(SimulationOptions options, CancellationToken cancellationToken = default)
    {
        var sectors = await PrepareAsync(options, cancellationToken);
        var units = sectors.SelectMany(s => s.Units).ToList();
        var measured = new Measurements();
        var sessions = new List<(SimulatedUnit Unit, UnitSession Session, IReadOnlyList<GrpcChannel> Channels)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        List<TimeSpan> stillDown = [];
        var started = Stopwatch.GetTimestamp();
        try
        {
            var welcomes = await ConnectAsync(units, options.ConnectPerSecond, sessions, cancellationToken);
            progress?.WriteLine($"streaming: {options.Pairs} pairs in {string.Join(",", sectors.Select(s => s.Code))}, "
                + $"{sessions.Count} units connected in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s; "
                + $"{options.RateHz} Hz each, window {options.Window}");
            started = Stopwatch.GetTimestamp();
            measured.SettledFrom = DateTimeOffset.UtcNow + options.Settle;
            stop.CancelAfter(options.Duration);
            var first = sectors[0];
            var probing = options.AlertsPerMinute > 0
                ? measured.Alerts.RunAsync(first.UsCommand, first.MxCommand, first.Code,
                    [.. sessions.Where(s => s.Unit.Sector == first.Code).Select(s => s.Session)], options.AlertsPerMinute, stop.Token)
                : Task.CompletedTask;
            await Task.WhenAll([
                .. sessions.Select((s, i) => Task.WhenAll(
                    StreamAsync(s.Unit, s.Session, welcomes[i].LastSequence, options, measured, stop.Token),
                    ReceiveAsync(s.Session, measured, stop.Token))),
                probing]);
            stillDown = [.. sessions.Select(s => s.Session.Down).OfType<TimeSpan>()];
        }
        finally
        {
            foreach (var (_, session, channels) in sessions)
            {
                await session.DisposeAsync();
                foreach (var channel in channels) channel.Dispose();
            }

            foreach (var sector in sectors) sector.Dispose();
        }

        foreach (var reason in sessions.SelectMany(s => s.Session.Disconnects).GroupBy(d => d.Key, d => d.Value).OrderByDescending(g => g.Sum()))
            progress?.WriteLine($"{reason.Sum()} times a connection dropped or failed: {reason.Key}");
        var connections = sessions.Select(s => s.Session).ToList();
        return new SimulationReport(
            options.Pairs, units.Count, Stopwatch.GetElapsedTime(started), measured.Offered, measured.Sent, Volatile.Read(ref measured.Acknowledged),
            measured.Failed, Latency.Of(measured.Acks.Select(s => s.Ms)), Latency.Of(measured.Deliveries.Select(s => s.Ms)),
            connections.Sum(s => s.Reconnects), connections.Select(s => s.Reconnects).DefaultIfEmpty().Max(), connections.Sum(s => s.Refusals),
            Latency.Of(connections.SelectMany(s => s.Outages).Concat(stillDown).Select(o => o.TotalMilliseconds)), stillDown.Count,
            measured.Alerts.Raised, Latency.Of(measured.Alerts.PartnerMs), Latency.Of(measured.Alerts.CommandMs))
        {
            LastAcknowledged = measured.LastAcknowledged,
            Settle = options.Settle,
            SettledAck = measured.Settled(measured.Acks),
            SettledDelivery = measured.Settled(measured.Deliveries),
        };
    }

    /// <summary>Per sector: its command channels, and its pairs' units, paired with both commands' consent.</summary>
    private async Task<List<SimulatedSector>> PrepareAsync(SimulationOptions options, CancellationToken cancellationToken)
    {
        var codes = options.Sectors.Select(s => s.ToUpperInvariant()).ToList();
        var sectors = codes.Select((code, i) => new SimulatedSector(
            code,
            connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("US", code))),
            connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("MX", code))),
            options.FirstUnit,
            options.Pairs / codes.Count + (i < options.Pairs % codes.Count ? 1 : 0))).ToList();
        await Task.WhenAll(sectors.Select(s => s.PrepareAsync(cancellationToken)));
        progress?.WriteLine($"{options.Pairs} pairs active");
        return sectors;
    }

    private async Task<Welcome[]> ConnectAsync(
        List<SimulatedUnit> units, double perSecond, List<(SimulatedUnit, UnitSession, IReadOnlyList<GrpcChannel>)> sessions, CancellationToken cancellationToken)
    {
        var connecting = new List<Task<Welcome>>(units.Count);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < units.Count; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
            // Spread over the hub's addresses (a cluster's silos), each unit moving to the next if its own fails.
            var channels = connection.CreateChannels(pki.IssueInMemory(IdentitySpec.Unit(units[i].Id)), first: i);
            var session = new UnitSession(channels, units[i].Id);
            sessions.Add((units[i], session, channels));
            connecting.Add(session.StartAsync(cancellationToken));
        }

        return await Task.WhenAll(connecting);
    }

    /// <summary>Offers a position every period from a random phase; sends it if the window allows, and times its
    /// acknowledgement from when it was due.</summary>
    private static async Task StreamAsync(SimulatedUnit unit, UnitSession session, ulong lastSequence, SimulationOptions options, Measurements measured, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(1 / options.RateHz);
        var source = PositionSource.Simulated(unit.Track);
        var inFlight = 0;
        var sending = new List<Task>();
        try
        {
            var origin = DateTimeOffset.UtcNow + (period * Random.Shared.NextDouble());
            for (long k = 0; ; k++)
            {
                var scheduled = origin + (period * k);
                var wait = scheduled - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
                // Running late still counts every position that fell due meanwhile: the schedule, not this loop, is the load.
                var missed = (long)((DateTimeOffset.UtcNow - scheduled) / period);
                k += missed;
                scheduled += period * missed;
                measured.Offer(missed + 1);
                if (Volatile.Read(ref inFlight) >= options.Window || source.FixAt(scheduled) is not var (lat, lon, heading, speed)) continue;
                var update = PatrolLoop.Update(++lastSequence, scheduled, lat, lon, heading, speed);
                Interlocked.Increment(ref inFlight);
                Interlocked.Increment(ref measured.SentCount);
                sending.Add(SendAsync(session, update, scheduled, measured, () => Interlocked.Decrement(ref inFlight)));
                if (sending.Count > 4 * options.Window) sending.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over; what is in flight gets a moment to be acknowledged.
        }

        await Task.WhenAny(Task.WhenAll(sending), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    private static async Task SendAsync(UnitSession session, PositionUpdate update, DateTimeOffset scheduled, Measurements measured, Action done)
    {
        try
        {
            var ack = await session.SendAsync(update);
            Interlocked.Increment(ref measured.Acknowledged);
            measured.LastAcknowledged.AddOrUpdate(session.UnitId, ack.Sequence, (_, known) => Math.Max(known, ack.Sequence));
            measured.Ack(scheduled);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException)
        {
            Interlocked.Increment(ref measured.FailedCount);
        }
        finally
        {
            done();
        }
    }

    private static async Task ReceiveAsync(UnitSession session, Measurements measured, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in session.Events.ReadAllAsync(cancellationToken))
            {
                if (message.PartnerPosition is { } position)
                    measured.Delivered(position.GnssTime.ToDateTimeOffset());
                else if (message.Alert is { } alert)
                    measured.Alerts.AtPartner(alert);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
        catch (RpcException)
        {
            // The session failed; its sends report it.
        }
    }

    private sealed class Measurements
    {
        public long OfferedCount;
        public long SentCount;
        public long Acknowledged;
        public long FailedCount;

        /// <summary>Each acknowledgement's latency, with when its position was due.</summary>
        public ConcurrentBag<(DateTimeOffset Due, double Ms)> Acks { get; } = [];

        public ConcurrentBag<(DateTimeOffset Due, double Ms)> Deliveries { get; } = [];

        /// <summary>When warm-up ends.</summary>
        public DateTimeOffset SettledFrom { get; set; }

        public AlertProbe Alerts { get; } = new();

        public ConcurrentDictionary<string, ulong> LastAcknowledged { get; } = new();

        public long Offered => Volatile.Read(ref OfferedCount);

        public long Sent => Volatile.Read(ref SentCount);

        public long Failed => Volatile.Read(ref FailedCount);

        public void Offer(long count) => Interlocked.Add(ref OfferedCount, count);

        public void Ack(DateTimeOffset scheduled) => Acks.Add(Since(scheduled));

        public void Delivered(DateTimeOffset scheduled) => Deliveries.Add(Since(scheduled));

        private static (DateTimeOffset Due, double Ms) Since(DateTimeOffset due) => (due, (DateTimeOffset.UtcNow - due).TotalMilliseconds);

        public Latency Settled(IEnumerable<(DateTimeOffset Due, double Ms)> samples) =>
            Latency.Of(samples.Where(s => s.Due >= SettledFrom).Select(s => s.Ms));
    }

    private sealed record SimulatedUnit(string Id, string Sector, TrackSimulator Track);

    private sealed class SimulatedSector(string code, GrpcChannel us, GrpcChannel mx, int firstUnit, int pairs) : IDisposable
    {
        public string Code => code;

        public GrpcChannel UsCommand => us;

        public GrpcChannel MxCommand => mx;

        public List<SimulatedUnit> Units { get; } = [];

        public async Task PrepareAsync(CancellationToken cancellationToken)
        {
            var usCommand = new CommandService.CommandServiceClient(us);
            var mxCommand = new CommandService.CommandServiceClient(mx);
            // One command sets up many pairs in a row: at the hub's per-caller call rate it is paced, not failed.
            var status = await Retry.PacedAsync(() => usCommand.GetSectorAsync(new GetSectorRequest { Sector = code }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
            var pairsWanted = Enumerable.Range(firstUnit, pairs).Select(n => (Us: $"US-{code}-{n:D4}", Mx: $"MX-{code}-{n:D4}", Slot: n)).ToList();
            var existing = (await Retry.PacedAsync(() => usCommand.ListPairsAsync(new ListPairsRequest { Sector = code }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken)).Pairs;
            foreach (var (usUnit, mxUnit, slot) in pairsWanted)
            {
                Units.Add(new SimulatedUnit(usUnit, code, new TrackSimulator(status.Sector.Boundary, usSide: true, slot)));
                Units.Add(new SimulatedUnit(mxUnit, code, new TrackSimulator(status.Sector.Boundary, usSide: false, slot)));
                if (existing.Any(p => p.State == PairState.Active && p.UsUnit == usUnit && p.MxUnit == mxUnit)) continue;
                foreach (var stale in existing.Where(p => p.State == PairState.Active && (p.UsUnit == usUnit || p.MxUnit == mxUnit)))
                    await Retry.PacedAsync(() => usCommand.DissolvePairAsync(new PairRequest { PairId = stale.PairId }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
                var proposed = await Retry.PacedAsync(() => usCommand.ProposePairAsync(new ProposePairRequest { UsUnit = usUnit, MxUnit = mxUnit }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
                await Retry.PacedAsync(() => mxCommand.AcceptPairAsync(new PairRequest { PairId = proposed.PairId }, cancellationToken: cancellationToken).ResponseAsync, cancellationToken);
            }
        }

        public void Dispose()
        {
            us.Dispose();
            mx.Dispose();
        }
    }
}
