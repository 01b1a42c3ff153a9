using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Grains.Units;

/// <summary>
/// A patrol unit's live view, rebuilt from the journal on activation: its last sequence and position,
/// its active pair and its partner's last chainage (for mirror drift).
/// </summary>
public sealed class PatrolUnitGrain(IJournal journal, LogAppender appender, TimeProvider time) : Grain, IPatrolUnitGrain
{
    private static readonly TimeSpan MaxFutureSkew = TimeSpan.FromMinutes(5);

    /// <summary>How old the partner's chainage may be when drift is computed: asked for at most this often, rather than
    /// told of every partner position. Drift warnings look at minutes, so seconds of lag do not matter.</summary>
    private static readonly TimeSpan PartnerChainageAge = TimeSpan.FromSeconds(5);
    private UnitId _id;
    private LogAppender.Outbox _log = null!;
    private JournalRecord? _last;
    private PairInfo? _pair;
    private IPatrolUnitGrain? _partner;
    private double? _partnerChainageKm;
    private DateTimeOffset _partnerChainageAt;

    private long LastSequence => (_last?.Event as PositionRecorded)?.Report.Sequence ?? 0;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = UnitId.Parse(this.GetPrimaryKeyString());
        _log = appender.For(_id.Sector);
        _last = await LatestPositionAsync(_id);
        if (await GrainFactory.Sector(_id.Sector).ActivePairOf(_id) is { } pair) await PairWithAsync(pair);
    }

    public Task<UnitState> GetState() => Task.FromResult(new UnitState(LastSequence, _pair, _last));

    public async Task<PositionAck> Report(PositionReport report)
    {
        Validate(report);
        if (report.Sequence <= LastSequence) return await AcknowledgeRepeatAsync(report);
        return (await ReportMany([report]))[0];
    }

    public Task<double?> Chainage() => Task.FromResult((_last?.Event as PositionRecorded)?.Location.ChainageKm);

    public async Task<IReadOnlyList<PositionAck>> ReportMany(IReadOnlyList<PositionReport> reports)
    {
        if (_partner is { } partner && (_partnerChainageKm is null || time.GetUtcNow() - _partnerChainageAt > PartnerChainageAge))
        {
            _partnerChainageKm = await partner.Chainage();
            _partnerChainageAt = time.GetUtcNow();
        }

        var events = new List<HubEvent>(reports.Count);
        var last = LastSequence;
        foreach (var report in reports)
        {
            if (report.Sequence <= last || !IsValid(report)) break;
            var location = SectorCatalog.Default.Boundary.Locate(report.Point);
            var drift = _pair is not null && _partnerChainageKm is { } partnerKm ? Math.Abs(location.ChainageKm - partnerKm) : (double?)null;
            events.Add(new PositionRecorded(_id, report, location, _pair?.Id, _pair?.PartnerOf(_id), drift));
            last = report.Sequence;
        }

        if (events.Count == 0) return [];
        var records = await _log.AppendMany(events);
        _last = records[^1];
        HubMetrics.PositionsAccepted.Add(records.Length);
        return Array.ConvertAll(records, static r => new PositionAck(((PositionRecorded)r.Event).Report.Sequence, r.Cursor, r.RecordedAt));
    }

    public async Task OnPairChanged(JournalRecord record)
    {
        var pair = ((PairChanged)record.Event).Pair;
        if (pair.State == PairState.Active)
        {
            await PairWithAsync(pair);
        }
        else if (pair.State == PairState.Dissolved && _pair?.Id == pair.Id)
        {
            (_pair, _partner, _partnerChainageKm) = (null, null, null);
        }
    }

    private async Task<PositionAck> AcknowledgeRepeatAsync(PositionReport report)
    {
        var earlier = await journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = _id, UnitSequence = report.Sequence, Last = 1 });
        if (earlier is not [var record])
        {
            throw new DomainConflictException(
                $"sequence {report.Sequence} is not greater than {LastSequence}, the last sequence recorded for {_id}; sequences must increase.");
        }

        if (((PositionRecorded)record.Event).Report != report)
            throw new DomainConflictException($"sequence {report.Sequence} of {_id} was already recorded with a different position.");
        return new PositionAck(report.Sequence, record.Cursor, record.RecordedAt);
    }

    private bool IsValid(PositionReport report) => Invalid(report) is null;

    private void Validate(PositionReport report)
    {
        if (Invalid(report) is { } invalid) throw invalid;
    }

    /// <summary>What is wrong with a report, naming the field, or null.</summary>
    private DomainValidationException? Invalid(PositionReport report)
    {
        var now = time.GetUtcNow();
        return report.Sequence <= 0 ? new("sequence", $"sequence must be positive; got {report.Sequence}.")
            : GeoPoint.Invalid(report.Point.Latitude, report.Point.Longitude) is { } point ? point
            : report.GnssTime > now + MaxFutureSkew
                ? new("gnss_time", $"gnss_time {report.GnssTime:O} is more than {MaxFutureSkew.TotalMinutes} minutes ahead of the hub's clock ({now:O}).")
            : report.GnssTime.Year < 2000 ? new("gnss_time", "gnss_time is missing or before the year 2000.")
            : !float.IsFinite(report.AccuracyM) || report.AccuracyM is < 0 or > 100_000 ? new("accuracy_m", $"accuracy_m {report.AccuracyM} is outside 0..100000.")
            : !float.IsFinite(report.HeadingDeg) || report.HeadingDeg is < 0 or >= 360 ? new("heading_deg", $"heading_deg {report.HeadingDeg} is outside 0..360.")
            : !float.IsFinite(report.SpeedMps) || report.SpeedMps is < 0 or > 350 ? new("speed_mps", $"speed_mps {report.SpeedMps} is outside 0..350.")
            : !Enum.IsDefined(report.Status) ? new("status", "status must be on patrol, responding or off duty.")
            : null;
    }

    /// <summary>The pair, its partner's grain and the partner's last chainage, set together (and cleared together on dissolving).</summary>
    private async Task PairWithAsync(PairInfo pair)
    {
        var partnerId = pair.PartnerOf(_id);
        _pair = pair;
        // Held, like the log, rather than resolved at each chainage refresh: resolving a reference formats type names.
        _partner = GrainFactory.Unit(partnerId);
        var partner = await LatestPositionAsync(partnerId);
        _partnerChainageKm = (partner?.Event as PositionRecorded)?.Location.ChainageKm;
        _partnerChainageAt = time.GetUtcNow();
    }

    private async Task<JournalRecord?> LatestPositionAsync(UnitId unit) =>
        (await journal.ReadAsync(new JournalQuery(PositionRecorded.Kind) { Unit = unit, Last = 1 })).SingleOrDefault();
}
