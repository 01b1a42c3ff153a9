using PatrolHub.Client.Connection;
using PatrolHub.Client.Pki;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Geo;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Demo;

/// <summary>With --demo, drives simulated mirrored pairs in every sector through the hub's own public API.</summary>
internal sealed partial class DemoService(
    IServer server, IHostApplicationLifetime lifetime, IOptions<HubOptions> options, ILogger<DemoService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        await started.Task.WaitAsync(stoppingToken);

        var address = server.Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var pki = new DevelopmentPki(Path.Combine(options.Value.DataPath, "certs"));
        var connection = HubConnectionOptions.Load(address.Replace("[::]", "localhost", StringComparison.Ordinal), null, pki.PathOf(DevelopmentPki.HubCa));
        var pairs = options.Value.DemoPairs;
        Log.Starting(logger, pairs, SectorCatalog.Default.All.Count);
        var runs = SectorCatalog.Default.All.Select(sector => RunSectorAsync(connection, pki, sector.Id.Value, pairs, stoppingToken));
        await Task.WhenAll(runs);
    }

    private async Task RunSectorAsync(HubConnectionOptions connection, DevelopmentPki pki, string sector, int pairs, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await new PatrolHub.Client.Simulation.Simulation(connection, pki)
                    .RunAsync(sector, pairs, rateHz: 1, Timeout.InfiniteTimeSpan, cancellationToken: stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.Failed(logger, e, sector);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Demo: driving {Pairs} simulated mirrored pairs in each of {Sectors} sectors")]
        public static partial void Starting(ILogger logger, int pairs, int sectors);

        [LoggerMessage(2, LogLevel.Warning, "Demo: the simulation in {Sector} stopped; restarting")]
        public static partial void Failed(ILogger logger, Exception exception, string sector);
    }
}
