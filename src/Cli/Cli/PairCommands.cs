using System.CommandLine;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

internal static class PairCommands
{
    public static Command Build()
    {
        var us = new Option<string>("--us") { Description = "The U.S. unit", Required = true };
        var mx = new Option<string>("--mx") { Description = "The Mexican unit", Required = true };
        var propose = new Command("propose", "Propose a mirrored pair (your nation's command); the other nation's command accepts it") { us, mx };
        propose.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = GlobalOptions.CommandClient(result);
            using (channel)
            {
                var pair = await client.ProposePairAsync(new ProposePairRequest { UsUnit = result.GetValue(us), MxUnit = result.GetValue(mx) }, cancellationToken: cancellationToken);
                output.Write(Render.PairJson(pair), pair.PairId);
            }

            return ExitCodes.Ok;
        });

        var all = new Option<bool>("--all") { Description = "Include dissolved pairs" };
        var sector = new Option<string>("--sector") { Description = "Sector code", DefaultValueFactory = _ => "TCA" };
        var list = new Command("list", "List a sector's pairs") { sector, all };
        list.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = GlobalOptions.CommandClient(result);
            using (channel)
            {
                var response = await client.ListPairsAsync(
                    new ListPairsRequest { Sector = result.GetValue(sector), IncludeDissolved = result.GetValue(all) }, cancellationToken: cancellationToken);
                foreach (var pair in response.Pairs) output.Write(Render.PairJson(pair), Render.PairText(pair));
                if (response.Pairs.Count == 0 && !output.Json) output.Write(new { }, "no pairs");
            }

            return ExitCodes.Ok;
        });

        return new Command("pair", "Mirrored pairs")
        {
            propose,
            Transition("accept", "Accept a pair the other nation proposed", (c, r, t) => c.AcceptPairAsync(r, cancellationToken: t)),
            Transition("dissolve", "Dissolve a pair", (c, r, t) => c.DissolvePairAsync(r, cancellationToken: t)),
            list,
        };
    }

    private static Command Transition(string name, string description,
        Func<CommandService.CommandServiceClient, PairRequest, CancellationToken, Grpc.Core.AsyncUnaryCall<Pair>> call)
    {
        var id = new Argument<string>("pair-id") { Description = "The pair, e.g. TCA-P0001" };
        var command = new Command(name, description) { id };
        command.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = GlobalOptions.CommandClient(result);
            using (channel)
            {
                var pair = await call(client, new PairRequest { PairId = result.GetValue(id) }, cancellationToken);
                output.Write(Render.PairJson(pair), Render.PairText(pair));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
