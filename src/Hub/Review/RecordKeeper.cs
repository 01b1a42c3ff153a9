using Microsoft.Extensions.Options;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Journal;
using PatrolHub.Hub.Security;

namespace PatrolHub.Hub.Review;

/// <summary>Every <see cref="ReviewOptions.CheckpointInterval"/>, prunes what the retention policy no longer keeps, each
/// pruned run replaced by a checkpoint signed with the hub's own certificate, then signs the head of every sector's log
/// that has grown since its last checkpoint; on shutdown, signs the heads once more.</summary>
internal sealed partial class RecordKeeper(
    IJournal journal, HubCertificates certificates, TimeProvider time, IOptions<ReviewOptions> options, ILogger<RecordKeeper> logger)
    : BackgroundService
{
    private readonly Dictionary<Grains.Ids.SectorId, long> _signed = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var sector in SectorCatalog.Default.All)
        {
            var checkpoints = await journal.ReadCheckpointsAsync(sector.Id, stoppingToken);
            _signed[sector.Id] = checkpoints.Count == 0 ? 0 : checkpoints[^1].Cursor;
        }

        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await PruneAsync(stoppingToken);
                await SignAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync signs the last heads.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_signed.Count > 0) await SignAsync(cancellationToken);
    }

    /// <summary>Prunes each sector by the retention policy; a failure is logged and retried at the next interval.</summary>
    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Retention.Count == 0) return;
        var now = time.GetUtcNow();
        var cutoffs = options.Value.Retention.ToDictionary(r => r.Key, r => now - r.Value);
        try
        {
            foreach (var sector in SectorCatalog.Default.All.Select(s => s.Id))
            {
                var pruned = await journal.PruneAsync(
                    sector, cutoffs, (first, last) => Checkpoint.Sign(sector, last, time.GetUtcNow(), certificates.Server, prunedFrom: first), cancellationToken);
                if (pruned > 0) Log.Pruned(logger, pruned, sector.Value);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.PruneFailed(logger, e);
        }
    }

    /// <summary>Signs the heads that moved; a failure is logged and retried at the next interval.</summary>
    internal async Task SignAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var sector in SectorCatalog.Default.All.Select(s => s.Id))
            {
                var head = await journal.ReadHeadAsync(sector, cancellationToken);
                if (head.Cursor <= _signed.GetValueOrDefault(sector)) continue;
                await journal.AddCheckpointAsync(Checkpoint.Sign(sector, head, time.GetUtcNow(), certificates.Server), cancellationToken);
                _signed[sector] = head.Cursor;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Failed(logger, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not sign the journal's checkpoints; trying again at the next interval")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Information, "Pruned {Count} records of sector {Sector} under the retention policy")]
        public static partial void Pruned(ILogger logger, long count, string sector);

        [LoggerMessage(3, LogLevel.Warning, "Could not prune the journal; trying again at the next interval")]
        public static partial void PruneFailed(ILogger logger, Exception exception);
    }
}
