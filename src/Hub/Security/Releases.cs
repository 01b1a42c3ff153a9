using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using PatrolHub.Grains;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Sectors;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Hosting;
using PatrolHub.Hub.Mapping;

namespace PatrolHub.Hub.Security;

/// <summary>
/// What a recipient is given of the record: what the authorization matrix lets it see (<see cref="Access"/>), as the
/// owning nation's sharing policy releases it (<see cref="SharingPolicy"/>), with every release to the other nation
/// noted in the owning nation's release log. Unit streams, sector watches, sector status, alert replies, replay and
/// export all go through here. The policy comes from the <c>Sharing</c> settings, <c>DATA/sharing.json</c> among them:
/// a change takes effect without a restart and is audited; a change that is not valid is refused, audited and logged,
/// and the policy before it stays in force. In a cluster (a PostgreSQL journal) the silos share one policy: a nation's
/// terms changed in one silo's settings are set in the database, and every silo takes each nation's latest terms from
/// there, checked every <see cref="CheckInterval"/>. A silo starting takes the terms the cluster holds, so one started
/// with old settings never undoes a change made through another; it gives the cluster its own only for a nation the
/// cluster has none for.
/// </summary>
public sealed partial class Releases : BackgroundService
{
    /// <summary>The file each nation's policy may be written in, under the data path.</summary>
    public const string FileName = "sharing.json";

    /// <summary>How often the policy file is looked at for changes.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly IOptionsMonitor<SharingPolicy> _monitor;
    private readonly IConfiguration _configuration;
    private readonly string _file;
    private readonly IJournal _journal;
    private readonly SecurityAudit _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<Releases> _logger;
    private readonly PostgresJournal? _cluster;
    private readonly string _silo;
    private readonly Lock _gate = new();
    private readonly Dictionary<Nation, long> _versions = [];
    private readonly HashSet<Nation> _unshared = [];
    private SharingPolicy _policy;
    private SharingPolicy _local;
    private (DateTime, long) _seen;

    public Releases(
        IOptionsMonitor<SharingPolicy> monitor, IConfiguration configuration, IOptions<HubOptions> hub, IJournal journal, SqlJournal store,
        SecurityAudit audit, TimeProvider time, ILogger<Releases> logger)
    {
        (_monitor, _configuration, _journal, _audit, _time, _logger) = (monitor, configuration, journal, audit, time, logger);
        _file = PathIn(hub.Value.DataPath);
        _cluster = store as PostgresJournal;
        _silo = $"{Environment.MachineName} {hub.Value.Url}";
        // In force, and as this silo's settings say: they part only in a cluster, where other silos change the first.
        _policy = _local = monitor.CurrentValue;
        // As the settings were read: a change from here on is a change to take in.
        _seen = Stamp();
    }

    /// <summary>Where the policy file is for a hub with its data in <paramref name="dataPath"/>.</summary>
    public static string PathIn(string dataPath) => Path.GetFullPath(Path.Combine(dataPath, FileName));

    /// <summary>The record as <paramref name="recipient"/> is given it over <paramref name="channel"/>, as of
    /// <paramref name="asOf"/> (now, unless reviewing); null when it is not given it.</summary>
    public JournalRecord? Deliver(Identity recipient, JournalRecord record, string channel, DateTimeOffset? asOf = null)
    {
        if (!Access.Sees(recipient, record.Event)) return null;
        var policy = _policy;
        var released = policy.Release(recipient, record, asOf ?? _time.GetUtcNow());
        if (released is not null && SharingPolicy.OwnerOf(record.Event) is { } owner && SharingPolicy.IsRelease(recipient, owner))
            _audit.Released(owner, recipient, channel, record.Event.Keys().Sector, record.Cursor, policy.TermsFor(recipient, owner)!);
        return released;
    }

    /// <summary>The alert as it stands, as <paramref name="recipient"/> is given it; null when it is not given it.</summary>
    public AlertInfo? Deliver(Identity recipient, AlertInfo alert, string channel)
    {
        if (!Access.Sees(recipient, alert)) return null;
        var policy = _policy;
        var released = policy.Release(recipient, alert);
        if (released is not null && SharingPolicy.IsRelease(recipient, alert.RaisedByNation))
            _audit.Released(alert.RaisedByNation, recipient, channel, alert.Sector, 0, policy.TermsFor(recipient, alert.RaisedByNation)!);
        return released;
    }

    /// <summary>Refuses to let <paramref name="actor"/> act on an alert the policy withholds from it: nobody acts on
    /// what it is not given. (Whether it may act at all is the matrix's to say, in the alert grain.)</summary>
    public void DemandGiven(Identity actor, AlertInfo alert)
    {
        if (Access.Sees(actor, alert) && _policy.Release(actor, alert) is null)
            throw new DomainPermissionException($"{actor.Name} may not act on alert {alert.Id}; {alert.RaisedByNation}'s sharing policy withholds its alerts from {actor.Name}.");
    }

    /// <summary>Refuses a request naming units whose nation releases nothing to <paramref name="recipient"/>: asked
    /// for by name, what was not shared is refused, not answered with silence. (A request for the whole sector is
    /// answered with what was shared.)</summary>
    public void DemandShared(Identity recipient, IEnumerable<UnitId> units)
    {
        var policy = _policy;
        foreach (var unit in units)
        {
            if (SharingPolicy.IsRelease(recipient, unit.Nation) && policy.TermsFor(recipient, unit.Nation) is null)
                throw new DomainPermissionException($"{unit.Nation}'s sharing policy releases nothing of its units to {recipient.Name}, so {unit} cannot be asked for.");
        }
    }

    /// <summary>How long after it was recorded <paramref name="recipient"/> may be given the record: a position of a
    /// nation whose terms for the recipient delay it; zero for everything else.</summary>
    public TimeSpan DelayFor(Identity recipient, JournalRecord record) =>
        record.Event is PositionRecorded position ? DelayOf(position.Unit.Nation, recipient) : TimeSpan.Zero;

    /// <summary>The delay <paramref name="nation"/> puts on its positions for <paramref name="recipient"/>.</summary>
    public TimeSpan DelayOf(Nation nation, Identity recipient) =>
        SharingPolicy.IsRelease(recipient, nation) ? _policy.TermsFor(recipient, nation)?.Delay ?? TimeSpan.Zero : TimeSpan.Zero;

    /// <summary>For each nation that delays its positions for <paramref name="recipient"/>: the last cursor of the
    /// sector's log released to it by <paramref name="at"/>, the last recorded that delay before.</summary>
    public async Task<IReadOnlyDictionary<Nation, long>> ReleasedUpToAsync(
        Identity recipient, SectorId sector, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var released = new Dictionary<Nation, long>();
        foreach (var nation in Enum.GetValues<Nation>())
        {
            if (DelayOf(nation, recipient) is { Ticks: > 0 } delay) released[nation] = await _journal.CursorAtAsync(sector, at - delay, cancellationToken);
        }

        return released;
    }

    /// <summary>A sector's status at <paramref name="at"/> as <paramref name="recipient"/> is given it: the units whose
    /// positions it is released, as released, where a nation delays its positions as they stood that long before, and
    /// the open alerts it sees.</summary>
    public async Task<V1.SectorStatus> StatusAsync(
        Identity recipient, SectorSnapshot snapshot, string channel, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var units = snapshot.Units;
        foreach (var (nation, released) in await ReleasedUpToAsync(recipient, snapshot.Sector.Id, at, cancellationToken))
        {
            var earlier = await _journal.ReadAsync(
                new JournalQuery(PositionRecorded.Kind) { Sector = snapshot.Sector.Id, LatestPerUnit = true, UpTo = released }, cancellationToken);
            units = [.. units.Where(r => Owner(r).Unit.Nation != nation).Concat(earlier.Where(r => Owner(r).Unit.Nation == nation)).OrderBy(r => Owner(r).Unit.Value, StringComparer.Ordinal)];
        }

        var given = units.Select(u => Deliver(recipient, u, channel, at)).OfType<JournalRecord>().ToList();
        var shown = given.Select(u => ((PositionRecorded)u.Event).Unit).ToHashSet();
        return ProtoMapper.ToProto(snapshot with
        {
            Units = given,
            StaleUnits = [.. snapshot.StaleUnits.Where(shown.Contains)],
            OpenAlerts = [.. snapshot.OpenAlerts.Select(a => Deliver(recipient, a, channel)).OfType<AlertInfo>()],
        });

        static PositionRecorded Owner(JournalRecord position) => (PositionRecorded)position.Event;
    }

    /// <summary>In a cluster, takes the cluster's policy before the hub serves anything.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await ShareAsync(starting: true, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Records the policy in force when it differs from the last one recorded, then each change as it comes.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = await _journal.ReadAsync(
            new JournalQuery(SecurityEvent.Kind) { Sector = SecurityEvent.Log, Subject = SecurityEvent.SharingPolicy, Last = 1 }, stoppingToken);
        if ((last.SingleOrDefault()?.Event as SecurityEvent)?.Detail != _policy.ToString()) Audit(_policy, "in force");
        using var changes = _monitor.OnChange(Changed);
        using var timer = new PeriodicTimer(CheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (Stamp() != _seen)
                {
                    _seen = Stamp();
                    // Reading the settings again tells the options monitor, and so Changed, of the new policy.
                    ((IConfigurationRoot)_configuration).Reload();
                }

                await ShareAsync(starting: false, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private (DateTime, long) Stamp()
    {
        var file = new FileInfo(_file);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : default;
    }

    private void Changed(SharingPolicy policy)
    {
        if (policy.Validate() is { } error)
        {
            Log.Refused(_logger, error);
            _audit.Record(SecurityEvent.SharingPolicy + "-refused", "configuration", [Nation.US, Nation.MX], $"{error} The policy in force is unchanged.");
            return;
        }

        lock (_gate)
        {
            // A settings file is often written more than once for one change.
            var changed = Enum.GetValues<Nation>().Where(n => Json(policy.Of(n)) != Json(_local.Of(n))).ToList();
            _local = policy;
            if (changed.Count == 0) return;
            _policy = changed.Aggregate(_policy, (p, n) => With(p, n, policy.Of(n)));
            if (_cluster is not null) _unshared.UnionWith(changed);
        }

        Audit(_policy, "changed");
    }

    /// <summary>In a cluster: sets in the database each nation's terms changed here (on start, those of a nation it has
    /// none for), then takes each nation's latest terms from it. A database out of reach keeps the policy in force
    /// here, and what changed here is set once it is back.</summary>
    private async Task ShareAsync(bool starting, CancellationToken cancellationToken)
    {
        if (_cluster is null) return;
        try
        {
            if (starting)
            {
                var held = (await _cluster.ReadSharingAsync(cancellationToken)).Select(t => t.Nation).ToHashSet();
                lock (_gate) _unshared.UnionWith(Enum.GetValues<Nation>().Where(n => !held.Contains(n.ToString())));
            }

            Nation[] changed;
            SharingPolicy local;
            lock (_gate) (changed, local) = ([.. _unshared], _local);
            foreach (var nation in changed)
            {
                var version = await _cluster.SetSharingAsync(nation.ToString(), Json(local.Of(nation)), _silo, cancellationToken);
                lock (_gate)
                {
                    _versions[nation] = version;
                    // Changed again meanwhile: set again on the next round.
                    if (ReferenceEquals(local, _local)) _unshared.Remove(nation);
                }
            }

            foreach (var shared in await _cluster.ReadSharingAsync(cancellationToken)) Take(shared);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            Log.SharedUnreachable(_logger, e);
        }
    }

    /// <summary>Puts a nation's latest terms in the cluster in force here, unless this silo has newer ones to set.</summary>
    private void Take(SharedTerms shared)
    {
        if (!Enum.TryParse<Nation>(shared.Nation, out var nation)) return;
        NationSharing terms;
        lock (_gate)
        {
            if (_unshared.Contains(nation) || _versions.GetValueOrDefault(nation) >= shared.Version) return;
            _versions[nation] = shared.Version;
            terms = Parse(shared.Terms, out var unreadable);
            var policy = With(_policy, nation, terms);
            if ((unreadable ?? policy.Validate()) is { } error)
            {
                Log.Refused(_logger, $"the cluster's terms for {nation} (version {shared.Version}, set by {shared.SetBy}): {error}");
                return;
            }

            if (Json(terms) == Json(_policy.Of(nation))) return;
            _policy = policy;
        }

        Log.Taken(_logger, nation.ToString(), shared.SetBy, shared.SetAt, terms.ToString());
    }

    private static SharingPolicy With(SharingPolicy policy, Nation nation, NationSharing terms) => new()
    {
        US = nation == Nation.US ? terms : policy.US,
        MX = nation == Nation.MX ? terms : policy.MX,
    };

    private static string Json(NationSharing terms) => JsonSerializer.Serialize(terms);

    private static NationSharing Parse(string json, out string? error)
    {
        try
        {
            error = null;
            return JsonSerializer.Deserialize<NationSharing>(json) ?? new NationSharing();
        }
        catch (JsonException e)
        {
            error = $"not readable: {e.Message}";
            return new NationSharing();
        }
    }

    private void Audit(SharingPolicy policy, string how)
    {
        Log.Policy(_logger, how, policy.ToString());
        _audit.Record(SecurityEvent.SharingPolicy, "configuration", [Nation.US, Nation.MX], policy.ToString());
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Sharing policy {How}: {Policy}")]
        public static partial void Policy(ILogger logger, string how, string policy);

        [LoggerMessage(2, LogLevel.Error, "Sharing policy change refused: {Error}")]
        public static partial void Refused(ILogger logger, string error);

        [LoggerMessage(3, LogLevel.Information, "Sharing policy of {Nation} taken from the cluster, as set by {SetBy} at {SetAt}: {Terms}")]
        public static partial void Taken(ILogger logger, string nation, string setBy, DateTimeOffset setAt, string terms);

        [LoggerMessage(4, LogLevel.Warning, "The cluster's sharing policy could not be reached; the policy in force here stays, and a change made here is shared once it is back")]
        public static partial void SharedUnreachable(ILogger logger, Exception exception);
    }
}
