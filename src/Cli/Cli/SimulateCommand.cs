using System.CommandLine;
using System.Globalization;
using PatrolHub.Client.Simulation;

namespace PatrolHub.Client.Cli;

internal static class SimulateCommand
{
    private static readonly string[] AllSectors = ["SDC", "ELC", "YUM", "TCA", "EPT", "BBT", "DRT", "LRT", "RGV"];

    public static Command Build()
    {
        var sector = new Option<string>("--sector", "--sectors") { Description = "Sector code, a comma list, or 'all' (pairs spread evenly)", DefaultValueFactory = _ => "TCA" };
        var pairs = new Option<int>("--pairs") { Description = "Mirrored pairs to drive, in all", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate") { Description = "Positions per second per unit", DefaultValueFactory = _ => 1 };
        var duration = new Option<string>("--duration") { Description = "How long to stream, e.g. 60s", DefaultValueFactory = _ => "30s" };
        var window = new Option<int>("--window") { Description = "Positions a unit may have unacknowledged; a scheduled one past it is not sent", DefaultValueFactory = _ => 32 };
        var connectRate = new Option<double>("--connect-rate") { Description = "Units connected per second before streaming starts", DefaultValueFactory = _ => 500 };
        var settle = new Option<string>("--settle")
        {
            Description = "Warm-up: latency is also reported for the positions scheduled after this much of the run, e.g. 10s",
            DefaultValueFactory = _ => "10s",
        };
        var acksOut = new Option<string?>("--acks-out") { Description = "Write each unit's highest acknowledged sequence here (JSON), to check the record against" };
        var alerts = new Option<double>("--alerts") { Description = "Alerts per minute raised by random units of the first sector, to time their fan-out (each is then resolved)" };
        var firstUnit = new Option<int>("--first-unit")
        {
            Description = "Number of each sector's first unit (default 5001: US-TCA-5001); lets two simulations share a sector",
            DefaultValueFactory = _ => Simulation.Simulation.FirstUnitNumber,
        };
        var command = new Command("simulate", "Drive mirrored pairs through the real API, open loop, and report throughput and latency")
        {
            sector, pairs, rate, duration, window, connectRate, settle, alerts, acksOut, firstUnit,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var sectors = Sectors(result.GetValue(sector)!);
            var n = result.GetValue(pairs);
            var first = result.GetValue(firstUnit);
            var most = (9999 - first + 1) * sectors.Count;
            if (first is < 1 or > 9999) throw new UsageException("--first-unit must be between 1 and 9999.");
            if (n < 1 || n > most) throw new UsageException($"--pairs must be between 1 and {most} for {sectors.Count} sector(s) from unit {first}.");
            var hz = result.GetValue(rate);
            if (hz is <= 0 or > 1000) throw new UsageException("--rate must be above 0 and at most 1000.");
            var w = result.GetValue(window);
            if (w is < 1 or > 1024) throw new UsageException("--window must be between 1 and 1024.");
            var perSecond = result.GetValue(connectRate);
            if (perSecond is <= 0 or > 100_000) throw new UsageException("--connect-rate must be above 0 and at most 100000.");
            var perMinute = result.GetValue(alerts);
            if (perMinute is < 0 or > 600) throw new UsageException("--alerts must be between 0 and 600 per minute.");
            var length = Durations.Parse(result.GetValue(duration)!);
            var warmUp = Durations.Parse(result.GetValue(settle)!);
            if (warmUp >= length) throw new UsageException("--settle must be shorter than --duration.");
            var output = GlobalOptions.Output(result);
            var simulation = new Simulation.Simulation(
                GlobalOptions.Connection(result, requireIdentity: false), GlobalOptions.Pki(result), output.Json ? Console.Error : Console.Out);
            var options = new SimulationOptions(sectors, n, hz, length)
            {
                Settle = warmUp,
                Window = w,
                ConnectPerSecond = perSecond,
                AlertsPerMinute = perMinute,
                FirstUnit = first,
            };
            var report = await simulation.RunAsync(options, cancellationToken);
            if (result.GetValue(acksOut) is { } file) await File.WriteAllTextAsync(file, System.Text.Json.JsonSerializer.Serialize(report.LastAcknowledged), cancellationToken);
            output.Write(Json(report), Text(report));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static List<string> Sectors(string value)
    {
        if (value.Equals("all", StringComparison.OrdinalIgnoreCase)) return [.. AllSectors];
        var sectors = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant()).Distinct().ToList();
        if (sectors.Count == 0 || sectors.Any(s => !AllSectors.Contains(s)))
            throw new UsageException($"--sector must be 'all' or sector codes among {string.Join(", ", AllSectors)}.");
        return sectors;
    }

    private static object Json(SimulationReport r) => new
    {
        type = "simulation",
        pairs = r.Pairs,
        units = r.Units,
        seconds = Math.Round(r.Duration.TotalSeconds, 1),
        offered = r.Offered,
        sent = r.Sent,
        acknowledged = r.Acknowledged,
        failed = r.Failed,
        acknowledged_per_second = Math.Round(r.AcknowledgedPerSecond, 1),
        ack = r.Ack,
        delivery = r.Delivery,
        settle_seconds = r.Settle.TotalSeconds,
        settled_ack = r.SettledAck,
        settled_delivery = r.SettledDelivery,
        reconnects = r.Reconnects,
        most_reconnects_of_one_unit = r.MostReconnectsOfOneUnit,
        refusals = r.Refusals,
        outages = r.Outages,
        still_down = r.StillDown,
        alerts_raised = r.AlertsRaised,
        alert_to_partner = r.AlertToPartner,
        alert_to_commands = r.AlertToCommands,
    };

    private static string Text(SimulationReport r) => string.Create(CultureInfo.InvariantCulture, $"""
        {r.Pairs} pairs ({r.Units} units) for {r.Duration.TotalSeconds:F1} s
        offered:   {r.Offered} positions; sent {r.Sent}; acknowledged {r.Acknowledged} ({r.AcknowledgedPerSecond:F1}/s); failed {r.Failed}
        ack:       {r.Ack}
        delivery:  {r.Delivery.Count} partner positions, {r.Delivery}
        settled:   after the first {r.Settle.TotalSeconds:F0} s, ack {r.SettledAck}; delivery {r.SettledDelivery}
        reconnects: {r.Reconnects}, at most {r.MostReconnectsOfOneUnit} by one unit ({r.Refusals} refused as overloaded)
        outages:   {r.Outages.Count} ({r.StillDown} still down at the end, counted to it), {r.Outages}
        alerts:    {r.AlertsRaised} raised; to partner {r.AlertToPartner}; to commands {r.AlertToCommands}
        """);
}
