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
}
