namespace PatrolHub.Grains.Live;

/// <summary>
/// Items that arrive while a batch is being sent wait, and go together in the next one: a caller's items are sent in
/// the order given, and each completes with its own result once its batch is done (or with the batch's exception).
/// At most <paramref name="maxWaiting"/> items wait; past that an append is refused whole, with the exception
/// <paramref name="overloaded"/> makes of the number waiting.
/// </summary>
/// <param name="send">Sends one batch, of at most <paramref name="maxBatch"/> items, and gives one result per item in order.</param>
/// <param name="fromThreadPool">Whether the sending runs on the thread pool rather than on the scheduler of the append
/// that started it (a grain's own, whose state it may then touch).</param>
internal sealed class GroupCommit<TItem, TResult>(
    Func<List<TItem>, Task<IReadOnlyList<TResult>>> send, int maxBatch, int maxWaiting, Func<int, Exception> overloaded, bool fromThreadPool)
{
    private readonly Lock _lock = new();
    private List<(TItem Item, TaskCompletionSource<TResult> Done)> _waiting = [];
    private bool _sending;

    public Task<TResult[]> Append(IReadOnlyList<TItem> items)
    {
        var done = new Task<TResult>[items.Count];
        var start = false;
        lock (_lock)
        {
            if (_waiting.Count + items.Count > maxWaiting) throw overloaded(_waiting.Count);
            for (var i = 0; i < items.Count; i++)
            {
                var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((items[i], completion));
                done[i] = completion.Task;
            }

            start = !_sending;
            _sending = true;
        }

        if (start) _ = fromThreadPool ? Task.Run(SendAsync) : SendAsync();
        return Task.WhenAll(done);
    }

    private async Task SendAsync()
    {
        while (true)
        {
            List<(TItem Item, TaskCompletionSource<TResult> Done)> batch;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    _sending = false;
                    return;
                }

                if (_waiting.Count <= maxBatch)
                {
                    (batch, _waiting) = (_waiting, []);
                }
                else
                {
                    batch = _waiting.GetRange(0, maxBatch);
                    _waiting.RemoveRange(0, maxBatch);
                }
            }

            try
            {
                var results = await send([.. batch.Select(b => b.Item)]);
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var (_, done) in batch) done.TrySetException(e);
            }
        }
    }
}
