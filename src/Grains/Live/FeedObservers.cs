using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Live;

/// <summary>A grain's subscribers: renewed by the hub, expired when it stops renewing.</summary>
public sealed class FeedObservers(ILogger logger)
{
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);

    private readonly ObserverManager<IFeedObserver> _observers = new(Expiry, logger);

    public bool Subscribe(IFeedObserver observer)
    {
        var known = _observers.Observers.ContainsKey(observer);
        _observers.Subscribe(observer, observer);
        return known;
    }

    public void Unsubscribe(IFeedObserver observer) => _observers.Unsubscribe(observer);

    public void Publish(JournalRecord record) => _observers.Notify(o => o.OnEvent(record));
}
