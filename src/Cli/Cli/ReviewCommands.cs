using System.CommandLine;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Journal;
using PatrolHub.V1;
using SectorVerification = PatrolHub.V1.SectorVerification;
using static System.FormattableString;

namespace PatrolHub.Client.Cli;

/// <summary>After-action review: replay, the status at an instant, export and verification.</summary>
internal static class ReviewCommands
{
    public static IEnumerable<Command> Build() => [Replay(), At(), Export(), Verify(), Audit()];

    private static Option<string> Sector() => new("--sector") { Description = "Sector code, e.g. TCA", Required = true };

    private static Option<string> Time(string name, string description) => new(name) { Description = description, Required = true };

    private static Command Replay()
    {
        var sector = Sector();
        var from = Time("--from", "Start: ISO 8601 (UTC unless an offset is given) or relative, e.g. -15m");
        var to = Time("--to", "End, as --from; 'now' for now");
        var speed = new Option<double>("--speed") { Description = "N times real time (default: as fast as possible)" };
        var unit = new Option<string[]>("--unit") { Description = "Only events of this unit (repeatable)", AllowMultipleArgumentsPerToken = true };
        var kind = new Option<string[]>("--kind") { Description = "Only this kind: position, pair, alert, drift-warning (repeatable)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("replay", "Replay a sector's recorded events between two instants, in order, with their original times")
        {
            sector, from, to, speed, unit, kind,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var request = new ReplayRequest
            {
                Sector = result.GetValue(sector)!,
                From = Timestamp.FromDateTimeOffset(Times.Parse(result.GetValue(from)!)),
                To = Timestamp.FromDateTimeOffset(Times.Parse(result.GetValue(to)!)),
                Speed = result.GetValue(speed) is var s && s >= 0 ? s : throw new UsageException("--speed must be positive (or 0 for as fast as possible)."),
                Units = { result.GetValue(unit) ?? [] },
                Kinds = { (result.GetValue(kind) ?? []).Select(k => Kebab.Parse<EventKind>(k, "--kind")) },
            };
            var (client, output, channel) = Client(result);
            using (channel)
            {
                using var call = client.Replay(request, cancellationToken: cancellationToken);
                await foreach (var batch in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    foreach (var e in batch.Events)
                    {
                        var at = e.RecordedAt.ToDateTimeOffset().UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
                        Render.Event(output, e.Cursor, e.Position, e.Pair, e.Alert, e.Warning, prefix: $"{at} #{e.Cursor} ");
                    }
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command At()
    {
        var sector = Sector();
        var time = Time("--time", "The instant: ISO 8601 or relative, e.g. -15m");
        var command = new Command("at", "Show a sector as it stood at an instant: units, pairs and drift, open alerts, coverage gaps") { sector, time };
        command.SetAction(async (result, cancellationToken) =>
        {
            var (client, output, channel) = Client(result);
            using (channel)
            {
                var status = await client.SectorAtAsync(
                    new SectorAtRequest { Sector = result.GetValue(sector)!, Time = Timestamp.FromDateTimeOffset(Times.Parse(result.GetValue(time)!)) },
                    cancellationToken: cancellationToken);
                SectorCommands.PrintSnapshot(output, status, status.Cursor);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Export()
    {
        var sector = Sector();
        var from = Time("--from", "Start: ISO 8601 or relative, e.g. -1h");
        var to = Time("--to", "End, as --from; 'now' for now");
        var format = new Option<string>("--format") { Description = "geojson, gpx, csv or kml", Required = true };
        var file = new Option<string>("--out") { Description = "The file to write", Required = true };
        var command = new Command("export", "Export a sector's record between two instants as GeoJSON, GPX 1.1, CSV or KML")
        {
            sector, from, to, format, file,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var request = new ExportRequest
            {
                Sector = result.GetValue(sector)!,
                From = Timestamp.FromDateTimeOffset(Times.Parse(result.GetValue(from)!)),
                To = Timestamp.FromDateTimeOffset(Times.Parse(result.GetValue(to)!)),
                Format = Kebab.Parse<ExportFormat>(result.GetValue(format)!, "--format"),
            };
            var path = Path.GetFullPath(result.GetValue(file)!);
            var (client, output, channel) = Client(result);
            var progress = Console.IsErrorRedirected ? null : new ProgressBar(Console.Error);
            var written = 0L;
            using (channel)
            {
                using var call = client.Export(request, cancellationToken: cancellationToken);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var partial = path + ".partial";
                try
                {
                    await using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write))
                    {
                        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
                        {
                            chunk.Data.WriteTo(stream);
                            written += chunk.Data.Length;
                            progress?.Show(chunk.RecordsRead, chunk.RecordsTotal, written);
                        }
                    }

                    File.Move(partial, path, overwrite: true);
                }
                finally
                {
                    progress?.Done();
                    File.Delete(partial);
                }
            }

            output.Write(new { type = "file", path, bytes = written }, Invariant($"{path}: {written:N0} bytes"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var sector = new Option<string?>("--sector") { Description = "Only this sector (default: every sector)" };
        var offline = new Option<string?>("--offline") { Description = "Verify this copied journal file, without a hub" };
        var hubCert = new Option<string?>("--hub-cert")
        {
            Description = "With --offline: the hub's certificate, or the CA that issued it, to check the signed checkpoints against (default: --ca)",
        };
        var command = new Command("verify", "Check the record's hash chains and the hub's signed checkpoints; exit code 1 if it is broken")
        {
            sector, offline, hubCert,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = GlobalOptions.Output(result);
            var only = result.GetValue(sector);
            IReadOnlyList<SectorVerification> sectors;
            if (result.GetValue(offline) is { } file)
            {
                sectors = await VerifyOfflineAsync(file, only, result.GetValue(hubCert) ?? result.GetValue(GlobalOptions.Ca), output, cancellationToken);
            }
            else
            {
                var (client, _, channel) = Client(result);
                using (channel)
                    sectors = (await client.VerifyAsync(new VerifyRequest { Sector = only ?? "" }, cancellationToken: cancellationToken)).Sectors;
            }

            foreach (var s in sectors) Print(output, s);
            var broken = sectors.Count(s => s.Break is not null);
            output.Write(
                new { type = "verified", intact = broken == 0, sectors = sectors.Count, records = sectors.Sum(s => (long)s.Records) },
                broken == 0
                    ? Invariant($"the record is intact: {sectors.Sum(s => (long)s.Records):N0} records in {sectors.Count} sectors")
                    : $"the record is BROKEN in {broken} of {sectors.Count} sectors");
            return broken == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static async Task<IReadOnlyList<SectorVerification>> VerifyOfflineAsync(
        string file, string? only, string? anchor, Output output, CancellationToken cancellationToken)
    {
        var anchors = anchor is not null && File.Exists(anchor)
            ? new CheckpointTrust([System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(anchor)])
            : CheckpointTrust.SignatureOnly;
        if (!anchors.ChecksSigners)
            output.Write(new { type = "note", note = "signers-unchecked" }, "note: no hub certificate to check checkpoint signers against (pass --hub-cert); only their signatures are checked");
        IReadOnlyList<Grains.Ids.SectorId> sectors;
        try
        {
            sectors = ChainVerifier.LogsNamed(only);
        }
        catch (Exception e) when (e is Grains.DomainValidationException or Grains.DomainNotFoundException)
        {
            throw new UsageException(e.Message);
        }

        await using var journal = SqliteJournal.OpenReadOnly(file);
        // One sector after another, as the hub does: each already keeps every core busy.
        var results = new List<Grains.Journal.SectorVerification>();
        foreach (var sector in sectors) results.Add(await ChainVerifier.VerifyAsync(journal, sector, anchors, cancellationToken));
        return
        [
            .. results.Select(r => new SectorVerification
            {
                Sector = r.Sector.Value,
                Records = (ulong)r.Records,
                HeadHash = Google.Protobuf.ByteString.CopyFrom(r.Head.Hash),
                Checkpoints = (uint)r.Checkpoints,
                Pruned = (ulong)r.Pruned,
                LastPrunedAt = r.LastPrunedAt is { } pruned ? Timestamp.FromDateTimeOffset(pruned) : null,
                Break = r.Break is { } b
                    ? new V1.ChainBreak { Cursor = (ulong)b.Cursor, Problem = b.Problem, RecordedAt = b.RecordedAt is { } at ? Timestamp.FromDateTimeOffset(at) : null }
                    : null,
            }),
        ];
    }

    private static void Print(Output output, SectorVerification s)
    {
        var head = Convert.ToHexStringLower(s.HeadHash.Span);
        if (s.Break is { } b)
        {
            var at = b.RecordedAt is { } time ? $" (recorded {time.ToDateTimeOffset():yyyy-MM-ddTHH:mm:ss.ffffffZ})" : "";
            output.Write(
                new { type = "sector", sector = s.Sector, intact = false, records = s.Records, cursor = b.Cursor, recorded_at = b.RecordedAt?.ToDateTimeOffset(), problem = b.Problem },
                $"{s.Sector}: BROKEN at record {b.Cursor}{at}: {b.Problem}");
        }
        else
        {
            output.Write(
                new
                {
                    type = "sector", sector = s.Sector, intact = true, records = s.Records, head, checkpoints = s.Checkpoints,
                    pruned = s.Pruned, last_pruned_at = s.LastPrunedAt?.ToDateTimeOffset(),
                },
                Invariant($"{s.Sector}: {s.Records:N0} records intact, head {head[..16]}…, {s.Checkpoints} signed checkpoints agree")
                + (s.Pruned > 0 ? Invariant($"; {s.Pruned:N0} pruned under the retention policy, last on {s.LastPrunedAt?.ToDateTimeOffset():u}") : ""));
        }
    }

    private static Command Audit()
    {
        var since = Time("--since", "From: ISO 8601 (UTC unless an offset is given) or relative, e.g. -1h");
        var command = new Command("audit", "The hub's security log since an instant, as it concerns your nation (reviewers)") { since };
        command.SetAction(async (result, cancellationToken) =>
        {
            var request = new AuditRequest { Since = Timestamp.FromDateTimeOffset(Times.Parse(result.GetValue(since)!)) };
            var (client, output, channel) = Client(result);
            using (channel)
            {
                using var call = client.Audit(request, cancellationToken: cancellationToken);
                await foreach (var e in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    var at = e.RecordedAt.ToDateTimeOffset().UtcDateTime;
                    output.Write(
                        new { type = "audit", cursor = e.Cursor, recorded_at = at, e.Action, e.Subject, nations = e.Nations.Select(n => n == Nation.Us ? "US" : "MX"), e.Detail, e.Count, first = e.First.ToDateTimeOffset().UtcDateTime },
                        Invariant($"{at:yyyy-MM-ddTHH:mm:ss.fffZ} #{e.Cursor} {e.Action} {e.Subject}{(e.Count > 1 ? $" ×{e.Count}" : "")}: {e.Detail}"));
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static (ReviewService.ReviewServiceClient Client, Output Output, Grpc.Net.Client.GrpcChannel Channel) Client(ParseResult result)
    {
        var channel = GlobalOptions.Connection(result).CreateChannel();
        return (new ReviewService.ReviewServiceClient(channel), GlobalOptions.Output(result), channel);
    }

    /// <summary>A one-line progress bar on a terminal.</summary>
    private sealed class ProgressBar(TextWriter terminal)
    {
        private long _shown = -1;

        public void Show(ulong done, ulong total, long bytes)
        {
            var percent = total == 0 ? 100 : (long)(100 * done / total);
            if (percent == _shown) return;
            _shown = percent;
            var filled = (int)(percent * 30 / 100);
            terminal.Write(Invariant($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {percent,3}%  {done:N0}/{total:N0} records  {bytes / 1024.0 / 1024:F1} MiB"));
        }

        public void Done()
        {
            if (_shown >= 0) terminal.WriteLine();
        }
    }
}
