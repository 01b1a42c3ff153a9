using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Live;

/// <summary>
/// This hub instance's one observer of the sector logs it has subscribers in (the per-host observer of Orleans'
/// GPSTracker sample): each committed batch reaches the instance once, however many of its streams want it, and is
/// handed out here. Subscriptions to the logs are renewed until the hub stops.
/// </summary>
public sealed partial class FeedHub(IGrainFactory grains, IJournal journal, IOptions<HubOptions> options, ILogger<FeedHub> logger)
    : BackgroundService, ILogObserver
{
    /// <summary>How often each sector log is reminded of this instance: also how long, at most, a log activated anew
    /// (its silo stopped or failed) goes without telling it of new records; the renewal then catches up what it missed.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<SectorId, SectorFeeds> _sectors = new();
    private readonly Lock _referenceLock = new();
    private ILogObserver? _reference;

    /// <summary>Registers a subscription to <paramref name="feed"/>; records after its <see cref="FeedSubscription.LiveAfter"/> reach it.</summary>
    public async Task<FeedSubscription> SubscribeAsync(Feed feed)
    {
        var sector = await SectorAsync(feed.Log);
        var subscription = new FeedSubscription(journal, feed, options.Value.SubscriberQueueCapacity, sector.Remove);
        sector.Add(subscription);
        return subscription;
    }

    /// <summary>Where a stream starts: after <paramref name="resumeFrom"/>, or live when it is 0. A cursor past the end
    /// of the sector's log (from another sector, or a replaced journal) is refused rather than waited for.</summary>
    public async Task<long> StartingPointAsync(FeedSubscription subscription, ulong resumeFrom, string field = "resume_from")
    {
        if (resumeFrom == 0) return subscription.LiveAfter;
        if (resumeFrom > (ulong)subscription.LiveAfter)
        {
            var head = (await journal.ReadHeadAsync(subscription.Feed.Log)).Cursor;
            if (resumeFrom > (ulong)head)
            {
                throw new Grains.DomainValidationException(field,
                    $"{field} {resumeFrom} is past the end of sector {subscription.Feed.Log}'s log (cursor {head}); cursors count within one sector.");
            }
        }

        return (long)resumeFrom;
    }

    public Task OnBatch(LogBatch batch)
    {
        if (_sectors.TryGetValue(batch.Sector, out var feeds)) feeds.Dispatch(batch);
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SectorFeeds.ReorderWait);
        var renewed = Stopwatch.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var feeds in _sectors.Values) feeds.CheckGap();
                if (Stopwatch.GetElapsedTime(renewed) < RenewEvery) continue;
                renewed = Stopwatch.GetTimestamp();
                foreach (var (sector, feeds) in _sectors)
                {
                    if (!feeds.IsStarted) continue;
                    try
                    {
                        feeds.Renewed(await grains.SectorLog(sector).Subscribe(Reference()));
                    }
                    catch (Exception e) when (e is OrleansException or TimeoutException)
                    {
                        Log.RenewFailed(logger, e, sector);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        lock (_referenceLock)
        {
            if (_reference is not null) grains.DeleteObjectReference<ILogObserver>(_reference);
            _reference = null;
        }
    }

    private async Task<SectorFeeds> SectorAsync(SectorId sector)
    {
        var feeds = _sectors.GetOrAdd(sector, _ => new SectorFeeds());
        await feeds.StartOnceAsync(async () => (await grains.SectorLog(sector).Subscribe(Reference())).Head);
        return feeds;
    }

    private ILogObserver Reference()
    {
        lock (_referenceLock) return _reference ??= grains.CreateObjectReference<ILogObserver>(this);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Renewing the subscription to sector {Sector}'s log failed; retrying at the next renewal")]
        public static partial void RenewFailed(ILogger logger, Exception exception, SectorId sector);
    }
}
