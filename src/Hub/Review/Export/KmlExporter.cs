using System.Xml;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Review.Export;

/// <summary>KML 2.2: a placemark with a gx:Track (its times, then its coordinates) per unit, and a point placemark per alert.</summary>
internal sealed class KmlExporter : Exporter
{
    private const string Kml = "http://www.opengis.net/kml/2.2";
    private const string Gx = "http://www.google.com/kml/ext/2.2";

    public override async Task WriteAsync(ExportSource source, ExportOutput output, CancellationToken cancellationToken)
    {
        var window = source.Window;
        using var xml = XmlWriter.Create(output.Writer, new XmlWriterSettings { CloseOutput = false });
        xml.WriteStartDocument();
        xml.WriteStartElement("kml", Kml);
        xml.WriteAttributeString("xmlns", "gx", null, Gx);
        xml.WriteStartElement("Document", Kml);
        xml.WriteElementString("name", Kml, $"Sector {window.Sector}, {Time(window.From)} to {Time(window.To)}");

        xml.WriteStartElement("Folder", Kml);
        xml.WriteElementString("name", Kml, "Tracks");
        using var coordinates = output.Spill();
        UnitId? current = null;
        async Task EndTrackAsync()
        {
            // The coordinates follow all the times, as gx:Track requires.
            await output.CopySpillAsync(coordinates, (block, count) =>
            {
                xml.WriteRaw(block, 0, count);
                xml.Flush();
            }, cancellationToken);
            xml.WriteEndElement();
            xml.WriteEndElement();
        }

        await foreach (var (unit, page) in source.TracksAsync(await source.UnitsAsync(cancellationToken), cancellationToken))
        {
            if (unit != current)
            {
                if (current is not null) await EndTrackAsync();
                current = unit;
                xml.WriteStartElement("Placemark", Kml);
                xml.WriteElementString("name", Kml, unit.Value);
                xml.WriteStartElement("Track", Gx);
            }

            foreach (var record in page)
            {
                var p = (PositionRecorded)record.Event;
                xml.WriteElementString("when", Kml, Time(p.Report.GnssTime));
                coordinates.Write($"<gx:coord>{Number(p.Report.Point.Longitude)} {Number(p.Report.Point.Latitude)} 0</gx:coord>");
            }

            xml.Flush();
            await output.SendAsync(final: false, cancellationToken);
        }

        if (current is not null) await EndTrackAsync();
        xml.WriteEndElement();
        xml.WriteStartElement("Folder", Kml);
        xml.WriteElementString("name", Kml, "Alerts");
        foreach (var alert in await source.AlertsAsync(cancellationToken))
        {
            var a = alert.Latest;
            xml.WriteStartElement("Placemark", Kml);
            xml.WriteElementString("name", Kml, a.Id.Value);
            xml.WriteElementString("description", Kml, $"{a.Report.Kind}, {a.Severity}, {a.State}: {a.Report.Text}\n"
                + string.Join("\n", alert.Steps.Select(s => $"{Time(s.Record.RecordedAt)} {s.Step.Transition.Name()} by {s.Step.Alert.LastActor ?? s.Step.Alert.RaisedBy}")));
            xml.WriteStartElement("TimeStamp", Kml);
            xml.WriteElementString("when", Kml, Time(a.RaisedAt));
            xml.WriteEndElement();
            xml.WriteStartElement("Point", Kml);
            xml.WriteElementString("coordinates", Kml, $"{Number(a.Report.Point.Longitude)},{Number(a.Report.Point.Latitude)}");
            xml.WriteEndElement();
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndDocument();
        xml.Flush();
    }
}
