using Grpc.Core;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Admission;
using PatrolHub.Hub.Alerts;
using PatrolHub.Hub.Live;
using PatrolHub.Hub.Mapping;
using PatrolHub.Hub.Security;
using PatrolHub.Hub.Telemetry;
using PatrolHub.V1;

namespace PatrolHub.Hub.Commands;

/// <summary>Sector status, live watching, and pairing with bilateral consent.</summary>
internal sealed class CommandGrpcService(
    IGrainFactory grains, FeedHub feeds, CallerLimits limits, SecurityAudit audit, Releases releases, TimeProvider time,
    IHostApplicationLifetime lifetime)
    : CommandService.CommandServiceBase
{
    public override Task<ListSectorsResponse> ListSectors(ListSectorsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListSectorsResponse { Sectors = { SectorCatalog.Default.All.Select(s => ProtoMapper.ToProto(s, withBoundary: true)) } });

    public override async Task<SectorStatus> GetSector(GetSectorRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.GetSector, sector);
        return await releases.StatusAsync(caller, await grains.Sector(sector).GetStatus(), "status", time.GetUtcNow(), context.CancellationToken);
    }

    public override async Task WatchSector(WatchSectorRequest request, IServerStreamWriter<SectorUpdate> responseStream, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.WatchSector, sector);
        var grain = grains.Sector(sector);
        using var subscription = await feeds.SubscribeAsync(Feed.ForSector(sector));
        var feed = new ReleasedFeed(subscription, caller, releases, time, "watch");
        // Resuming with only a delayed cursor means nothing else had come since a snapshot of an empty log.
        var after = request is { ResumeFrom: 0, ResumeDelayedFrom: > 0 } ? 0 : await feeds.StartingPointAsync(subscription, request.ResumeFrom);
        long delayedAfter;
        if (request is { ResumeFrom: 0, ResumeDelayedFrom: 0 })
        {
            var snapshot = await grain.GetStatus();
            var now = time.GetUtcNow();
            after = snapshot.Cursor;
            delayedAfter = await feed.DelayedStartAsync(after, now, context.CancellationToken);
            await responseStream.WriteAsync(new SectorUpdate
            {
                Cursor = (ulong)after,
                DelayedCursor = (ulong)delayedAfter,
                Snapshot = await releases.StatusAsync(caller, snapshot, "watch", now, context.CancellationToken),
            });
        }
        else
        {
            delayedAfter = request.ResumeDelayedFrom == 0
                ? await feed.DelayedStartAsync(after, time.GetUtcNow(), context.CancellationToken)
                : await feeds.StartingPointAsync(subscription, request.ResumeDelayedFrom, "resume_delayed_from");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        // The delayed lane writes from a task of its own; the stream takes one write at a time.
        using var writing = new SemaphoreSlim(1, 1);
        try
        {
            await feed.RunAsync(after, delayedAfter, async (given, cancellationToken) =>
            {
                using var delivery = AlertTracing.StartDelivery(given.Recorded, caller.Name);
                await writing.WaitAsync(cancellationToken);
                try
                {
                    await responseStream.WriteAsync(ProtoMapper.ToSectorUpdate(given), cancellationToken);
                }
                finally
                {
                    writing.Release();
                }

                HubMetrics.DeliveryLatency.Record((time.GetUtcNow() - given.Recorded.RecordedAt).TotalMilliseconds);
            }, stop.Token);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The watcher went away.
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            throw ShuttingDown.Status();
        }
    }

    public override async Task<Pair> ProposePair(ProposePairRequest request, ServerCallContext context)
    {
        var us = UnitId.Parse(request.UsUnit);
        var mx = UnitId.Parse(request.MxUnit);
        var sector = KnownSector(us.Sector.Value);
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.ProposePair, sector);
        return Audited(caller, "proposed", await grains.Sector(sector).ProposePair(us, mx, caller));
    }

    public override async Task<Pair> AcceptPair(PairRequest request, ServerCallContext context)
    {
        var (id, caller) = PairCall(request, context, Operation.AcceptPair);
        return Audited(caller, "accepted", await grains.Sector(id.Sector).AcceptPair(id, caller));
    }

    public override async Task<Pair> DissolvePair(PairRequest request, ServerCallContext context)
    {
        var (id, caller) = PairCall(request, context, Operation.DissolvePair);
        return Audited(caller, "dissolved", await grains.Sector(id.Sector).DissolvePair(id, caller));
    }

    /// <summary>A pairing change concerns both nations: it is in both nations' audit.</summary>
    private Pair Audited(Grains.Security.Identity caller, string action, Grains.Sectors.PairStatus changed)
    {
        var pair = changed.Pair;
        audit.Record(Grains.Security.SecurityEvent.Pairing, caller, $"{action} pair {pair.Id} ({pair.Us} with {pair.Mx})", caller.Nation.Other());
        return ProtoMapper.ToProto(changed);
    }

    public override async Task<ListPairsResponse> ListPairs(ListPairsRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        Access.Demand(CallerAuthentication.Of(context), Operation.ListPairs, sector);
        var pairs = await grains.Sector(sector).ListPairs(request.IncludeDissolved);
        return new ListPairsResponse { Pairs = { pairs.Select(ProtoMapper.ToProto) } };
    }

    public override async Task<Alert> RaiseAlert(RaiseAlertRequest request, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        return AlertRequests.Reply(releases, caller, await AlertRequests.RaiseAsync(grains, limits, caller, request));
    }

    public override async Task<Alert> AcknowledgeAlert(AlertRequest request, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        return AlertRequests.Reply(releases, caller, await AlertRequests.ActAsync(grains, releases, caller, request.AlertId, a => a.Acknowledge(caller)));
    }

    public override async Task<Alert> RespondToAlert(AlertRequest request, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        return AlertRequests.Reply(releases, caller, await AlertRequests.ActAsync(grains, releases, caller, request.AlertId, a => a.Respond(caller)));
    }

    public override async Task<Alert> ResolveAlert(ResolveAlertRequest request, ServerCallContext context)
    {
        var caller = CallerAuthentication.Of(context);
        return AlertRequests.Reply(
            releases, caller, await AlertRequests.ActAsync(grains, releases, caller, request.AlertId, a => a.Resolve(caller, AlertMapper.ToDomain(request.Outcome))));
    }

    public override async Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, Operation.ListAlerts, sector);
        var alerts = await grains.Sector(sector).ListAlerts(request.OpenOnly);
        return new ListAlertsResponse { Alerts = { alerts.Select(a => releases.Deliver(caller, a, "list")).OfType<Grains.Alerts.AlertInfo>().Select(AlertMapper.ToProto) } };
    }

    private static (PairId, Grains.Security.Identity) PairCall(PairRequest request, ServerCallContext context, Operation operation)
    {
        var id = PairId.Parse(request.PairId);
        var caller = CallerAuthentication.Of(context);
        Access.Demand(caller, operation, KnownSector(id.Sector.Value));
        return (id, caller);
    }

    private static SectorId KnownSector(string code) => SectorCatalog.Default.Get(code).Id;
}
