using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using NetTopologySuite.Features;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;
using PatrolHub.Client.Pki;
using PatrolHub.V1;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class ReviewTests(HubFixture hub)
{
    [Fact]
    public async Task Replay_gives_a_units_recorded_events_in_order_with_their_times_and_filters_by_kind()
    {
        var (from, us, mx, sent) = await RecordPatrolAsync(positions: 25);
        var to = DateTimeOffset.UtcNow;

        var events = await ReplayAsync(new ReplayRequest { Sector = "TCA", From = Ts(from), To = Ts(to), Units = { us } });
        var positions = events.Where(e => e.Position is not null).ToList();
        Assert.Equal(sent.Select(p => p.Sequence), positions.Select(e => e.Position.Sequence));
        Assert.Equal(sent.Select(p => (p.Latitude, p.Longitude)), positions.Select(e => (e.Position.Latitude, e.Position.Longitude)));
        Assert.All(positions, e => Assert.Equal(us, e.Position.UnitId));
        Assert.Equal(events.Select(e => e.Cursor).Order(), events.Select(e => e.Cursor));
        Assert.All(events, e => Assert.InRange(e.RecordedAt.ToDateTimeOffset(), from, to));
        Assert.Contains(events, e => e.Pair?.State == PairState.Active && e.Pair.UsUnit == us);
        Assert.Contains(events, e => e.Alert?.RaisedBy == us);

        var alerts = await ReplayAsync(new ReplayRequest { Sector = "TCA", From = Ts(from), To = Ts(to), Units = { mx }, Kinds = { EventKind.Alert } });
        Assert.Equal(["raised"], alerts.Select(e => e.Alert.Transition));
    }

    [Fact]
    public async Task Exports_read_back_by_independent_libraries_match_the_recorded_positions_exactly()
    {
        var (from, us, _, sent) = await RecordPatrolAsync(positions: 12);
        var to = DateTimeOffset.UtcNow;

        var collection = JsonSerializer.Deserialize<FeatureCollection>(await ExportAsync(ExportFormat.Geojson, from, to), GeoJson)!;
        var track = collection.Single(f => (string)f.Attributes["kind"] == "track" && (string)f.Attributes["unit"] == us);
        Assert.Equal("LineString", track.Geometry.GeometryType);
        Assert.Equal(sent.Select(p => (p.Longitude, p.Latitude)), track.Geometry.Coordinates.Select(c => (c.X, c.Y)));
        Assert.Contains(collection, f => (string)f.Attributes["kind"] == "alert" && f.Geometry.GeometryType == "Point");

        var gpx = GpxFile.Parse(await ExportAsync(ExportFormat.Gpx, from, to), null);
        var gpxTrack = gpx.Tracks.Single(t => t.Name == us);
        var points = gpxTrack.Segments.Single().Waypoints.ToList();
        Assert.Equal(sent.Select(p => (p.Latitude, p.Longitude)), points.Select(w => (w.Latitude.Value, w.Longitude.Value)));
        Assert.Equal(sent.Select(p => p.GnssTime.ToDateTime()), points.Select(w => w.TimestampUtc!.Value));

        var rows = new List<Dictionary<string, string>>();
        using (var csv = Sylvan.Data.Csv.CsvDataReader.Create(new StringReader(await ExportAsync(ExportFormat.Csv, from, to))))
        {
            while (await csv.ReadAsync()) rows.Add(Enumerable.Range(0, csv.FieldCount).ToDictionary(csv.GetName, csv.GetString));
        }

        var ours = rows.Where(r => r["kind"] == "position" && r["unit"] == us).ToList();
        Assert.Equal(
            sent.Select(p => (p.Latitude, p.Longitude)),
            ours.Select(r => (double.Parse(r["latitude"], CultureInfo.InvariantCulture), double.Parse(r["longitude"], CultureInfo.InvariantCulture))));
        Assert.Contains(rows, r => r["kind"] == "alert" && r["text"] == "a group of \"eight\", north");

        XNamespace kml = "http://www.opengis.net/kml/2.2";
        XNamespace gx = "http://www.google.com/kml/ext/2.2";
        var document = XDocument.Parse(await ExportAsync(ExportFormat.Kml, from, to)).Root!.Element(kml + "Document")!;
        var placemark = document.Descendants(kml + "Placemark").Single(p => (string?)p.Element(kml + "name") == us);
        var gxTrack = placemark.Element(gx + "Track")!;
        Assert.Equal(sent.Count, gxTrack.Elements(kml + "when").Count());
        Assert.Equal(
            sent.Select(p => (p.Longitude, p.Latitude)),
            gxTrack.Elements(gx + "coord").Select(c => c.Value.Split(' ')).Select(c => (double.Parse(c[0], CultureInfo.InvariantCulture), double.Parse(c[1], CultureInfo.InvariantCulture))));
        Assert.Contains(document.Descendants(kml + "Placemark"), p => p.Element(kml + "Point")?.Element(kml + "coordinates") is not null);
    }

    [Fact]
    public async Task SectorAt_an_instant_equals_the_snapshot_a_watch_opened_then_received()
    {
        const string Sector = "LRT";
        var (us, mx) = Units.NextPair(Sector);
        await Units.PairAsync(hub, us, mx, Sector);
        await using (var unit = await ConnectedUnit.ConnectAsync(hub, us))
        {
            for (ulong i = 1; i <= 3; i++) await unit.Session.SendAsync(Units.Position(i, 29.80 + (i * 0.001), -101.50));
        }

        using var command = hub.Channel(IdentitySpec.Command("US", Sector));
        using var watch = new CommandService.CommandServiceClient(command).WatchSector(new WatchSectorRequest { Sector = Sector });
        Assert.True(await watch.ResponseStream.MoveNext());
        var snapshot = watch.ResponseStream.Current.Snapshot;
        var then = DateTimeOffset.UtcNow;

        await using (var unit = await ConnectedUnit.ConnectAsync(hub, mx))
            await unit.Session.SendAsync(Units.Position(1, 29.78, -101.50));

        using var reviewer = hub.Channel(IdentitySpec.Reviewer("MX"));
        var at = await new ReviewService.ReviewServiceClient(reviewer).SectorAtAsync(new SectorAtRequest { Sector = Sector, Time = Ts(then) });
        Assert.Equal(snapshot, at);
        Assert.Contains(at.Units, u => u.UnitId == us);
        Assert.DoesNotContain(at.Units, u => u.UnitId == mx);
    }

    [Fact]
    public async Task Verify_finds_the_hubs_record_intact_with_its_signed_checkpoints()
    {
        await RecordPatrolAsync(positions: 3);
        using var reviewer = hub.Channel(IdentitySpec.Reviewer("US"));
        var result = await new ReviewService.ReviewServiceClient(reviewer).VerifyAsync(new VerifyRequest { Sector = "TCA" });
        Assert.True(result.Intact);
        var tca = Assert.Single(result.Sectors);
        Assert.Null(tca.Break);
        Assert.True(tca.Records > 0);
    }

    [Theory]
    [InlineData("unit", StatusCode.PermissionDenied, "reviewer")]
    [InlineData("from-after-to", StatusCode.InvalidArgument, "is after to")]
    [InlineData("too-long", StatusCode.InvalidArgument, "Review:MaxWindow")]
    [InlineData("unknown-sector", StatusCode.NotFound, "not in the catalogue")]
    [InlineData("bad-sector", StatusCode.InvalidArgument, "not a sector code")]
    [InlineData("no-format", StatusCode.InvalidArgument, "not supported")]
    public async Task Bad_review_requests_get_the_right_status_and_a_clear_message(string input, StatusCode status, string message)
    {
        var now = DateTimeOffset.UtcNow;
        var request = new ExportRequest { Sector = "TCA", From = Ts(now.AddHours(-1)), To = Ts(now), Format = ExportFormat.Csv };
        var identity = IdentitySpec.Reviewer("US");
        switch (input)
        {
            case "unit": identity = IdentitySpec.Unit("US-TCA-0101"); break;
            case "from-after-to": request.From = Ts(now.AddHours(1)); break;
            case "too-long": request.From = Ts(now.AddDays(-400)); break;
            case "unknown-sector": request.Sector = "XYZ"; break;
            case "bad-sector": request.Sector = "T C A"; break;
            case "no-format": request.Format = ExportFormat.Unspecified; break;
        }

        using var channel = hub.Channel(identity);
        using var call = new ReviewService.ReviewServiceClient(channel).Export(request);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(status, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Pairs two new TCA units, streams positions from the U.S. one, and has it raise an alert; returns the
    /// positions as sent.</summary>
    private async Task<(DateTimeOffset From, string Us, string Mx, List<PositionUpdate> Sent)> RecordPatrolAsync(int positions)
    {
        var from = DateTimeOffset.UtcNow;
        var (us, mx) = Units.NextPair();
        await Units.PairAsync(hub, us, mx);
        var sent = new List<PositionUpdate>();
        await using var unit = await ConnectedUnit.ConnectAsync(hub, us);
        for (var i = 1; i <= positions; i++)
        {
            // Digits to the last place, so any rounding on the way out shows.
            var position = Units.Position((ulong)i, 31.35 + (i * 0.000123456789), -110.90 - (i * 0.000098765432));
            await unit.Session.SendAsync(position);
            sent.Add(position);
        }

        var alert = AlertTests.Raise("TCA", Severity.Medium, 31.33, -110.93);
        alert.Text = "a group of \"eight\", north";
        await unit.Session.RaiseAlertAsync(alert);
        return (from, us, mx, sent);
    }

    private async Task<List<RecordedEvent>> ReplayAsync(ReplayRequest request)
    {
        using var channel = hub.Channel(IdentitySpec.Reviewer("US"));
        using var call = new ReviewService.ReviewServiceClient(channel).Replay(request);
        var events = new List<RecordedEvent>();
        await foreach (var batch in call.ResponseStream.ReadAllAsync()) events.AddRange(batch.Events);
        return events;
    }

    private async Task<string> ExportAsync(ExportFormat format, DateTimeOffset from, DateTimeOffset to)
    {
        using var channel = hub.Channel(IdentitySpec.Reviewer("MX"));
        using var call = new ReviewService.ReviewServiceClient(channel).Export(new ExportRequest { Sector = "TCA", From = Ts(from), To = Ts(to), Format = format });
        using var file = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync()) chunk.Data.WriteTo(file);
        return System.Text.Encoding.UTF8.GetString(file.ToArray());
    }

    private static readonly JsonSerializerOptions GeoJson = new() { Converters = { new GeoJsonConverterFactory() } };

    private static Timestamp Ts(DateTimeOffset time) => Timestamp.FromDateTimeOffset(time);
}
