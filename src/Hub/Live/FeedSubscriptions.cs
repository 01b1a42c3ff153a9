using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;

namespace PatrolHub.Hub.Live;

/// <summary>Starts live subscriptions for the streams this hub instance serves.</summary>
public sealed class FeedSubscriptions(IGrainFactory grains, IJournal journal, IConfiguration configuration)
{
    /// <summary>Events other than positions a subscriber may fall behind by before its stream is ended.</summary>
    private readonly int _capacity = configuration.GetValue("Hub:SubscriberQueueCapacity", 1024);

    public IJournal Journal => journal;

    public Task<FeedSubscription> StartAsync(IFeedGrain grain, Feed feed) =>
        FeedSubscription.StartAsync(grains, journal, grain, feed, _capacity);
}
