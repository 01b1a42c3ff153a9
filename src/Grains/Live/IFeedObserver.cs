using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Live;

/// <summary>Held by the hub instance that serves a subscriber's stream; grains push recorded events to it.</summary>
[Alias("patrolhub.feed-observer")]
public interface IFeedObserver : IGrainObserver
{
    [OneWay, Alias("on-event")]
    Task OnEvent(JournalRecord record);
}

/// <summary>A grain that fans its feed out to observers. Subscriptions expire unless renewed.</summary>
[Alias("patrolhub.feed-grain")]
public interface IFeedGrain : IGrainWithStringKey
{
    /// <summary>Subscribes or renews. Returns false when the grain did not know the observer (new, expired,
    /// or lost when the grain was reactivated), so the caller can catch up from the journal.</summary>
    [Alias("subscribe")]
    Task<bool> Subscribe(IFeedObserver observer);

    [Alias("unsubscribe")]
    Task Unsubscribe(IFeedObserver observer);
}
