using System.Threading.Channels;
using PatrolHub.Grains.Live;

namespace PatrolHub.Grains.Tests;

public sealed class GroupCommitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A sender whose batches the test sees arrive and then lets finish, one at a time. The first append starts
    /// sending at once and its batch stays unfinished until the test says, so what is appended next waits for the
    /// following batch.</summary>
    private sealed class Sender
    {
        private readonly Channel<(List<int> Batch, TaskCompletionSource<IReadOnlyList<string>> Done)> _batches = Channel.CreateUnbounded<(List<int>, TaskCompletionSource<IReadOnlyList<string>>)>();

        public Task<IReadOnlyList<string>> SendAsync(List<int> batch)
        {
            var done = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
            _batches.Writer.TryWrite((batch, done));
            return done.Task;
        }

        /// <summary>Waits for the next batch and completes it with a result per item, or fails it.</summary>
        public async Task<List<int>> NextAsync(Exception? failure = null)
        {
            var (batch, done) = await _batches.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
            if (failure is null) done.SetResult([.. batch.Select(i => $"r{i}")]);
            else done.SetException(failure);
            return batch;
        }

        public bool Idle => !_batches.Reader.TryPeek(out _);
    }

    private static GroupCommit<int, string> Create(Sender sender, int maxBatch = 100, int maxWaiting = 1000) =>
        new(sender.SendAsync, maxBatch, maxWaiting, waiting => new InvalidOperationException($"{waiting} waiting"), fromThreadPool: false);

    [Fact]
    public async Task Calls_arriving_while_a_batch_is_sent_go_together_in_the_next_each_with_its_own_results()
    {
        var sender = new Sender();
        var commit = Create(sender);
        var first = commit.Append([1]);
        var second = commit.Append([2, 3]);
        var third = commit.Append([4]);

        Assert.Equal([1], await sender.NextAsync());
        Assert.Equal(["r1"], await first.WaitAsync(Timeout));
        Assert.Equal([2, 3, 4], await sender.NextAsync());
        Assert.Equal(["r2", "r3"], await second.WaitAsync(Timeout));
        Assert.Equal(["r4"], await third.WaitAsync(Timeout));
        Assert.Empty(await commit.Append([]));
    }

    [Fact]
    public async Task A_call_larger_than_a_batch_spans_batches_and_completes_with_the_last()
    {
        var sender = new Sender();
        var commit = Create(sender, maxBatch: 3);
        var first = commit.Append([1]);
        var large = commit.Append([2, 3, 4, 5, 6]);
        var after = commit.Append([7]);

        Assert.Equal([1], await sender.NextAsync());
        Assert.Equal([2, 3, 4], await sender.NextAsync());
        Assert.False(large.IsCompleted);
        Assert.Equal([5, 6, 7], await sender.NextAsync());
        Assert.Equal(["r2", "r3", "r4", "r5", "r6"], await large.WaitAsync(Timeout));
        Assert.Equal(["r7"], await after.WaitAsync(Timeout));
        await first;
    }

    [Fact]
    public async Task A_failed_batch_fails_its_calls_and_a_call_it_split_sends_no_more()
    {
        var sender = new Sender();
        var commit = Create(sender, maxBatch: 3);
        var first = commit.Append([1]);
        var before = commit.Append([2]);
        var split = commit.Append([3, 4, 5, 6]);
        var after = commit.Append([7]);

        await sender.NextAsync();
        Assert.Equal([2, 3, 4], await sender.NextAsync(new IOException("store away")));
        await Assert.ThrowsAsync<IOException>(() => before.WaitAsync(Timeout));
        await Assert.ThrowsAsync<IOException>(() => split.WaitAsync(Timeout));
        Assert.Equal([7], await sender.NextAsync());
        Assert.Equal(["r7"], await after.WaitAsync(Timeout));
        Assert.True(sender.Idle);
        await first;
    }

    [Fact]
    public async Task Past_the_waiting_limit_an_append_is_refused_whole()
    {
        var sender = new Sender();
        var commit = Create(sender, maxWaiting: 3);
        var sending = commit.Append([1, 2, 3]);
        var waiting = commit.Append([4, 5]);

        var refused = Assert.Throws<InvalidOperationException>(() => { _ = commit.Append([6, 7]); });
        Assert.Equal("2 waiting", refused.Message);
        var fits = commit.Append([6]);

        Assert.Equal([1, 2, 3], await sender.NextAsync());
        Assert.Equal([4, 5, 6], await sender.NextAsync());
        await Task.WhenAll(sending, waiting, fits).WaitAsync(Timeout);
    }
}
