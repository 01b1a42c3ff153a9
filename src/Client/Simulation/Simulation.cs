using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Client.Simulation;

/// <summary>What a simulation run measured.</summary>
public sealed record SimulationReport(
    int Pairs, TimeSpan Duration, long Acknowledged, double UpdatesPerSecond,
    double AckP50Ms, double AckP99Ms, long Delivered, double DeliveryP50Ms, double DeliveryP99Ms, int Reconnects,
    int AlertsRaised, double AlertPartnerP50Ms, double AlertPartnerP99Ms, double AlertCommandP50Ms, double AlertCommandP99Ms);

/// <summary>
/// Drives mirrored pairs through the real API: issues unit and command identities from the development CAs,
/// pairs the units with bilateral consent, and streams simulated patrols from every unit.
/// </summary>
public sealed class Simulation(HubConnectionOptions connection, DevelopmentPki pki, TextWriter? progress = null)
{
    public const int FirstUnitNumber = 5001;

    /// <summary>Runs <paramref name="pairs"/> pairs in <paramref name="sector"/>, each unit sending <paramref name="rateHz"/>
    /// positions a second for <paramref name="duration"/>. With <paramref name="alertsPerMinute"/> above zero, random units
    /// also raise alerts over their streams; their fan-out to the partner and to both sector commands is timed, and the
    /// U.S. command resolves each one.</summary>
    public async Task<SimulationReport> RunAsync(
        string sector, int pairs, double rateHz, TimeSpan duration, double alertsPerMinute = 0, CancellationToken cancellationToken = default)
    {
        sector = sector.ToUpperInvariant();
        using var us = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("US", sector)));
        using var mx = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Command("MX", sector)));
        var usCommand = new CommandService.CommandServiceClient(us);
        var mxCommand = new CommandService.CommandServiceClient(mx);
        var status = await usCommand.GetSectorAsync(new GetSectorRequest { Sector = sector }, cancellationToken: cancellationToken);
        var units = Enumerable.Range(FirstUnitNumber, pairs)
            .Select(n => (Us: $"US-{sector}-{n:D4}", Mx: $"MX-{sector}-{n:D4}", Slot: n))
            .ToList();
        await EnsurePairedAsync(usCommand, mxCommand, sector, units, cancellationToken);

        var ackMs = new ConcurrentBag<double>();
        var deliveryMs = new ConcurrentBag<double>();
        var alerts = new AlertProbe();
        var started = DateTimeOffset.UtcNow;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var simulated = units.SelectMany(u => new[] { (Id: u.Us, IsUs: true, u.Slot), (Id: u.Mx, IsUs: false, u.Slot) }).ToList();
        var sessions = new List<(UnitSession Session, GrpcChannel Channel)>();
        try
        {
            foreach (var unit in simulated)
            {
                var channel = connection.CreateChannel(pki.IssueInMemory(IdentitySpec.Unit(unit.Id)));
                sessions.Add((new UnitSession(channel, unit.Id), channel));
            }

            var welcomes = await Task.WhenAll(sessions.Select(s => s.Session.StartAsync(cancellationToken)));
            progress?.WriteLine($"{pairs} pairs active in {sector}, {sessions.Count} units connected; streaming at {rateHz} Hz");
            started = DateTimeOffset.UtcNow;
            stop.CancelAfter(duration);
            var tasks = simulated.Select((unit, i) =>
            {
                var track = new TrackSimulator(status.Sector.Boundary, unit.IsUs, unit.Slot);
                var session = sessions[i].Session;
                var phase = TimeSpan.FromSeconds(Random.Shared.NextDouble() / rateHz);
                return Task.WhenAll(
                    PatrolLoop.RunAsync(session, PositionSource.Simulated(track), rateHz, welcomes[i].LastSequence,
                        (_, _, latency) => ackMs.Add(latency.TotalMilliseconds), stop.Token, phase),
                    MeasureDeliveryAsync(session, deliveryMs, alerts, stop.Token));
            });
            var probing = alertsPerMinute > 0
                ? alerts.RunAsync(us, mx, sector, [.. sessions.Select(s => s.Session)], alertsPerMinute, stop.Token)
                : Task.CompletedTask;
            await Task.WhenAll([.. tasks, probing]);
        }
        finally
        {
            foreach (var (session, channel) in sessions)
            {
                await session.DisposeAsync();
                channel.Dispose();
            }
        }

        foreach (var reason in sessions.Where(s => s.Session.LastDisconnect is not null).GroupBy(s => s.Session.LastDisconnect!.Message))
            progress?.WriteLine($"{reason.Count()} units reconnected after: {reason.Key}");
        var elapsed = DateTimeOffset.UtcNow - started;
        return new SimulationReport(
            pairs, elapsed, ackMs.Count, ackMs.Count / elapsed.TotalSeconds,
            Percentile(ackMs, 0.50), Percentile(ackMs, 0.99), deliveryMs.Count, Percentile(deliveryMs, 0.50), Percentile(deliveryMs, 0.99),
            sessions.Sum(s => s.Session.Reconnects),
            alerts.Raised, Percentile(alerts.PartnerMs, 0.50), Percentile(alerts.PartnerMs, 0.99),
            Percentile(alerts.CommandMs, 0.50), Percentile(alerts.CommandMs, 0.99));
    }

    private static async Task EnsurePairedAsync(
        CommandService.CommandServiceClient usCommand, CommandService.CommandServiceClient mxCommand,
        string sector, IReadOnlyList<(string Us, string Mx, int Slot)> units, CancellationToken cancellationToken)
    {
        var existing = (await usCommand.ListPairsAsync(new ListPairsRequest { Sector = sector }, cancellationToken: cancellationToken)).Pairs;
        foreach (var (usUnit, mxUnit, _) in units)
        {
            if (existing.Any(p => p.State == PairState.Active && p.UsUnit == usUnit && p.MxUnit == mxUnit)) continue;
            foreach (var stale in existing.Where(p => p.State == PairState.Active && (p.UsUnit == usUnit || p.MxUnit == mxUnit)))
                await usCommand.DissolvePairAsync(new PairRequest { PairId = stale.PairId }, cancellationToken: cancellationToken);
            var proposed = await usCommand.ProposePairAsync(new ProposePairRequest { UsUnit = usUnit, MxUnit = mxUnit }, cancellationToken: cancellationToken);
            await mxCommand.AcceptPairAsync(new PairRequest { PairId = proposed.PairId }, cancellationToken: cancellationToken);
        }
    }

    private static async Task MeasureDeliveryAsync(UnitSession session, ConcurrentBag<double> deliveryMs, AlertProbe alerts, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in session.Events.ReadAllAsync(cancellationToken))
            {
                if (message.PartnerPosition is { } position)
                    deliveryMs.Add((DateTimeOffset.UtcNow - position.GnssTime.ToDateTimeOffset()).TotalMilliseconds);
                else if (message.Alert is { } alert)
                    alerts.AtPartner(alert);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
        catch (RpcException)
        {
            // The session failed; its sender reports the error.
        }
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
    }
}
