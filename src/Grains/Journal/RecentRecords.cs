namespace PatrolHub.Grains.Journal;

/// <summary>The newest records in memory, so a subscriber catching up a few events never touches the file.</summary>
internal sealed class RecentRecords(int capacity, long firstCursor)
{
    private readonly JournalRecord?[] _ring = new JournalRecord?[capacity];
    private readonly Lock _lock = new();
    private long _from = firstCursor;
    private long _to = firstCursor - 1;

    public void Add(IEnumerable<JournalRecord> records)
    {
        lock (_lock)
        {
            foreach (var record in records)
            {
                _ring[record.Cursor % capacity] = record;
                _to = record.Cursor;
                _from = Math.Max(_from, _to - capacity + 1);
            }
        }
    }

    /// <summary>Serves a read only when every cursor it needs is still held.</summary>
    public bool TryRead(long after, long before, int limit, Func<HubEvent, bool> filter, out IReadOnlyList<JournalRecord> records)
    {
        lock (_lock)
        {
            if (after + 1 < _from)
            {
                records = [];
                return false;
            }

            var list = new List<JournalRecord>();
            for (var cursor = after + 1; cursor < before && cursor <= _to && list.Count < limit; cursor++)
            {
                var record = _ring[cursor % capacity]!;
                if (filter(record.Event)) list.Add(record);
            }

            records = list;
            return true;
        }
    }
}
