using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Journal;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Tests;

/// <summary>The real hub in this process: Kestrel with TLS and client certificates on a loopback port the OS
/// chose, its Orleans silo, and a SQLite journal in a fresh folder, with the development PKI it creates. The shared
/// hub of the <see cref="HubCollection"/>, or, with settings of its own, a test class's private hub.</summary>
public sealed class HubFixture : IAsyncLifetime
{
    public static readonly TimeSpan CriticalDeadline = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyDictionary<string, string> _settings;

    // Short enough for a test to watch a CRITICAL alert escalate in real time.
    public HubFixture()
        : this("hub", new Dictionary<string, string> { ["Alerts:CriticalDeadline"] = CriticalDeadline.ToString() })
    {
    }

    internal HubFixture(string name, IReadOnlyDictionary<string, string> settings)
    {
        DataPath = Directory.CreateTempSubdirectory($"patrolhub-{name}-").FullName;
        _settings = settings;
    }

    public string DataPath { get; }

    public WebApplication App { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    /// <summary>The hub's journal, counting feed reads.</summary>
    public CountingJournal Journal => App.Services.GetRequiredService<CountingJournal>();

    public DevelopmentPki Pki => new(Path.Combine(DataPath, "certs"));

    public HubConnectionOptions Connection => HubConnectionOptions.Load(Address.ToString(), null, Pki.PathOf(DevelopmentPki.HubCa));

    public async Task InitializeAsync()
    {
        (App, Address) = await StartAsync(DataPath, builder =>
        {
            foreach (var (key, value) in _settings) builder.Configuration[key] = value;
            builder.Services.AddSingleton(sp => new CountingJournal(sp.GetRequiredService<SqlJournal>()));
            builder.Services.AddSingleton<IJournal>(sp => sp.GetRequiredService<CountingJournal>());
        });
    }

    /// <summary>Starts a hub on a loopback port the OS chooses, with its data in <paramref name="dataPath"/>.</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(string dataPath, Action<WebApplicationBuilder> configure)
    {
        var app = HubApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(Settings(dataPath));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            configure(builder);
        });
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single(a => a.StartsWith("https:", StringComparison.Ordinal))));
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(DataPath, recursive: true);
    }

    /// <summary>GETs a path of one of the hub's plain-HTTP operator ports: the status code and the body.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var response = await http.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>One check of a <c>GET /health</c> answer: its status, description and data.</summary>
    public static System.Text.Json.JsonElement HealthCheck(string health, string name) =>
        System.Text.Json.JsonDocument.Parse(health).RootElement.GetProperty("checks").GetProperty(name);

    /// <summary>A channel presenting a freshly issued identity.</summary>
    public GrpcChannel Channel(IdentitySpec identity) => Connection.CreateChannel(Pki.IssueInMemory(identity));

    public static Dictionary<string, string?> Settings(string dataPath, int port = 0) => new()
    {
        ["Hub:Url"] = $"https://127.0.0.1:{port}",
        ["Hub:DataPath"] = dataPath,
        // The operator's ports have fixed defaults; a test that looks at them gives them free ports.
        ["Hub:HealthUrl"] = "",
        ["Hub:DashboardUrl"] = "",
        // The shared hub's tests pipeline hundreds of positions per unit; the limits have tests of their own.
        ["Security:PositionsPerSecond"] = "100000",
        ["Security:PositionBurst"] = "100000",
        ["Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A loopback port free now for a server to bind. Taken above the OS's ephemeral range, not from it:
    /// the port is released before the server binds it, and meanwhile any of the tests' outgoing connections could
    /// take an ephemeral one as its source port. Each call in this process gets a different port.</summary>
    public static int FreePort()
    {
        lock (PortLock)
        {
            for (var tries = 0; tries < Ports.Count; tries++)
            {
                var port = Ports.First + (_nextPort++ % Ports.Count);
                if (CanBind(port)) return port;
            }
        }

        throw new InvalidOperationException($"No free loopback port in {Ports.First}-{Ports.First + Ports.Count - 1}.");
    }

    private static readonly Lock PortLock = new();
    private static readonly (int First, int Count) Ports = AboveEphemeral();

    // A random first port, so two test processes at once rarely try the same ones.
    private static int _nextPort = Random.Shared.Next(Ports.Count);

    /// <summary>The ports above the ephemeral range, or 12000-21999 where that range reaches the top: then no port is
    /// safe from source ports, and those at least miss the hub's and the test services' default ports.</summary>
    private static (int First, int Count) AboveEphemeral()
    {
        const string path = "/proc/sys/net/ipv4/ip_local_port_range";
        var top = File.Exists(path)
            ? int.Parse(File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture)
            : 60999;
        return top <= 64535 ? (top + 1, 65535 - top) : (12000, 10000);
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
