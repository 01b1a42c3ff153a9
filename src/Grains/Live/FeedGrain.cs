using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Live;

/// <summary>A grain with a feed: hub instances subscribe observers, renew them, and they expire when renewals stop.</summary>
public abstract class FeedGrain(ILogger logger) : Grain, IFeedGrain
{
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);

    private readonly ObserverManager<IFeedObserver> _observers = new(Expiry, logger);

    public Task<bool> Subscribe(IFeedObserver observer)
    {
        var known = _observers.Observers.ContainsKey(observer);
        _observers.Subscribe(observer, observer);
        return Task.FromResult(known);
    }

    public Task Unsubscribe(IFeedObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    /// <summary>Pushes a recorded event to every subscriber; never waits for them.</summary>
    protected void Publish(JournalRecord record) => _observers.Notify(o => o.OnEvent(record));
}
