using System.CommandLine;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

internal static class AlertCommands
{
    public static Command Build()
    {
        var sector = new Option<string>("--sector") { Description = "Sector code, e.g. TCA", Required = true };
        var kind = new Option<string>("--kind") { Description = "narcotics, firearms, human-smuggling, illegal-crossing, tunnel, aircraft-drone, vehicle, other", Required = true };
        var severity = new Option<string>("--severity") { Description = "low, medium, high, critical", Required = true };
        var lat = new Option<double>("--lat") { Description = "Latitude of the sighting", Required = true };
        var lon = new Option<double>("--lon") { Description = "Longitude of the sighting", Required = true };
        var direction = new Option<double?>("--direction") { Description = "Direction of travel, degrees from north" };
        var text = new Option<string?>("--text") { Description = "What was seen" };
        var raise = new Command("raise", "Raise an interdiction alert (a unit in its own sector, or the sector's command)")
        {
            sector, kind, severity, lat, lon, direction, text,
        };
        raise.SetAction(async (result, cancellationToken) =>
        {
            var request = new RaiseAlertRequest
            {
                Sector = result.GetValue(sector)!,
                Kind = Kebab.Parse<AlertKind>(result.GetValue(kind)!, "--kind"),
                Severity = Kebab.Parse<Severity>(result.GetValue(severity)!, "--severity"),
                Latitude = result.GetValue(lat),
                Longitude = result.GetValue(lon),
                Text = result.GetValue(text) ?? "",
            };
            if (result.GetValue(direction) is { } d) request.DirectionDeg = d;
            return await CallAsync(result, (client, t) => client.RaiseAlertAsync(request, cancellationToken: t), cancellationToken, printId: true);
        });

        var outcome = new Option<string>("--outcome") { Description = "apprehension, seizure, turned-back, lost-contact, false-alarm", Required = true };
        var resolveId = IdArgument();
        var resolve = new Command("resolve", "Resolve an alert with its outcome") { resolveId, outcome };
        resolve.SetAction((result, cancellationToken) => CallAsync(result, (client, t) => client.ResolveAlertAsync(
            new ResolveAlertRequest { AlertId = result.GetValue(resolveId), Outcome = Kebab.Parse<AlertOutcome>(result.GetValue(outcome)!, "--outcome") },
            cancellationToken: t), cancellationToken));

        var open = new Option<bool>("--open") { Description = "Only alerts not yet resolved or expired" };
        var listSector = new Option<string>("--sector") { Description = "Sector code, e.g. TCA", Required = true };
        var list = new Command("list", "List a sector's alerts") { listSector, open };
        list.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = GlobalOptions.CommandClient(result);
            using (channel)
            {
                var response = await client.ListAlertsAsync(
                    new ListAlertsRequest { Sector = result.GetValue(listSector)!, OpenOnly = result.GetValue(open) }, cancellationToken: cancellationToken);
                foreach (var alert in response.Alerts) output.Write(Render.AlertJson(alert), Render.AlertText(alert));
                if (response.Alerts.Count == 0 && !output.Json) output.Write(new { }, "no alerts");
            }

            return ExitCodes.Ok;
        });

        return new Command("alert", "Interdiction alerts")
        {
            raise,
            Step("ack", "Acknowledge an alert", (c, id, t) => c.AcknowledgeAlertAsync(new AlertRequest { AlertId = id }, cancellationToken: t)),
            Step("respond", "Mark an alert responding", (c, id, t) => c.RespondToAlertAsync(new AlertRequest { AlertId = id }, cancellationToken: t)),
            resolve,
            list,
        };
    }

    private static Argument<string> IdArgument() => new("alert-id") { Description = "The alert, e.g. TCA-A00001" };

    private static Command Step(string name, string description, Func<CommandService.CommandServiceClient, string, CancellationToken, Grpc.Core.AsyncUnaryCall<Alert>> call)
    {
        var id = IdArgument();
        var command = new Command(name, description) { id };
        command.SetAction((result, cancellationToken) => CallAsync(result, (client, t) => call(client, result.GetValue(id)!, t), cancellationToken));
        return command;
    }

    private static async Task<int> CallAsync(
        ParseResult result, Func<CommandService.CommandServiceClient, CancellationToken, Grpc.Core.AsyncUnaryCall<Alert>> call,
        CancellationToken cancellationToken, bool printId = false)
    {
        var (client, output, channel) = GlobalOptions.CommandClient(result);
        using (channel)
        {
            var alert = await call(client, cancellationToken);
            output.Write(Render.AlertJson(alert), printId ? alert.AlertId : Render.AlertText(alert));
        }

        return ExitCodes.Ok;
    }
}
