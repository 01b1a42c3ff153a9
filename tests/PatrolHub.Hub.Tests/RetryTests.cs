using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using PatrolHub.Client.Connection;

namespace PatrolHub.Hub.Tests;

public sealed class RetryTests
{
    [Fact]
    public void Backoff_doubles_up_to_its_cap_with_jitter_that_spreads_clients_apart()
    {
        var random = new Random(7);
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var step = Math.Min(15_000, 1000 * Math.Pow(2, attempt));
            var delays = Enumerable.Range(0, 200).Select(_ => Retry.Backoff(attempt, random).TotalMilliseconds).ToList();
            Assert.All(delays, d => Assert.InRange(d, step / 2, step));
            // Two hundred clients dropped together come back over the whole second half of the step, not at one instant.
            Assert.True(delays.Max() - delays.Min() > step * 0.4, $"attempt {attempt}: spread {delays.Max() - delays.Min()} ms");
        }
    }

    [Fact]
    public void A_retry_after_hint_is_never_undercut()
    {
        var refused = new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = "busy",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(4)) }) },
        }.ToRpcException();
        var random = new Random(3);

        Assert.Equal(TimeSpan.FromSeconds(4), Retry.RetryAfter(refused));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.InRange(Retry.Delay(0, refused, random), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6)));
        Assert.InRange(Retry.Delay(0, new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "gone")), random), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(1000));
    }

    [Fact]
    public void Failover_hops_to_the_next_address_at_once_and_backs_off_by_rounds_so_a_dead_silo_does_not_slow_the_live_one()
    {
        var gone = new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "gone"));
        var failover = new Failover(2, new Random(5));
        var waits = new List<(int Next, TimeSpan Wait)>();
        for (var i = 0; i < 8; i++)
        {
            var wait = failover.Failed(gone);
            waits.Add((failover.Current, wait));
        }

        // Hops alternate with backoffs that double per round: 0.5-1 s, 1-2 s, 2-4 s, 4-8 s.
        Assert.Equal([1, 0, 1, 0, 1, 0, 1, 0], waits.Select(w => w.Next));
        for (var round = 0; round < 4; round++)
        {
            Assert.InRange(waits[2 * round].Wait, TimeSpan.Zero, TimeSpan.FromMilliseconds(500));
            var step = TimeSpan.FromSeconds(Math.Pow(2, round));
            Assert.InRange(waits[(2 * round) + 1].Wait, step / 2, step);
        }

        // An answer starts the waits over.
        failover.Succeeded();
        failover.Failed(gone);
        Assert.InRange(failover.Failed(gone), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));

        // One address: every failure is a round.
        var single = new Failover(1, new Random(5));
        Assert.InRange(single.Failed(gone), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        Assert.InRange(single.Failed(gone), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(0, single.Current);
    }
}
