namespace PatrolHub.Client.Connection;

/// <summary>
/// Which of a cluster's addresses a resuming client tries next, and how long it waits first. After a failure the
/// client moves to the next address within a moment; only once every address has failed since the last success does
/// it back off (<see cref="Retry.Delay"/>), and the backoff grows by rounds, not by tries. So when a silo is killed,
/// the tries refused by the dead address do not lengthen the waits for the live one. With one address, every failure
/// is a round: plain backoff.
/// </summary>
public sealed class Failover(int addresses, Random? random = null)
{
    private static readonly TimeSpan Hop = TimeSpan.FromMilliseconds(500);
    private readonly Random _random = random ?? Random.Shared;
    private int _failedThisRound;
    private int _rounds;

    /// <summary>The address to try: an index into the addresses the client was given.</summary>
    public int Current { get; private set; }

    /// <summary>The address answered; the next failure starts from short waits again.</summary>
    public void Succeeded() => (_failedThisRound, _rounds) = (0, 0);

    /// <summary>The current address failed: moves to the next and returns how long to wait before trying it. A hop
    /// within a round waits up to <see cref="Hop"/>, at random, so that clients dropped together do not arrive together.</summary>
    public TimeSpan Failed(Exception? failure)
    {
        Current = (Current + 1) % addresses;
        if (++_failedThisRound < addresses) return Hop * _random.NextDouble();
        _failedThisRound = 0;
        return Retry.Delay(_rounds++, failure, _random);
    }
}
