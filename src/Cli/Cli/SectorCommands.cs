using System.CommandLine;
using System.Globalization;
using PatrolHub.Client.Sectors;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

internal static class SectorCommands
{
    public static Command BuildSector()
    {
        var list = new Command("list", "List the sector catalogue");
        list.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = GlobalOptions.CommandClient(result);
            using (channel)
            {
                foreach (var s in (await client.ListSectorsAsync(new ListSectorsRequest(), cancellationToken: cancellationToken)).Sectors)
                {
                    output.Write(
                        new { type = "sector", code = s.Code, name_en = s.NameEn, name_es = s.NameEs, start_km = s.StartKm, end_km = s.EndKm },
                        string.Create(CultureInfo.InvariantCulture, $"{s.Code}  km {s.StartKm,7:F1} – {s.EndKm,7:F1}  {s.NameEn} / {s.NameEs}"));
                }
            }

            return ExitCodes.Ok;
        });

        var code = new Argument<string>("sector") { Description = "Sector code, e.g. TCA" };
        var show = new Command("show", "Show a sector's status: units, pairs and drift") { code };
        show.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = GlobalOptions.CommandClient(result);
            using (channel)
            {
                var status = await client.GetSectorAsync(new GetSectorRequest { Sector = result.GetValue(code) }, cancellationToken: cancellationToken);
                PrintSnapshot(output, status, status.Cursor);
            }

            return ExitCodes.Ok;
        });

        return new Command("sector", "Sector catalogue and status") { list, show };
    }

    public static Command BuildWatch()
    {
        var sector = new Option<string>("--sector") { Description = "Sector code, e.g. TCA", Required = true };
        var duration = new Option<string?>("--duration") { Description = "Stop after this long, e.g. 30s (default: until interrupted)" };
        var resume = new Option<ulong>("--resume-from") { Description = "Resume after this cursor instead of starting with a snapshot" };
        var resumeDelayed = new Option<ulong>("--resume-delayed-from")
        {
            Description = "With --resume-from: resume positions the other nation delays after this cursor (shown as 'delayed #N')",
        };
        var watch = new Command("watch", "Watch a sector live: a snapshot, then every change") { sector, duration, resume, resumeDelayed };
        watch.SetAction(async (result, cancellationToken) =>
        {
            var output = GlobalOptions.Output(result);
            var connection = GlobalOptions.Connection(result);
            // Every address given, so the watch moves to the next silo when its own fails.
            var channels = connection.CreateChannels(connection.Identity);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (result.GetValue(duration) is { } d) stop.CancelAfter(Durations.Parse(d));
            try
            {
                var watcher = new SectorWatch(channels, result.GetValue(sector)!, result.GetValue(resume), result.GetValue(resumeDelayed));
                await foreach (var update in watcher.WatchAsync(stop.Token))
                {
                    if (update.Snapshot is { } snapshot) PrintSnapshot(output, snapshot, update.Cursor);
                    else if (update.Delayed) Render.Event(output, update.DelayedCursor, update.Position, update.Pair, update.Alert, update.Warning, prefix: $"delayed #{update.DelayedCursor} ");
                    else Render.Event(output, update.Cursor, update.Position, update.Pair, update.Alert, update.Warning);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Duration elapsed or interrupted.
            }
            finally
            {
                foreach (var channel in channels) channel.Dispose();
            }

            return ExitCodes.Ok;
        });
        return watch;
    }

    internal static void PrintSnapshot(Output output, SectorStatus status, ulong cursor)
    {
        var s = status.Sector;
        output.Write(
            new
            {
                type = "snapshot",
                cursor,
                sector = s.Code,
                name_en = s.NameEn,
                name_es = s.NameEs,
                units = status.Units.Select(u => Render.PositionJson(u, 0)),
                pairs = status.Pairs.Select(p => Render.PairJson(p)),
                open_alerts = status.OpenAlerts.Select(a => Render.AlertJson(a)),
                open_by_severity = status.OpenBySeverity.ToDictionary(c => Kebab.Format(c.Severity), c => c.Open),
                stale_units = status.StaleUnits,
                coverage_gaps = status.CoverageGaps.Select(g => new { start_km = g.StartKm, end_km = g.EndKm }),
            },
            string.Create(CultureInfo.InvariantCulture,
                $"{s.Code} {s.NameEn} / {s.NameEs}: {status.Units.Count} units ({status.StaleUnits.Count} stale), {status.Pairs.Count} pairs, {status.OpenAlerts.Count} open alerts (cursor {cursor})"));
        if (output.Json) return;
        foreach (var unit in status.Units) output.Write(unit, "  " + Render.PositionText(unit) + (status.StaleUnits.Contains(unit.UnitId) ? " STALE" : ""));
        foreach (var pair in status.Pairs) output.Write(pair, "  " + Render.PairText(pair));
        foreach (var alert in status.OpenAlerts) output.Write(alert, "  " + Render.AlertText(alert));
        foreach (var gap in status.CoverageGaps)
            output.Write(gap, string.Create(CultureInfo.InvariantCulture, $"  no active pair covers km {gap.StartKm:F1} – {gap.EndKm:F1}"));
    }
}
