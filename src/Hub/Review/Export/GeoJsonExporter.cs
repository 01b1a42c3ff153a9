using System.Text.Encodings.Web;
using System.Text.Json;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Review.Export;

/// <summary>RFC 7946 GeoJSON: a FeatureCollection with a LineString per unit track (a Point when the unit reported
/// once), its GNSS times as the "times" property, and a Point per alert with its lifecycle.</summary>
internal sealed class GeoJsonExporter : Exporter
{
    public override async Task WriteAsync(ExportSource source, ExportOutput output, CancellationToken cancellationToken)
    {
        var w = output.Writer;
        var window = source.Window;
        w.Write($$"""{"type":"FeatureCollection","name":{{Str($"{window.Sector} {Time(window.From)} to {Time(window.To)}")}},"features":[""");
        var first = true;
        using var coordinates = output.Spill();
        UnitId? current = null;
        var points = 0;
        async Task EndTrackAsync()
        {
            w.Write($$"""]},"geometry":{"type":"{{(points == 1 ? "Point" : "LineString")}}","coordinates":""");
            if (points != 1) w.Write('[');
            await output.CopySpillAsync(coordinates, (block, count) => w.Write(block, 0, count), cancellationToken);
            if (points != 1) w.Write(']');
            w.Write("}}");
        }

        await foreach (var (unit, page) in source.TracksAsync(await source.UnitsAsync(cancellationToken), cancellationToken))
        {
            if (unit != current)
            {
                if (current is not null) await EndTrackAsync();
                current = unit;
                points = 0;
                w.Write(first ? "\n" : ",\n");
                first = false;
                w.Write($$"""{"type":"Feature","properties":{"kind":"track","unit":{{Str(unit.Value)}},"nation":"{{unit.Nation}}","sector":"{{unit.Sector}}","times":[""");
            }

            foreach (var record in page)
            {
                var position = (PositionRecorded)record.Event;
                var separator = points++ == 0 ? "" : ",";
                w.Write($"{separator}\"{Time(position.Report.GnssTime)}\"");
                coordinates.Write($"{separator}[{Number(position.Report.Point.Longitude)},{Number(position.Report.Point.Latitude)}]");
            }

            await output.SendAsync(final: false, cancellationToken);
        }

        if (current is not null) await EndTrackAsync();

        foreach (var alert in await source.AlertsAsync(cancellationToken))
        {
            w.Write(first ? "\n" : ",\n");
            first = false;
            var a = alert.Latest;
            var lifecycle = string.Join(",", alert.Steps.Select(s =>
                $$"""{"transition":"{{s.Step.Transition.Name()}}","at":"{{Time(s.Record.RecordedAt)}}","state":"{{s.Step.Alert.State}}","severity":"{{s.Step.Alert.Severity}}","by":{{Str(s.Step.Alert.LastActor ?? s.Step.Alert.RaisedBy)}}}"""));
            w.Write($$"""{"type":"Feature","properties":{"kind":"alert","alert":"{{a.Id}}","alert_kind":"{{a.Report.Kind}}","severity":"{{a.Severity}}","state":"{{a.State}}","raised_by":{{Str(a.RaisedBy)}},"raised_at":"{{Time(a.RaisedAt)}}","text":{{Str(a.Report.Text)}},"lifecycle":[{{lifecycle}}]},"geometry":{"type":"Point","coordinates":[{{Number(a.Report.Point.Longitude)}},{{Number(a.Report.Point.Latitude)}}]""" + "}}");
            await output.SendAsync(final: false, cancellationToken);
        }

        w.Write("\n]}\n");
    }

    private static string Str(string value) => JsonSerializer.Serialize(value, Options);

    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
