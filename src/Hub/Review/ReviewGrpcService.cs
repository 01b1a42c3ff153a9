using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Sectors;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Mapping;
using PatrolHub.Hub.Review.Export;
using PatrolHub.Hub.Security;
using PatrolHub.V1;

namespace PatrolHub.Hub.Review;

/// <summary>After-action review, read straight from the journal: replay, the status at an instant, export, verification.</summary>
internal sealed class ReviewGrpcService(
    IJournal journal, TimeProvider time, HubCertificates certificates, Releases releases, IOptions<ReviewOptions> options,
    IOptions<SectorOptions> sectorOptions, IOptions<AlertOptions> alertOptions) : ReviewService.ReviewServiceBase
{
    private const int Page = 4096;
    private const int BatchSize = 512;

    public override async Task Replay(ReplayRequest request, IServerStreamWriter<ReplayBatch> responseStream, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.Replay);
        var units = request.Units.Select(UnitId.Parse).ToHashSet();
        releases.DemandShared(caller, units);
        var kinds = request.Kinds.Select(KindOf).ToHashSet();
        if (request.Speed < 0 || double.IsNaN(request.Speed) || double.IsInfinity(request.Speed))
            throw new Grains.DomainValidationException("speed", $"speed must be 0 (as fast as possible) or a positive factor; it is {request.Speed}.");
        var window = await ReviewWindow.ResolveAsync(journal, request.Sector, request.From, request.To, options.Value.MaxWindow, context.CancellationToken);

        JournalRecord? Wanted(JournalRecord record)
        {
            var keys = record.Event.Keys();
            return (kinds.Count == 0 || kinds.Contains(keys.Kind))
                && (units.Count == 0 || units.Any(u => keys.Unit == u || (keys.Kind != PositionRecorded.Kind && keys.ToUnit == u)))
                ? releases.Deliver(caller, record, "replay")
                : null;
        }

        var started = time.GetTimestamp();
        DateTimeOffset? first = null;
        var batch = new ReplayBatch();
        var after = window.After;
        while (after < window.UpTo)
        {
            var page = await journal.ReadFeedAsync(Feed.ForSector(window.Sector), after, window.UpTo, Page, context.CancellationToken);
            if (page.Count == 0) break;
            after = page[^1].Cursor;
            foreach (var record in page.Select(Wanted).OfType<JournalRecord>())
            {
                if (request.Speed > 0)
                {
                    first ??= record.RecordedAt;
                    var wait = ((record.RecordedAt - first.Value) / request.Speed) - time.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                    {
                        await SendAsync(responseStream, batch, context.CancellationToken);
                        await Task.Delay(wait, time, context.CancellationToken);
                    }
                }

                batch.Events.Add(ProtoMapper.ToRecordedEvent(record));
                if (batch.Events.Count >= BatchSize) await SendAsync(responseStream, batch, context.CancellationToken);
            }
        }

        await SendAsync(responseStream, batch, context.CancellationToken);
    }

    public override async Task<SectorStatus> SectorAt(SectorAtRequest request, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.SectorAt);
        var sector = SectorCatalog.Default.Get(request.Sector);
        var at = Fields.Instant(request.Time, "time");
        var cursor = await journal.CursorAtAsync(sector.Id, at, context.CancellationToken);
        var view = await SectorView.LoadAsync(
            journal, sector, sectorOptions.Value, 2 * alertOptions.Value.Expiry, at, cursor, context.CancellationToken);
        return await releases.StatusAsync(caller, view.Snapshot(at), "review", at, context.CancellationToken);
    }

    public override async Task Export(ExportRequest request, IServerStreamWriter<ExportChunk> responseStream, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.Export);
        var exporter = Exporter.For(request.Format);
        var window = await ReviewWindow.ResolveAsync(journal, request.Sector, request.From, request.To, options.Value.MaxWindow, context.CancellationToken);
        var source = new ExportSource(journal, window, record => releases.Deliver(caller, record, "export"));
        using var output = new ExportOutput(responseStream, source);
        await exporter.WriteAsync(source, output, context.CancellationToken);
        await output.SendAsync(final: true, context.CancellationToken);
    }

    public override async Task<VerifyResponse> Verify(VerifyRequest request, ServerCallContext context)
    {
        Access.Demand(CallerAuthentication.Of(context), Operation.Verify);
        var sectors = ChainVerifier.LogsNamed(request.Sector);
        var trust = new CheckpointTrust([certificates.Server]);
        // One sector after another: each already keeps every core busy, and together they would hold every sector's pages at once.
        var results = new List<Grains.Journal.SectorVerification>();
        foreach (var sector in sectors) results.Add(await ChainVerifier.VerifyAsync(journal, sector, trust, context.CancellationToken));
        return new VerifyResponse { Intact = results.All(r => r.Intact), Sectors = { results.Select(ToProto) } };
    }

    public override async Task Audit(AuditRequest request, IServerStreamWriter<AuditEvent> responseStream, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.Audit);
        var after = await ReviewWindow.CursorBeforeAsync(journal, SecurityEvent.Log, Fields.Instant(request.Since, "since"), context.CancellationToken);
        while (true)
        {
            var page = await journal.ReadFeedAsync(Feed.ForSector(SecurityEvent.Log), after, limit: Page, cancellationToken: context.CancellationToken);
            if (page.Count == 0) break;
            after = page[^1].Cursor;
            foreach (var record in page.Where(r => Access.Sees(caller, r.Event)))
                await responseStream.WriteAsync(ProtoMapper.ToAuditEvent(record), context.CancellationToken);
        }
    }

    private static async Task SendAsync(IServerStreamWriter<ReplayBatch> stream, ReplayBatch batch, CancellationToken cancellationToken)
    {
        if (batch.Events.Count == 0) return;
        await stream.WriteAsync(batch, cancellationToken);
        batch.Events.Clear();
    }

    private static string KindOf(EventKind kind) => kind switch
    {
        EventKind.Position => PositionRecorded.Kind,
        EventKind.Pair => PairChanged.Kind,
        EventKind.Alert => AlertChanged.Kind,
        EventKind.DriftWarning => Grains.Pairs.DriftWarning.Kind,
        _ => throw new Grains.DomainValidationException("kinds", $"event kind {(int)kind} is not one of position, pair, alert, drift-warning."),
    };

    private static V1.SectorVerification ToProto(Grains.Journal.SectorVerification result)
    {
        var message = new V1.SectorVerification
        {
            Sector = result.Sector.Value,
            Records = (ulong)result.Records,
            HeadHash = ByteString.CopyFrom(result.Head.Hash),
            Checkpoints = (uint)result.Checkpoints,
            Pruned = (ulong)result.Pruned,
            LastPrunedAt = result.LastPrunedAt is { } pruned ? Timestamp.FromDateTimeOffset(pruned) : null,
        };
        if (result.Break is { } broken)
        {
            message.Break = new V1.ChainBreak { Cursor = (ulong)broken.Cursor, Problem = broken.Problem };
            if (broken.RecordedAt is { } at) message.Break.RecordedAt = Timestamp.FromDateTimeOffset(at);
        }

        return message;
    }
}
