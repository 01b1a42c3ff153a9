using System.Diagnostics;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Grains.Alerts;

/// <summary>
/// An alert's deadlines have two triggers. A timer in the activation fires on time (and follows the clock a test
/// controls). A reminder, kept by Orleans' reminder service in its table (Redis in a cluster), outlives the activation
/// and its silo: if the silo is lost, the reminder service of a silo still up fires it there, which activates the
/// alert from the journal and checks its deadlines. Both only ask <see cref="CheckDeadlines"/>, which acts once.
/// </summary>
public sealed class AlertGrain(IJournal journal, TimeProvider time, IOptions<AlertOptions> options) : Grain, IAlertGrain, IRemindable
{
    private const string DeadlineReminder = "deadline";

    /// <summary>How often a reminder ticks again after its due time, until the alert's state moves past it.</summary>
    private static readonly TimeSpan ReminderRepeat = TimeSpan.FromMinutes(1);

    private readonly AlertOptions _options = options.Value;
    private AlertId _id;
    private AlertInfo? _alert;
    private ITimer? _deadline;
    private DateTimeOffset? _reminded;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = AlertId.Parse(this.GetPrimaryKeyString());
        var last = await journal.ReadAsync(new JournalQuery(AlertChanged.Kind) { Subject = _id.Value, Last = 1 }, cancellationToken);
        _alert = (last.SingleOrDefault()?.Event as AlertChanged)?.Alert;
        await ArmAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deadline?.Dispose();
        return Task.CompletedTask;
    }

    public Task<AlertInfo> GetAlert() => Task.FromResult(Existing());

    public Task Wake() => Task.CompletedTask;

    public async Task<AlertChanged> Raise(AlertReport report, Identity by, UnitId? partner, string? traceParent)
    {
        if (_alert is not null) throw new DomainConflictException($"alert {_id} already exists.");
        Validate(report);
        using var span = HubMetrics.Activity.StartActivity("alert.raise", ActivityKind.Internal, traceParent);
        span?.SetTag("patrolhub.alert", _id.Value);
        var now = time.GetUtcNow();
        var alert = new AlertInfo(
            _id, report, report.Severity, SectorCatalog.Default.Boundary.Locate(report.Point), by.Name, by.Nation, by.Unit, partner,
            AlertState.Raised, null, 0, false, by.Name, now, now, now + _options.DeadlineFor(report.Severity), now + _options.Expiry,
            span?.Id ?? traceParent);
        return await RecordAsync(alert, AlertTransition.Raised);
    }

    public Task<AlertChanged> Acknowledge(Identity by)
    {
        var alert = Handleable(by, "acknowledged", AlertState.Raised);
        return RecordAsync(alert with { State = AlertState.Acknowledged, EscalatesAt = null, LastActor = by.Name }, AlertTransition.Acknowledged);
    }

    public Task<AlertChanged> Respond(Identity by)
    {
        var alert = Handleable(by, "marked responding", AlertState.Raised, AlertState.Acknowledged);
        return RecordAsync(alert with { State = AlertState.Responding, EscalatesAt = null, LastActor = by.Name }, AlertTransition.Responding);
    }

    public Task<AlertChanged> Resolve(Identity by, AlertOutcome? outcome)
    {
        if (outcome is null || !Enum.IsDefined(outcome.Value))
            throw new DomainValidationException("outcome", "an outcome is required to resolve an alert: apprehension, seizure, turned-back, lost-contact or false-alarm.");
        var alert = Handleable(by, "resolved", AlertState.Raised, AlertState.Acknowledged, AlertState.Responding);
        return RecordAsync(alert with { State = AlertState.Resolved, Outcome = outcome, EscalatesAt = null, LastActor = by.Name }, AlertTransition.Resolved);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // A reminder that outlived its alert (it closed while the reminder's silo was away) is removed when it comes.
        if (_alert is { IsOpen: true }) await CheckDeadlines();
        else await UnregisterDeadlineAsync();
    }

    public async Task CheckDeadlines()
    {
        if (_alert is not { IsOpen: true } alert) return;
        var now = time.GetUtcNow();
        if (now >= alert.ExpiresAt)
        {
            await RecordAsync(alert with { State = AlertState.Expired, EscalatesAt = null, LastActor = "hub" }, AlertTransition.Expired);
        }
        else if (alert.EscalatesAt is { } due && now >= due && alert.State == AlertState.Raised)
        {
            var severity = alert.Severity == Severity.Critical ? Severity.Critical : alert.Severity + 1;
            await RecordAsync(alert with
            {
                Severity = severity,
                Escalations = alert.Escalations + 1,
                JointCentre = true,
                LastActor = "hub",
                // Up to CRITICAL with the joint centre told; after that nothing is left to escalate to.
                EscalatesAt = severity == Severity.Critical ? null : now + _options.DeadlineFor(severity),
            }, AlertTransition.Escalated);
        }
        else
        {
            await ArmAsync();
        }
    }

    private AlertInfo Existing() => _alert ?? throw new DomainNotFoundException($"alert {_id} does not exist.");

    /// <summary>The alert, if this identity may act on it and its state allows the step.</summary>
    private AlertInfo Handleable(Identity by, string step, params AlertState[] from)
    {
        var alert = Existing();
        Access.DemandAct(by, alert);
        if (!from.Contains(alert.State))
        {
            throw new DomainConflictException(
                $"alert {_id} is {alert.State.ToString().ToLowerInvariant()}; it can be {step} only when {string.Join(" or ", from.Select(s => s.ToString().ToLowerInvariant()))}.");
        }

        return alert;
    }

    private void Validate(AlertReport report)
    {
        if (!Enum.IsDefined(report.Kind)) throw new DomainValidationException("kind", "kind must be one of narcotics, firearms, human-smuggling, illegal-crossing, tunnel, aircraft-drone, vehicle, other.");
        if (!Enum.IsDefined(report.Severity)) throw new DomainValidationException("severity", "severity must be low, medium, high or critical.");
        GeoPoint.Validate(report.Point.Latitude, report.Point.Longitude);
        if (report.DirectionDeg is { } d && (!double.IsFinite(d) || d is < 0 or >= 360))
            throw new DomainValidationException("direction_deg", $"direction_deg {d} is outside 0..360.");
        if (report.Text.Length > _options.MaxTextLength)
            throw new DomainValidationException("text", $"text is {report.Text.Length} characters; at most {_options.MaxTextLength} are allowed.");
    }

    private async Task<AlertChanged> RecordAsync(AlertInfo alert, AlertTransition transition)
    {
        using var span = transition == AlertTransition.Raised ? null : HubMetrics.Activity.StartActivity($"alert.{transition.Name()}", ActivityKind.Internal, alert.TraceParent);
        span?.SetTag("patrolhub.alert", _id.Value);
        var changed = new AlertChanged(alert with { ChangedAt = time.GetUtcNow() }, transition);
        alert = changed.Alert;
        JournalRecord record;
        using (var journaling = HubMetrics.Activity.StartActivity("alert.record"))
        {
            journaling?.SetTag("patrolhub.alert", _id.Value);
            record = await GrainFactory.SectorLog(alert.Sector).Append(changed);
            journaling?.SetTag("patrolhub.cursor", record.Cursor);
        }

        HubMetrics.AlertTransitions.Add(1, new KeyValuePair<string, object?>("transition", transition.Name()));
        if (transition == AlertTransition.Raised) HubMetrics.OpenAlerts.Add(1);
        else if (!alert.IsOpen) HubMetrics.OpenAlerts.Add(-1);
        _alert = alert;
        await ArmAsync();
        return changed;
    }

    /// <summary>The timer and the reminder for the nearest deadline; the grain stays active until it fires.</summary>
    private async Task ArmAsync()
    {
        _deadline?.Dispose();
        _deadline = null;
        if (_alert is not { IsOpen: true } alert)
        {
            if (_reminded is not null) await UnregisterDeadlineAsync();
            return;
        }

        var next = alert.EscalatesAt is { } escalation && escalation < alert.ExpiresAt ? escalation : alert.ExpiresAt;
        var due = next - time.GetUtcNow();
        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        var self = this.AsReference<IAlertGrain>();
        _deadline = time.CreateTimer(_ => _ = self.CheckDeadlines(), null, due, Timeout.InfiniteTimeSpan);
        DelayDeactivation(due + TimeSpan.FromMinutes(1));
        if (_reminded != next)
        {
            await this.RegisterOrUpdateReminder(DeadlineReminder, due, ReminderRepeat);
            _reminded = next;
        }
    }

    /// <summary>Removes the deadline reminder from the reminder table.</summary>
    private async Task UnregisterDeadlineAsync()
    {
        if (await this.GetReminder(DeadlineReminder) is { } reminder) await this.UnregisterReminder(reminder);
        _reminded = null;
    }
}
