using static System.FormattableString;
using PatrolHub.V1;

namespace PatrolHub.Client.Cli;

/// <summary>The shapes the CLI prints hub objects in, for JSON and for people.</summary>
internal static class Render
{
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
    };

    public static string PositionText(Position p) =>
        Invariant($"{p.UnitId} #{p.Sequence} {p.Latitude:F5},{p.Longitude:F5} {Side(p.Side)} side {p.DistanceToLineM / 1000:F2} km from the line, km {p.ChainageKm:F2}")
        + Drift(p.HasDriftKm, p.DriftKm);

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
