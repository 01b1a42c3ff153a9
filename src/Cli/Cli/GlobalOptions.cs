using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

/// <summary>Options every verb takes, each with an environment variable behind it.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Hub = new("--hub")
    {
        Description = "Hub URL, or several silos of a cluster separated by commas: units and simulate move to the next when one fails (env PATROLHUB_HUB)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PATROLHUB_HUB") ?? HubConnectionOptions.DefaultHub,
    };

    public static readonly Option<string?> Identity = new("--identity")
    {
        Description = "Client certificate with key, a PFX file (env PATROLHUB_IDENTITY)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PATROLHUB_IDENTITY"),
    };

    public static readonly Option<string> Ca = new("--ca")
    {
        Description = "CA certificate that issued the hub's certificate (env PATROLHUB_CA)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PATROLHUB_CA") ?? HubConnectionOptions.DefaultCa,
    };

    public static readonly Option<string> Certs = new("--certs")
    {
        Description = "Development PKI folder (CA keys and issued identities)",
        Recursive = true,
        DefaultValueFactory = _ => "data/certs",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object per line",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        foreach (var option in new Option[] { Hub, Identity, Ca, Certs, Json }) root.Options.Add(option);
    }

    public static HubConnectionOptions Connection(ParseResult result, bool requireIdentity = true)
    {
        var identity = result.GetValue(Identity);
        if (requireIdentity && identity is null)
            throw new UsageException("no identity: pass --identity FILE.pfx or set PATROLHUB_IDENTITY.");
        return HubConnectionOptions.Load(result.GetValue(Hub)!, identity, result.GetValue(Ca)!);
    }

    /// <summary>A command-service client on a channel the caller disposes.</summary>
    public static (CommandService.CommandServiceClient Client, Output Output, GrpcChannel Channel) CommandClient(ParseResult result)
    {
        var channel = Connection(result).CreateChannel();
        return (new CommandService.CommandServiceClient(channel), Output(result), channel);
    }

    public static Output Output(ParseResult result) => new(result.GetValue(Json), Console.Out);

    public static DevelopmentPki Pki(ParseResult result) => new(result.GetValue(Certs)!);

    /// <summary>The unit id in an identity certificate's SAN URI, if it is a unit's.</summary>
    public static string? UnitIdOf(X509Certificate2? certificate)
    {
        const string prefix = "urn:patrolhub:unit:";
        var uri = certificate is null ? null : SubjectAlternativeNames.Uris(certificate)
            .FirstOrDefault(u => u.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        return uri?[prefix.Length..];
    }
}
