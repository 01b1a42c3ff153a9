using static System.FormattableString;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

/// <summary>The shapes the CLI prints hub objects in, for JSON and for people.</summary>
internal static class Render
{
    /// <summary>Prints one feed event, whichever of the kinds it carries.</summary>
    public static void Event(
        Output output, ulong cursor, Position? position, Pair? pair, Alert? alert, DriftWarning? warning, string positionPrefix = "", string prefix = "")
    {
        if (position is not null) output.Write(PositionJson(position, cursor), prefix + positionPrefix + PositionText(position));
        else if (pair is not null) output.Write(PairJson(pair, cursor), prefix + PairText(pair));
        else if (alert is not null) output.Write(AlertJson(alert, cursor), prefix + AlertText(alert));
        else if (warning is not null) output.Write(WarningJson(warning, cursor), prefix + WarningText(warning));
    }

    public static object PositionJson(Position p, ulong cursor) => new
    {
        type = "position",
        cursor,
        unit = p.UnitId,
        sequence = p.Sequence,
        gnss_time = p.GnssTime?.ToDateTimeOffset(),
        recorded_at = p.RecordedAt?.ToDateTimeOffset(),
        lat = p.Latitude,
        lon = p.Longitude,
        heading_deg = p.HeadingDeg,
        speed_mps = p.SpeedMps,
        side = Side(p.Side),
        distance_to_line_m = Math.Round(p.DistanceToLineM, 1),
        chainage_km = Math.Round(p.ChainageKm, 3),
        pair = NullIfEmpty(p.PairId),
        drift_km = p.HasDriftKm ? Math.Round(p.DriftKm, 3) : (double?)null,
        released_under = ReleasedJson(p.ReleasedUnder),
    };

    public static string PositionText(Position p) =>
        Invariant($"{p.UnitId} #{p.Sequence} {p.Latitude:F5},{p.Longitude:F5} {Side(p.Side)} side {p.DistanceToLineM / 1000:F2} km from the line, km {p.ChainageKm:F2}")
        + Drift(p.HasDriftKm, p.DriftKm) + Released(p.ReleasedUnder);

    /// <summary>What the other nation's sharing policy did to what is shown, in words: " [released: coarsened to 1000 m]".</summary>
    private static string Released(ReleaseTerms? terms) => terms is null ? "" : $" [released: {string.Join(", ", ReleasedTerms(terms))}]";

    private static IEnumerable<string> ReleasedTerms(ReleaseTerms terms)
    {
        if (terms.CoarsenedToM > 0) yield return Invariant($"coarsened to {terms.CoarsenedToM} m");
        if (terms.DelayedS > 0) yield return Invariant($"delayed {terms.DelayedS} s");
        if (terms.HiddenWhenUnpaired) yield return "hidden when unpaired";
        if (terms.MotionWithheld) yield return "motion withheld";
        if (terms.TextWithheld) yield return "text withheld";
    }

    private static object? ReleasedJson(ReleaseTerms? terms) => terms is null ? null : new
    {
        coarsened_to_m = terms.CoarsenedToM == 0 ? (uint?)null : terms.CoarsenedToM,
        delayed_s = terms.DelayedS == 0 ? (uint?)null : terms.DelayedS,
        hidden_when_unpaired = terms.HiddenWhenUnpaired,
        motion_withheld = terms.MotionWithheld,
        text_withheld = terms.TextWithheld,
    };

    public static object PairJson(Pair p, ulong cursor = 0) => new
    {
        type = "pair",
        cursor = cursor == 0 ? (ulong?)null : cursor,
        pair = p.PairId,
        sector = p.Sector,
        us = p.UsUnit,
        mx = p.MxUnit,
        state = State(p.State),
        proposed_by = NullIfEmpty(p.ProposedBy),
        accepted_by = NullIfEmpty(p.AcceptedBy),
        dissolved_by = NullIfEmpty(p.DissolvedBy),
        drift_km = p.HasDriftKm ? Math.Round(p.DriftKm, 3) : (double?)null,
    };

    public static string PairText(Pair p) => $"pair {p.PairId} {p.UsUnit} + {p.MxUnit} {State(p.State)}" + Drift(p.HasDriftKm, p.DriftKm);

    private static string Drift(bool has, double km) => has ? Invariant($", drift {km:F2} km") : "";

    public static object AlertJson(Alert a, ulong cursor = 0) => new
    {
        type = "alert",
        cursor = cursor == 0 ? (ulong?)null : cursor,
        alert = a.AlertId,
        sector = a.Sector,
        transition = a.Transition.Length == 0 ? null : a.Transition,
        state = Kebab.Format(a.State),
        kind = Kebab.Format(a.Kind),
        severity = Kebab.Format(a.Severity),
        raised_severity = Kebab.Format(a.RaisedSeverity),
        outcome = a.Outcome == AlertOutcome.Unspecified ? null : Kebab.Format(a.Outcome),
        lat = a.Latitude,
        lon = a.Longitude,
        side = Side(a.Side),
        distance_to_line_m = Math.Round(a.DistanceToLineM, 1),
        chainage_km = Math.Round(a.ChainageKm, 3),
        direction_deg = a.HasDirectionDeg ? a.DirectionDeg : (double?)null,
        text = a.Text.Length == 0 ? null : a.Text,
        raised_by = a.RaisedBy,
        partner = NullIfEmpty(a.PartnerUnit),
        by = NullIfEmpty(a.LastActor),
        escalations = a.Escalations,
        joint_centre = a.JointCentre,
        raised_at = a.RaisedAt?.ToDateTimeOffset(),
        changed_at = a.ChangedAt?.ToDateTimeOffset(),
        escalates_at = a.EscalatesAt?.ToDateTimeOffset(),
        trace_parent = NullIfEmpty(a.TraceParent),
        released_under = ReleasedJson(a.ReleasedUnder),
    };

    public static string AlertText(Alert a) =>
        Invariant($"alert {a.AlertId} {Kebab.Format(a.State)}") + (a.Transition.Length > 0 && a.Transition != Kebab.Format(a.State) ? $" ({a.Transition})" : "")
        + Invariant($": {Kebab.Format(a.Severity)} {Kebab.Format(a.Kind)} at {a.Latitude:F5},{a.Longitude:F5} ({Side(a.Side)} side, {a.DistanceToLineM:F0} m from the line)")
        + $", raised by {a.RaisedBy}" + (a.LastActor.Length > 0 && a.LastActor != a.RaisedBy ? $", last by {a.LastActor}" : "")
        + (a.Outcome != AlertOutcome.Unspecified ? $", outcome {Kebab.Format(a.Outcome)}" : "")
        + (a.JointCentre ? ", joint centre notified" : "")
        + (a.Text.Length > 0 ? $" \"{a.Text}\"" : "") + Released(a.ReleasedUnder);

    public static object WarningJson(DriftWarning w, ulong cursor) => new
    {
        type = "warning",
        cursor,
        warning = w.Cleared ? "drift-cleared" : "drift",
        pair = w.PairId,
        us = w.UsUnit,
        mx = w.MxUnit,
        drift_km = Math.Round(w.DriftKm, 3),
        threshold_km = w.ThresholdKm,
        above_seconds = Math.Round(w.AboveSeconds, 1),
    };

    public static string WarningText(DriftWarning w) => w.Cleared
        ? Invariant($"pair {w.PairId} back in step: drift {w.DriftKm:F2} km")
        : Invariant($"WARNING pair {w.PairId} ({w.UsUnit} + {w.MxUnit}) drift {w.DriftKm:F2} km above {w.ThresholdKm:F1} km for {w.AboveSeconds:F0} s");

    public static string State(PairState state) => state switch
    {
        PairState.Proposed => "proposed",
        PairState.Active => "active",
        PairState.Dissolved => "dissolved",
        _ => "unknown",
    };

    private static string Side(BoundarySide side) => side switch
    {
        BoundarySide.Us => "US",
        BoundarySide.Mx => "MX",
        _ => "?",
    };

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
