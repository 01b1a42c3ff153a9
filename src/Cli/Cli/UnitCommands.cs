using System.CommandLine;
using PatrolHub.Client.Simulation;
using PatrolHub.Client.Units;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

internal static class UnitCommands
{
    public static Command Build()
    {
        var id = new Option<string?>("--id") { Description = "Unit to publish as (default: the identity's unit)" };
        var simulate = new Option<bool>("--simulate") { Description = "Patrol a simulated track along the unit's sector, inside its own nation" };
        var gpx = new Option<string?>("--gpx") { Description = "Stream the points of a GPX track: at the track's own pace when its points have times, else one per tick" };
        var rate = new Option<double>("--rate") { Description = "Positions per second", DefaultValueFactory = _ => 1 };
        var duration = new Option<string?>("--duration") { Description = "Stop after this long, e.g. 20s (default: until interrupted)" };
        var resume = new Option<ulong>("--resume-from") { Description = "Resume the feed after this cursor" };
        var run = new Command("run", "Stream this unit's positions and print what arrives for it") { id, simulate, gpx, rate, duration, resume };
        run.SetAction(async (result, cancellationToken) =>
        {
            var connection = GlobalOptions.Connection(result);
            var unitId = result.GetValue(id) ?? GlobalOptions.UnitIdOf(connection.Identity)
                ?? throw new UsageException("the identity is not a unit's; pass --id.");
            if (result.GetValue(simulate) == (result.GetValue(gpx) is not null))
                throw new UsageException("pass exactly one of --simulate or --gpx FILE.");
            var hz = result.GetValue(rate);
            if (hz is <= 0 or > 50) throw new UsageException("--rate must be above 0 and at most 50.");
            var stopAfter = result.GetValue(duration) is { } d ? Durations.Parse(d) : Timeout.InfiniteTimeSpan;
            var output = GlobalOptions.Output(result);

            using var channel = connection.CreateChannel();
            var source = result.GetValue(gpx) is { } file
                ? PositionSource.FromGpx(file)
                : await SimulatedSourceAsync(channel, unitId, cancellationToken);
            var channels = connection.CreateChannels(connection.Identity);
            await using var session = new UnitSession(channels, unitId, result.GetValue(resume));
            var welcome = await session.StartAsync(cancellationToken);
            output.Write(
                new { type = "welcome", unit = welcome.UnitId, sector = welcome.Sector, last_sequence = welcome.LastSequence, pair = welcome.Pair?.PairId },
                $"connected as {welcome.UnitId} in {welcome.Sector}" + (welcome.Pair is { } p ? $", {Render.PairText(p)}" : ", not paired"));

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(stopAfter);
            var printing = PrintEventsAsync(session, output, stop.Token);
            var sent = await PatrolLoop.RunAsync(session, source, hz, welcome.LastSequence,
                (update, ack, latency) => output.Write(
                    new { type = "ack", sequence = ack.Sequence, cursor = ack.RecordedCursor, latency_ms = Math.Round(latency.TotalMilliseconds, 2) },
                    $"sent #{update.Sequence} {update.Latitude:F5},{update.Longitude:F5} recorded at cursor {ack.RecordedCursor}"),
                stop.Token);
            await stop.CancelAsync();
            await printing;
            if (session.Completion.IsFaulted) await session.Completion;
            output.Write(new { type = "summary", sent }, $"{sent} positions recorded");
            return ExitCodes.Ok;
        });

        return new Command("unit", "Patrol unit") { run };
    }

    private static async Task<PositionSource> SimulatedSourceAsync(Grpc.Net.Client.GrpcChannel channel, string unitId, CancellationToken cancellationToken)
    {
        var parts = unitId.ToUpperInvariant().Split('-');
        if (parts.Length != 3) throw new UsageException($"'{unitId}' is not a unit id such as US-TCA-0101.");
        var sectors = await new CommandService.CommandServiceClient(channel).ListSectorsAsync(new ListSectorsRequest(), cancellationToken: cancellationToken);
        var sector = sectors.Sectors.FirstOrDefault(s => s.Code == parts[1])
            ?? throw new UsageException($"sector {parts[1]} of {unitId} is not in the hub's catalogue.");
        // A stable hash: string.GetHashCode differs between processes, and partners must agree on the slot.
        var slot = int.TryParse(parts[2], out var number) ? number : parts[2].Aggregate(17, (h, c) => unchecked((h * 31) + c)) & 0xffff;
        return PositionSource.Simulated(new TrackSimulator(sector.Boundary, parts[0] == "US", slot));
    }

    private static async Task PrintEventsAsync(UnitSession session, Output output, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in session.Events.ReadAllAsync(cancellationToken))
                Render.Event(output, message.Cursor, message.PartnerPosition, message.Pair, message.Alert, message.Warning, positionPrefix: "partner ");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Done.
        }
        catch (Grpc.Core.RpcException)
        {
            // The session's failure is reported by the caller.
        }
    }
}
