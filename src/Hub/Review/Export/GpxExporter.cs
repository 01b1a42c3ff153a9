using System.Xml;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Review.Export;

/// <summary>GPX 1.1: a waypoint per alert, then a track per unit with one segment of timed points.</summary>
internal sealed class GpxExporter : Exporter
{
    private const string Ns = "http://www.topografix.com/GPX/1/1";

    public override async Task WriteAsync(ExportSource source, ExportOutput output, CancellationToken cancellationToken)
    {
        var window = source.Window;
        using var xml = XmlWriter.Create(output.Writer, new XmlWriterSettings { Indent = true, CloseOutput = false });
        xml.WriteStartDocument();
        xml.WriteStartElement("gpx", Ns);
        xml.WriteAttributeString("version", "1.1");
        xml.WriteAttributeString("creator", "PatrolHub");
        xml.WriteStartElement("metadata", Ns);
        xml.WriteElementString("name", Ns, $"Sector {window.Sector}, {Time(window.From)} to {Time(window.To)}");
        xml.WriteElementString("time", Ns, Time(window.From));
        xml.WriteEndElement();

        // GPX puts waypoints before tracks.
        foreach (var alert in await source.AlertsAsync(cancellationToken))
        {
            var a = alert.Latest;
            xml.WriteStartElement("wpt", Ns);
            xml.WriteAttributeString("lat", Number(a.Report.Point.Latitude));
            xml.WriteAttributeString("lon", Number(a.Report.Point.Longitude));
            xml.WriteElementString("time", Ns, Time(a.RaisedAt));
            xml.WriteElementString("name", Ns, a.Id.Value);
            xml.WriteElementString("desc", Ns, $"{a.Report.Kind}, {a.Severity}, {a.State}: {a.Report.Text} ("
                + string.Join("; ", alert.Steps.Select(s => $"{s.Step.Transition.Name()} {Time(s.Record.RecordedAt)} by {s.Step.Alert.LastActor ?? s.Step.Alert.RaisedBy}")) + ")");
            xml.WriteElementString("type", Ns, "alert");
            xml.WriteEndElement();
        }

        UnitId? current = null;
        await foreach (var (unit, page) in source.TracksAsync(await source.UnitsAsync(cancellationToken), cancellationToken))
        {
            if (unit != current)
            {
                if (current is not null) EndTrack(xml);
                current = unit;
                xml.WriteStartElement("trk", Ns);
                xml.WriteElementString("name", Ns, unit.Value);
                xml.WriteElementString("type", Ns, "patrol");
                xml.WriteStartElement("trkseg", Ns);
            }

            foreach (var record in page)
            {
                var p = (PositionRecorded)record.Event;
                xml.WriteStartElement("trkpt", Ns);
                xml.WriteAttributeString("lat", Number(p.Report.Point.Latitude));
                xml.WriteAttributeString("lon", Number(p.Report.Point.Longitude));
                xml.WriteElementString("time", Ns, Time(p.Report.GnssTime));
                xml.WriteEndElement();
            }

            xml.Flush();
            await output.SendAsync(final: false, cancellationToken);
        }

        if (current is not null) EndTrack(xml);
        xml.WriteEndElement();
        xml.WriteEndDocument();
        xml.Flush();
    }

    private static void EndTrack(XmlWriter xml)
    {
        xml.WriteEndElement();
        xml.WriteEndElement();
    }
}
