namespace PatrolHub.Grains.Live;

/// <summary>
/// Items that arrive while a batch is being sent wait, and go together in the next one: a caller's items are sent in
/// the order given, and its call completes with their results once the last of them is done. A call's items may span
/// batches; if one of its batches fails, the call fails with that exception and its items not yet sent are dropped.
/// At most <paramref name="maxWaiting"/> items wait; past that an append is refused whole, with the exception
/// <paramref name="overloaded"/> makes of the number waiting.
/// </summary>
/// <param name="send">Sends one batch, of at most <paramref name="maxBatch"/> items, and gives one result per item in order.</param>
/// <param name="fromThreadPool">Whether the sending runs on the thread pool rather than on the scheduler of the append
/// that started it (a grain's own, whose state it may then touch).</param>
/// <remarks>A call completes on the sender's thread, not through the thread pool: its callers are grain turns, whose
/// continuations go to their own grain's scheduler whatever thread completes them, so a second hop would only add a
/// wait in the thread pool's queue to every item.</remarks>
internal sealed class GroupCommit<TItem, TResult>(
    Func<List<TItem>, Task<IReadOnlyList<TResult>>> send, int maxBatch, int maxWaiting, Func<int, Exception> overloaded, bool fromThreadPool)
{
    private readonly Lock _lock = new();
    private readonly Queue<Call> _waiting = [];
    private int _waitingItems;
    private bool _sending;

    public Task<TResult[]> Append(IReadOnlyList<TItem> items)
    {
        if (items.Count == 0) return Task.FromResult(Array.Empty<TResult>());
        var call = new Call(items);
        bool start;
        lock (_lock)
        {
            if (_waitingItems + items.Count > maxWaiting) throw overloaded(_waitingItems);
            _waiting.Enqueue(call);
            _waitingItems += items.Count;
            start = !_sending;
            _sending = true;
        }

        if (start) _ = fromThreadPool ? Task.Run(SendAsync) : SendAsync();
        return call.Done.Task;
    }

    private async Task SendAsync()
    {
        var parts = new List<(Call Call, int From, int Count)>();
        while (true)
        {
            // A new list each time: the sender may hold on to it (an in-silo grain call passes it as it is).
            var batch = new List<TItem>();
            parts.Clear();
            lock (_lock)
            {
                // Whole calls while they fit, then as much of the next as fits; what is taken stops waiting.
                while (batch.Count < maxBatch && _waiting.TryPeek(out var call))
                {
                    var count = Math.Min(call.Items.Count - call.Sent, maxBatch - batch.Count);
                    for (var i = call.Sent; i < call.Sent + count; i++) batch.Add(call.Items[i]);
                    parts.Add((call, call.Sent, count));
                    call.Sent += count;
                    if (call.Sent == call.Items.Count) _waiting.Dequeue();
                }

                _waitingItems -= batch.Count;
                if (batch.Count == 0)
                {
                    _sending = false;
                    return;
                }
            }

            IReadOnlyList<TResult> results;
            try
            {
                results = await send(batch);
            }
            catch (Exception e)
            {
                lock (_lock)
                {
                    // A call this batch split sends no more of its items: it has failed.
                    if (_waiting.TryPeek(out var split) && parts[^1].Call == split)
                    {
                        _waiting.Dequeue();
                        _waitingItems -= split.Items.Count - split.Sent;
                    }
                }

                foreach (var (call, _, _) in parts) call.Done.TrySetException(e);
                continue;
            }

            var at = 0;
            foreach (var (call, from, count) in parts)
            {
                for (var i = 0; i < count; i++) call.Results[from + i] = results[at + i];
                at += count;
                if (from + count == call.Items.Count) call.Done.TrySetResult(call.Results);
            }
        }
    }

    private sealed class Call(IReadOnlyList<TItem> items)
    {
        public IReadOnlyList<TItem> Items { get; } = items;
        public TResult[] Results { get; } = new TResult[items.Count];
        public TaskCompletionSource<TResult[]> Done { get; } = new();

        /// <summary>Items taken into batches so far.</summary>
        public int Sent;
    }
}
