using System.CommandLine;
using System.Globalization;

namespace PatrolHub.Client.Cli;

internal static class SimulateCommand
{
    public static Command Build()
    {
        var sector = new Option<string>("--sector") { Description = "Sector code", DefaultValueFactory = _ => "TCA" };
        var pairs = new Option<int>("--pairs") { Description = "Mirrored pairs to drive", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate") { Description = "Positions per second per unit", DefaultValueFactory = _ => 1 };
        var duration = new Option<string>("--duration") { Description = "How long to stream, e.g. 60s", DefaultValueFactory = _ => "30s" };
        var alerts = new Option<double>("--alerts") { Description = "Alerts per minute raised by random units, to time their fan-out (each is then resolved)" };
        var command = new Command("simulate", "Drive mirrored pairs through the real API and report throughput and latency") { sector, pairs, rate, duration, alerts };
        command.SetAction(async (result, cancellationToken) =>
        {
            var n = result.GetValue(pairs);
            if (n is < 1 or > 4999) throw new UsageException("--pairs must be between 1 and 4999.");
            var hz = result.GetValue(rate);
            if (hz is <= 0 or > 50) throw new UsageException("--rate must be above 0 and at most 50.");
            var output = GlobalOptions.Output(result);
            var simulation = new Simulation.Simulation(
                GlobalOptions.Connection(result, requireIdentity: false), GlobalOptions.Pki(result), output.Json ? null : Console.Out);
            var perMinute = result.GetValue(alerts);
            if (perMinute is < 0 or > 600) throw new UsageException("--alerts must be between 0 and 600 per minute.");
            var report = await simulation.RunAsync(result.GetValue(sector)!, n, hz, Durations.Parse(result.GetValue(duration)!), perMinute, cancellationToken);
            output.Write(
                new
                {
                    type = "simulation",
                    pairs = report.Pairs,
                    seconds = Math.Round(report.Duration.TotalSeconds, 1),
                    acknowledged = report.Acknowledged,
                    updates_per_second = Math.Round(report.UpdatesPerSecond, 1),
                    ack_p50_ms = Math.Round(report.AckP50Ms, 2),
                    ack_p99_ms = Math.Round(report.AckP99Ms, 2),
                    delivered = report.Delivered,
                    delivery_p50_ms = Math.Round(report.DeliveryP50Ms, 2),
                    delivery_p99_ms = Math.Round(report.DeliveryP99Ms, 2),
                    reconnects = report.Reconnects,
                    alerts_raised = report.AlertsRaised,
                    alert_partner_p50_ms = Math.Round(report.AlertPartnerP50Ms, 2),
                    alert_partner_p99_ms = Math.Round(report.AlertPartnerP99Ms, 2),
                    alert_command_p50_ms = Math.Round(report.AlertCommandP50Ms, 2),
                    alert_command_p99_ms = Math.Round(report.AlertCommandP99Ms, 2),
                },
                string.Create(CultureInfo.InvariantCulture, $"""
                    {report.Pairs} pairs for {report.Duration.TotalSeconds:F1} s
                    accepted:  {report.Acknowledged} updates, {report.UpdatesPerSecond:F1} updates/s
                    ack:       p50 {report.AckP50Ms:F2} ms, p99 {report.AckP99Ms:F2} ms
                    delivery:  {report.Delivered} partner positions, p50 {report.DeliveryP50Ms:F2} ms, p99 {report.DeliveryP99Ms:F2} ms
                    reconnects: {report.Reconnects}
                    alerts:    {report.AlertsRaised} raised; to partner p50 {report.AlertPartnerP50Ms:F2} ms, p99 {report.AlertPartnerP99Ms:F2} ms; to commands p50 {report.AlertCommandP50Ms:F2} ms, p99 {report.AlertCommandP99Ms:F2} ms
                    """));
            return ExitCodes.Ok;
        });
        return command;
    }
}
