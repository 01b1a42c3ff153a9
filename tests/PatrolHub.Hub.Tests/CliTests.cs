using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PatrolHub.Client.Pki;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class CliTests(HubFixture hub)
{
    private string Certs => hub.Pki.Folder;

    [Fact]
    public async Task Certs_init_creates_a_PKI_and_will_not_overwrite_it()
    {
        var folder = Directory.CreateTempSubdirectory("patrolhub-cli-").FullName;
        try
        {
            var (code, output, _) = await Processes.CliAsync(folder, "certs", "init", "--certs", "pki");
            Assert.Equal(0, code);
            foreach (var file in new[] { "hub-ca.crt", "hub.pfx", "us-ca.crt", "mx-ca.crt", "us-tca-0101.pfx", "mx-tca-0101.pfx", "us-tca-cmd.pfx", "mx-tca-cmd.pfx" })
                Assert.Contains(Path.Combine(folder, "pki", file), output.Split('\n').Select(l => l.Trim()));

            var again = await Processes.CliAsync(folder, "certs", "init", "--certs", "pki");
            Assert.Equal(2, again.Code);
            Assert.Contains("already exists", again.Error, StringComparison.Ordinal);

            var issued = await Processes.CliAsync(folder, "certs", "issue", "--certs", "pki", "--unit", "MX-EPT-0007");
            Assert.Equal(0, issued.Code);
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(folder, "pki", "mx-ept-0007.pfx"), null);
            Assert.Equal(["urn:patrolhub:unit:MX-EPT-0007"], SubjectAlternativeNames.Uris(certificate));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Pairing_through_the_CLI_prints_the_pair_and_exit_codes_say_what_went_wrong()
    {
        var (us, mx) = Units.NextPair();
        var proposed = await Cli("us-tca-cmd", "pair", "propose", "--us", us, "--mx", mx);
        Assert.Equal(0, proposed.Code);
        var pairId = proposed.Out.Trim();
        Assert.Matches("^TCA-P[0-9]{4}$", pairId);

        var accepted = await Cli("mx-tca-cmd", "--json", "pair", "accept", pairId);
        Assert.Equal(0, accepted.Code);
        using var json = JsonDocument.Parse(accepted.Out);
        Assert.Equal("active", json.RootElement.GetProperty("state").GetString());
        Assert.Equal(us, json.RootElement.GetProperty("us").GetString());

        Assert.Equal(4, (await Cli("mx-tca-cmd", "pair", "accept", "TCA-P9999")).Code);
        Assert.Equal(1, (await Cli("mx-tca-cmd", "pair", "accept", pairId)).Code);
        Assert.Equal(2, (await Cli("us-tca-cmd", "pair", "propose", "--us", us)).Code);
        Assert.Equal(3, (await Cli("us-tca-0101", "pair", "propose", "--us", us, "--mx", mx)).Code);
    }

    [Fact]
    public async Task A_unit_publishing_as_another_exits_with_code_3()
    {
        var (code, _, error) = await Cli("mx-tca-0101", "unit", "run", "--id", "US-TCA-0101", "--simulate", "--duration", "5s");
        Assert.Equal(3, code);
        Assert.Contains("PERMISSION_DENIED: identity MX-TCA-0101 may not publish as US-TCA-0101", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_without_an_identity_is_bad_usage_and_without_a_certificate_is_refused()
    {
        var usage = await Processes.CliAsync(hub.DataPath, "--hub", hub.Address.ToString(), "--ca", Path.Combine(Certs, "hub-ca.crt"), "pair", "list");
        Assert.Equal(2, usage.Code);
        Assert.Contains("no identity", usage.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_reports_what_was_offered_sent_and_acknowledged_and_the_latency_after_warm_up()
    {
        var (code, output, error) = await Processes.CliAsync(hub.DataPath, [
            "--hub", hub.Address.ToString(), "--ca", Path.Combine(Certs, "hub-ca.crt"), "--certs", Certs, "--json",
            "simulate", "--sector", "BBT", "--first-unit", "9001", "--pairs", "2", "--rate", "5", "--duration", "4s", "--settle", "2s"]);

        Assert.True(code == 0, error);
        var report = JsonDocument.Parse(output).RootElement;
        var acknowledged = report.GetProperty("acknowledged").GetInt64();
        Assert.InRange(acknowledged, 20, long.MaxValue);
        Assert.Equal(report.GetProperty("sent").GetInt64(), acknowledged);
        Assert.InRange(report.GetProperty("offered").GetInt64(), acknowledged, long.MaxValue);
        Assert.Equal(acknowledged, report.GetProperty("ack").GetProperty("count").GetInt64());
        // Only the positions scheduled after the first 2 s of the 4 count as settled.
        Assert.Equal(2, report.GetProperty("settle_seconds").GetDouble());
        Assert.InRange(report.GetProperty("settled_ack").GetProperty("count").GetInt64(), 1, acknowledged - 1);
        Assert.InRange(report.GetProperty("settled_delivery").GetProperty("count").GetInt64(), 1, report.GetProperty("delivery").GetProperty("count").GetInt64() - 1);
        // No alerts were raised: their latency is left out, not a NaN that JSON cannot hold.
        Assert.Equal(0, report.GetProperty("alert_to_partner").GetProperty("count").GetInt32());
        Assert.False(report.GetProperty("alert_to_partner").TryGetProperty("p99_ms", out _));

        var usage = await Processes.CliAsync(hub.DataPath, "--hub", hub.Address.ToString(), "--certs", Certs, "simulate", "--duration", "5s", "--settle", "5s");
        Assert.Equal(2, usage.Code);
        Assert.Contains("--settle must be shorter than --duration", usage.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulated_partners_print_each_others_positions()
    {
        var (us, mx) = Units.NextPair();
        var pki = hub.Pki;
        pki.Issue(IdentitySpec.Unit(us));
        pki.Issue(IdentitySpec.Unit(mx));
        await Units.PairAsync(hub, us, mx);

        var runs = await Task.WhenAll(
            Cli(us.ToLowerInvariant(), "--json", "unit", "run", "--simulate", "--rate", "5", "--duration", "4s"),
            Cli(mx.ToLowerInvariant(), "--json", "unit", "run", "--simulate", "--rate", "5", "--duration", "4s"));

        foreach (var (run, partner) in runs.Zip([mx, us]))
        {
            Assert.True(run.Code == 0, run.Error);
            var positions = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement)
                .Where(e => e.GetProperty("type").GetString() == "position")
                .ToList();
            Assert.True(positions.Count >= 10, $"{positions.Count} partner positions:\n{run.Out}");
            Assert.All(positions, p => Assert.Equal(partner, p.GetProperty("unit").GetString()));
        }
    }

    [Fact]
    public async Task Alerts_take_kebab_case_values_in_any_case_and_name_what_is_allowed()
    {
        var raised = await Cli("mx-tca-cmd", "alert", "raise", "--sector", "TCA", "--kind", "Human-Smuggling", "--severity", "HIGH",
            "--lat", "31.3243", "--lon", "-110.93", "--text", "group of 8 heading north");
        Assert.True(raised.Code == 0, raised.Error);
        var id = raised.Out.Trim();
        Assert.Matches("^TCA-A[0-9]{5}$", id);

        var ack = await Cli("us-tca-cmd", "--json", "alert", "ack", id);
        Assert.Equal(0, ack.Code);
        using (var json = JsonDocument.Parse(ack.Out))
        {
            Assert.Equal("acknowledged", json.RootElement.GetProperty("state").GetString());
            Assert.Equal("human-smuggling", json.RootElement.GetProperty("kind").GetString());
            Assert.Equal("MX", json.RootElement.GetProperty("side").GetString());
        }

        var resolved = await Cli("us-tca-cmd", "alert", "resolve", id, "--outcome", "turned-back");
        Assert.Equal(0, resolved.Code);
        Assert.Contains("outcome turned-back", resolved.Out, StringComparison.Ordinal);

        var badKind = await Cli("mx-tca-cmd", "alert", "raise", "--sector", "TCA", "--kind", "smuggling", "--severity", "high", "--lat", "31.3", "--lon", "-110.9");
        Assert.Equal(2, badKind.Code);
        Assert.Contains("--kind 'smuggling' is not one of narcotics, firearms, human-smuggling, illegal-crossing, tunnel, aircraft-drone, vehicle, other.", badKind.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await Cli("us-tca-cmd", "alert", "resolve", id)).Code);
        Assert.Equal(1, (await Cli("us-tca-cmd", "alert", "ack", id)).Code);
        Assert.Equal(4, (await Cli("us-tca-cmd", "alert", "ack", "TCA-A99999")).Code);
    }

    [Fact]
    public async Task A_unit_streams_a_GPX_track_and_stops_at_its_end()
    {
        var (us, gpx) = await UnitWithTrackAsync("""
            <trkpt lat="31.3500" lon="-110.9500"/>
            <trkpt lat="31.3510" lon="-110.9490"/>
            <trkpt lat="31.3520" lon="-110.9480"/>
            """);

        var run = await Cli(us.ToLowerInvariant(), "--json", "unit", "run", "--gpx", gpx, "--rate", "10");

        Assert.True(run.Code == 0, run.Error);
        var acks = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "ack").Select(e => e.GetProperty("sequence").GetInt64());
        Assert.Equal([1L, 2, 3], acks);
        var missing = await Cli(us.ToLowerInvariant(), "unit", "run", "--gpx", Path.Combine(hub.DataPath, "missing.gpx"));
        Assert.Equal(1, missing.Code);
    }

    [Fact]
    public async Task A_unit_given_the_wrong_hub_CA_exits_with_code_3_naming_both_certificates()
    {
        var (us, gpx) = await UnitWithTrackAsync("""<trkpt lat="31.3500" lon="-110.9500"/>""");

        // The US CA did not issue the hub's certificate: a setup error, reported at once rather than retried for ever.
        var run = await Processes.CliAsync(hub.DataPath, "--hub", hub.Address.ToString(), "--ca", Path.Combine(Certs, "us-ca.crt"),
            "--identity", Path.Combine(Certs, us.ToLowerInvariant() + ".pfx"), "unit", "run", "--gpx", gpx);

        Assert.Equal(3, run.Code);
        Assert.Contains("PatrolHub refused the hub: the hub's certificate (CN=", run.Error, StringComparison.Ordinal);
        Assert.Contains("does not chain to the hub CA given (CN=", run.Error, StringComparison.Ordinal);
        Assert.Contains("check --ca", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reviewer_identity_issued_to_a_relative_path_lands_there_and_can_replay_export_and_verify()
    {
        var folder = Directory.CreateTempSubdirectory("patrolhub-cli-").FullName;
        try
        {
            var issued = await Processes.CliAsync(folder, "certs", "issue", "--certs", Certs, "--reviewer", "US", "--out", "keys/reviewer-us.pfx");
            Assert.True(issued.Code == 0, issued.Error);
            var pfx = Path.Combine(folder, "keys", "reviewer-us.pfx");
            Assert.True(File.Exists(pfx), issued.Out);

            var (us, mx) = Units.NextPair();
            var from = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            await Units.PairAsync(hub, us, mx);
            var replay = await Processes.CliAsync(folder, [.. Hub(pfx), "--json", "replay", "--sector", "TCA", "--from", from, "--to", "now", "--unit", us]);
            Assert.True(replay.Code == 0, replay.Error);
            var states = replay.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("state").GetString());
            Assert.Equal(["proposed", "active"], states);

            var export = await Processes.CliAsync(folder, [.. Hub(pfx), "export", "--sector", "TCA", "--from", "-1m", "--to", "now", "--format", "csv", "--out", "out/tca.csv"]);
            Assert.True(export.Code == 0, export.Error);
            Assert.Contains($",pair,{us},{mx},", await File.ReadAllTextAsync(Path.Combine(folder, "out", "tca.csv")), StringComparison.Ordinal);

            var verify = await Processes.CliAsync(folder, [.. Hub(pfx), "verify", "--sector", "TCA"]);
            Assert.True(verify.Code == 0, verify.Error);
            Assert.Contains("the record is intact", verify.Out, StringComparison.Ordinal);

            var format = await Processes.CliAsync(folder, [.. Hub(pfx), "export", "--sector", "TCA", "--from", "-1m", "--to", "now", "--format", "shp", "--out", "x"]);
            Assert.Equal(2, format.Code);
            Assert.Equal("patrolhub: --format 'shp' is not one of geojson, gpx, csv, kml.", format.Error.Trim());

            var window = await Processes.CliAsync(folder, [.. Hub(pfx), "replay", "--sector", "TCA", "--from", "now", "--to", "-1h"]);
            Assert.Equal(2, window.Code);
            Assert.StartsWith("patrolhub: INVALID_ARGUMENT: from (", window.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Verify_offline_names_the_record_edited_in_a_copied_journal_and_exits_1()
    {
        var folder = Directory.CreateTempSubdirectory("patrolhub-cli-").FullName;
        try
        {
            var copy = Path.Combine(folder, "journal.db");
            await using (var source = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(hub.DataPath, "journal.db")};Mode=ReadOnly;Pooling=false"))
            await using (var target = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={copy};Pooling=false"))
            {
                await source.OpenAsync();
                await target.OpenAsync();
                source.BackupDatabase(target);
            }

            var intact = await Processes.CliAsync(folder, "verify", "--offline", "journal.db", "--hub-cert", Path.Combine(Certs, "hub.crt"));
            Assert.True(intact.Code == 0, intact.Out + intact.Error);

            long cursor;
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={copy};Pooling=false"))
            {
                await connection.OpenAsync();
                await using var first = connection.CreateCommand();
                first.CommandText = "SELECT MIN(cursor) FROM journal WHERE sector = 'TCA' AND kind = 'position'";
                cursor = (long)(await first.ExecuteScalarAsync())!;
                await using var edit = connection.CreateCommand();
                edit.CommandText = $"UPDATE journal SET payload = replace(payload, '\"latitude\":3', '\"latitude\":4') WHERE sector = 'TCA' AND cursor = {cursor}";
                Assert.Equal(1, await edit.ExecuteNonQueryAsync());
            }

            var broken = await Processes.CliAsync(folder, "verify", "--offline", "journal.db", "--sector", "TCA");
            Assert.Equal(1, broken.Code);
            Assert.Contains($"TCA: BROKEN at record {cursor} (recorded ", broken.Out, StringComparison.Ordinal);
            Assert.Contains("altered: its content does not match its hash.", broken.Out, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_timed_GPX_track_streams_at_its_own_pace_whatever_the_rate()
    {
        var (us, gpx) = await UnitWithTrackAsync("""
            <trkpt lat="31.3500" lon="-110.9000"><time>2026-03-01T10:00:00Z</time></trkpt>
            <trkpt lat="31.3501" lon="-110.9001"><time>2026-03-01T10:00:01.5Z</time></trkpt>
            <trkpt lat="31.3502" lon="-110.9002"><time>2026-03-01T10:00:02Z</time></trkpt>
            """);

        var run = await Cli(us.ToLowerInvariant(), "--json", "unit", "run", "--gpx", gpx, "--rate", "50");

        Assert.True(run.Code == 0, run.Error);
        var positions = await hub.Journal.ReadAsync(new Grains.Journal.JournalQuery(Grains.Units.PositionRecorded.Kind) { Unit = Grains.Ids.UnitId.Parse(us) });
        var times = positions.Select(p => ((Grains.Units.PositionRecorded)p.Event).Report.GnssTime).ToList();
        Assert.Equal(3, times.Count);
        // 1.5 s and 0.5 s apart as the track says, not 20 ms as --rate 50 would.
        Assert.InRange(times[1] - times[0], TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(2.5));
        Assert.InRange(times[2] - times[1], TimeSpan.FromSeconds(0.4), TimeSpan.FromSeconds(1.5));
    }

    /// <summary>A new unit with its identity issued, and a GPX file of one track segment of <paramref name="points"/>.</summary>
    private async Task<(string Unit, string Gpx)> UnitWithTrackAsync(string points)
    {
        var (unit, _) = Units.NextPair();
        hub.Pki.Issue(IdentitySpec.Unit(unit));
        var gpx = Path.Combine(hub.DataPath, $"{unit}.gpx");
        await File.WriteAllTextAsync(gpx, $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
            {points}
            </trkseg></trk></gpx>
            """);
        return (unit, gpx);
    }

    private string[] Hub(string identity) => ["--hub", hub.Address.ToString(), "--ca", Path.Combine(Certs, "hub-ca.crt"), "--identity", identity];

    private Task<(int Code, string Out, string Error)> Cli(string identity, params string[] args) =>
        Processes.CliAsync(hub.DataPath, [
            "--hub", hub.Address.ToString(), "--ca", Path.Combine(Certs, "hub-ca.crt"),
            "--identity", Path.Combine(Certs, identity + ".pfx"), .. args]);
}
