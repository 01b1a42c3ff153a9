using System.Security.Cryptography.X509Certificates;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>
/// Records security events in the hub's security log. What is reported within one <see cref="Interval"/> is gathered
/// by (action, subject, detail) and recorded once with its count, so a flood of refusals costs one record and one
/// warning per interval, not one per refused message. At most <see cref="MaxDistinct"/> distinct events are held per
/// interval; the rest are counted in one summary.
/// </summary>
public sealed partial class SecurityAudit(IGrainFactory grains, TimeProvider time, ILogger<SecurityAudit> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int MaxDistinct = 10_000;

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Dictionary<(string Action, string Subject, string Detail), Gathered> _gathered = [];
    private Dictionary<ReleaseKey, Release> _released = [];
    private int _overflow;

    public void Record(string action, Identity subject, string detail, params Nation[] also) =>
        Record(action, subject.Name, [subject.Nation, .. also], detail);

    public void CertificateRefused(X509Certificate2 certificate, string reason, string method) =>
        Record(SecurityEvent.CertificateRefused, certificate.Subject, [Nation.US, Nation.MX], $"{method}: {reason}");

    public void Record(string action, string subject, IReadOnlyList<Nation> nations, string detail)
    {
        lock (_lock)
        {
            var key = (action, subject, detail);
            if (_gathered.TryGetValue(key, out var gathered)) gathered.Count++;
            else if (_gathered.Count < MaxDistinct) _gathered[key] = new Gathered(nations.Distinct().ToArray(), time.GetUtcNow());
            else _overflow++;
        }
    }

    /// <summary>Notes in <paramref name="owner"/>'s release log that <paramref name="recipient"/> was given one of its
    /// units' records (at <paramref name="cursor"/>, or 0 for an alert as it stands) under <paramref name="terms"/>. Releases are summarised per interval: to whom, over which
    /// channel, how many and which cursors. Deliveries to partners are summarised per sector, since each position
    /// names the partner it went to.</summary>
    public void Released(Nation owner, Identity recipient, string channel, SectorId sector, long cursor, ReleaseTerms terms)
    {
        // On every delivery to a partner: the key is built without allocating, and named when recorded.
        var key = new ReleaseKey(owner, recipient.Role == Role.Unit ? null : recipient, recipient.Nation, channel, sector, terms);
        lock (_lock)
        {
            if (_released.TryGetValue(key, out var release)) release.Add(cursor);
            else if (_released.Count < MaxDistinct) _released[key] = new Release(cursor, time.GetUtcNow());
            else _overflow++;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync();
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is gathered is recorded below.
        }

        await FlushAsync();
    }

    /// <summary>Records what was gathered since the last flush; completes once it is in the journal, after any
    /// flush already under way.</summary>
    public async Task FlushAsync()
    {
        await _flushing.WaitAsync();
        try
        {
            await FlushGatheredAsync();
        }
        finally
        {
            _flushing.Release();
        }
    }

    private async Task FlushGatheredAsync()
    {
        Dictionary<(string Action, string Subject, string Detail), Gathered> gathered;
        Dictionary<ReleaseKey, Release> released;
        int overflow;
        lock (_lock)
        {
            (gathered, _gathered) = (_gathered, []);
            (released, _released) = (_released, []);
            (overflow, _overflow) = (_overflow, 0);
        }

        var events = gathered.Select(g => new SecurityEvent(g.Key.Action, g.Key.Subject, g.Value.Nations, g.Key.Detail, g.Value.Count, g.Value.First)).ToList();
        events.AddRange(released.Select(r => new SecurityEvent(
            SecurityEvent.Released, r.Key.Recipient?.Name ?? $"{r.Key.RecipientNation} partners in {r.Key.Sector}", [r.Key.Owner],
            $"{r.Value.Count} records of {r.Key.Owner} units in {r.Key.Sector} by {r.Key.Channel}{r.Value.Cursors}, {r.Key.Terms}",
            r.Value.Count, r.Value.First)));
        if (overflow > 0)
            events.Add(new SecurityEvent(SecurityEvent.LimitRefused, "hub", [Nation.US, Nation.MX], $"{overflow} further security events in one interval, past the {MaxDistinct} distinct ones recorded", overflow, time.GetUtcNow() - Interval));
        if (events.Count == 0) return;
        foreach (var e in events.Where(e => e.Action != SecurityEvent.Released))
            Log.Event(logger, e.Action is SecurityEvent.Pairing or SecurityEvent.SharingPolicy ? LogLevel.Information : LogLevel.Warning, e.Action, e.Subject, e.Count, e.Detail);
        try
        {
            await grains.GetGrain<ISectorLogGrain>(SecurityEvent.Log.Value).AppendMany(events);
        }
        catch (Exception e)
        {
            Log.Unrecorded(logger, e, events.Count);
        }
    }

    /// <summary>Whose data went to whom, how and under what terms; partners (units) are one recipient per nation and sector.</summary>
    private readonly record struct ReleaseKey(Nation Owner, Identity? Recipient, Nation RecipientNation, string Channel, SectorId Sector, ReleaseTerms Terms);

    private sealed class Release(long cursor, DateTimeOffset first)
    {
        public DateTimeOffset First { get; } = first;
        private long _low = cursor > 0 ? cursor : long.MaxValue;
        private long _high = cursor;

        public int Count { get; private set; } = 1;

        public string Cursors => _high == 0 ? "" : _low == _high ? $", cursor {_low}" : $", cursors {_low}–{_high}";

        public void Add(long cursor)
        {
            if (cursor > 0)
            {
                _low = Math.Min(_low, cursor);
                _high = Math.Max(_high, cursor);
            }

            Count++;
        }
    }

    private sealed class Gathered(Nation[] nations, DateTimeOffset first)
    {
        public Nation[] Nations { get; } = nations;
        public DateTimeOffset First { get; } = first;
        public int Count { get; set; } = 1;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Message = "Security: {Action} {Subject} ×{Count}: {Detail}")]
        public static partial void Event(ILogger logger, LogLevel level, string action, string subject, int count, string detail);

        [LoggerMessage(2, LogLevel.Error, "{Count} security events could not be recorded in the journal")]
        public static partial void Unrecorded(ILogger logger, Exception exception, int count);
    }
}
