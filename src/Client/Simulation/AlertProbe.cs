using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using PatrolHub.Client.Sectors;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Client.Simulation;

/// <summary>Raises alerts from simulated units and times their arrival at the partner and at both sector commands.</summary>
internal sealed class AlertProbe
{
    private const string Marker = "simulated alert ";
    private readonly ConcurrentDictionary<string, long> _sent = new();
    private int _raised;

    public ConcurrentBag<double> PartnerMs { get; } = [];

    public ConcurrentBag<double> CommandMs { get; } = [];

    public int Raised => _raised;

    public void AtPartner(Alert alert)
    {
        if (alert.Transition == "raised" && Elapsed(alert) is { } ms) PartnerMs.Add(ms);
    }

    public async Task RunAsync(GrpcChannel usCommand, GrpcChannel mxCommand, string sector, IReadOnlyList<UnitSession> units, double perMinute, CancellationToken cancellationToken)
    {
        var watching = new[] { usCommand, mxCommand }.Select(c => WatchAsync(c, sector, cancellationToken)).ToList();
        var commands = new CommandService.CommandServiceClient(usCommand);
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1 / perMinute));
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var token = Guid.NewGuid().ToString("N");
                var unit = units[Random.Shared.Next(units.Count)];
                _sent[token] = Stopwatch.GetTimestamp();
                var point = TrackPoint(unit);
                var reply = await unit.RaiseAlertAsync(new RaiseAlertRequest
                {
                    Sector = sector,
                    Kind = AlertKind.IllegalCrossing,
                    Severity = Severity.Medium,
                    Latitude = point.Latitude,
                    Longitude = point.Longitude,
                    Text = Marker + token,
                }, cancellationToken);
                if (reply.Code != 0) continue;
                Interlocked.Increment(ref _raised);
                await commands.ResolveAlertAsync(
                    new ResolveAlertRequest { AlertId = reply.Alert.AlertId, Outcome = AlertOutcome.FalseAlarm }, cancellationToken: cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException { StatusCode: StatusCode.Cancelled } && cancellationToken.IsCancellationRequested))
        {
            // The run is over.
        }

        await Task.WhenAll(watching);
    }

    private async Task WatchAsync(GrpcChannel channel, string sector, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in new SectorWatch(channel, sector).WatchAsync(cancellationToken))
            {
                if (update.Alert is { Transition: "raised" } alert && Elapsed(alert) is { } ms) CommandMs.Add(ms);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private double? Elapsed(Alert alert) =>
        alert.Text.StartsWith(Marker, StringComparison.Ordinal) && _sent.TryGetValue(alert.Text[Marker.Length..], out var sent)
            ? Stopwatch.GetElapsedTime(sent).TotalMilliseconds
            : null;

    private static LatLon TrackPoint(UnitSession unit) =>
        unit.LastSent is { } last ? new LatLon { Latitude = last.Latitude, Longitude = last.Longitude } : new LatLon { Latitude = 31.3, Longitude = -110.9 };
}
