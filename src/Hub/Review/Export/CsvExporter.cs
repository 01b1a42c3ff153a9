using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Review.Export;

/// <summary>RFC 4180 CSV: a header, then one row per event in log order, CRLF line ends, fields quoted when they must be.</summary>
internal sealed class CsvExporter : Exporter
{
    private static readonly string[] Columns =
    [
        "cursor", "recorded_at", "kind", "unit", "partner", "sequence", "gnss_time", "latitude", "longitude", "accuracy_m", "heading_deg",
        "speed_mps", "status", "side", "distance_to_line_m", "chainage_km", "pair", "drift_km", "alert", "alert_kind", "severity", "state",
        "transition", "actor", "outcome", "text",
    ];

    public override async Task WriteAsync(ExportSource source, ExportOutput output, CancellationToken cancellationToken)
    {
        output.Writer.Write(string.Join(",", Columns) + "\r\n");
        await foreach (var page in source.EventsAsync(cancellationToken))
        {
            foreach (var record in page) output.Writer.Write(string.Join(",", Row(record).Select(Field)) + "\r\n");
            await output.SendAsync(final: false, cancellationToken);
        }
    }

    private static string?[] Row(JournalRecord record)
    {
        var row = new string?[Columns.Length];
        void Set(string column, string? value) => row[Array.IndexOf(Columns, column)] = value;
        Set("cursor", record.Cursor.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set("recorded_at", Time(record.RecordedAt));
        Set("kind", record.Event.Keys().Kind);
        switch (record.Event)
        {
            case PositionRecorded p:
                Set("unit", p.Unit.Value);
                Set("partner", p.Partner?.Value);
                Set("sequence", p.Report.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Set("gnss_time", Time(p.Report.GnssTime));
                Set("latitude", Number(p.Report.Point.Latitude));
                Set("longitude", Number(p.Report.Point.Longitude));
                Set("accuracy_m", Number(p.Report.AccuracyM));
                Set("heading_deg", Number(p.Report.HeadingDeg));
                Set("speed_mps", Number(p.Report.SpeedMps));
                Set("status", p.Report.Status.ToString());
                Set("side", p.Location.Side.ToString());
                Set("distance_to_line_m", Number(p.Location.DistanceM));
                Set("chainage_km", Number(p.Location.ChainageKm));
                Set("pair", p.Pair?.Value);
                Set("drift_km", p.DriftKm is { } drift ? Number(drift) : null);
                break;
            case PairChanged { Pair: var pair }:
                Set("unit", pair.Us.Value);
                Set("partner", pair.Mx.Value);
                Set("pair", pair.Id.Value);
                Set("state", pair.State.ToString());
                Set("actor", pair.DissolvedBy ?? pair.AcceptedBy ?? pair.ProposedBy);
                break;
            case AlertChanged { Alert: var a } changed:
                Set("unit", a.RaisedByUnit?.Value);
                Set("partner", a.Partner?.Value);
                Set("latitude", Number(a.Report.Point.Latitude));
                Set("longitude", Number(a.Report.Point.Longitude));
                Set("side", a.Location.Side.ToString());
                Set("distance_to_line_m", Number(a.Location.DistanceM));
                Set("chainage_km", Number(a.Location.ChainageKm));
                Set("alert", a.Id.Value);
                Set("alert_kind", a.Report.Kind.ToString());
                Set("severity", a.Severity.ToString());
                Set("state", a.State.ToString());
                Set("transition", changed.Transition.Name());
                Set("actor", a.LastActor ?? a.RaisedBy);
                Set("outcome", a.Outcome?.ToString());
                Set("text", a.Report.Text);
                break;
            case DriftWarning warning:
                Set("unit", warning.Pair.Us.Value);
                Set("partner", warning.Pair.Mx.Value);
                Set("pair", warning.Pair.Id.Value);
                Set("drift_km", Number(warning.DriftKm));
                Set("state", warning.Cleared ? "Cleared" : "Above");
                break;
        }

        return row;
    }

    private static string Field(string? value) =>
        value is null ? ""
        : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\""
        : value;
}
