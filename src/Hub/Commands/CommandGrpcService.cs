using Grpc.Core;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
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
internal sealed class CommandGrpcService(IGrainFactory grains, FeedHub feeds, CallerLimits limits, SecurityAudit audit, TimeProvider time, IHostApplicationLifetime lifetime)
    : CommandService.CommandServiceBase
{
    public override Task<ListSectorsResponse> ListSectors(ListSectorsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListSectorsResponse { Sectors = { SectorCatalog.Default.All.Select(s => ProtoMapper.ToProto(s, withBoundary: true)) } });

    public override async Task<SectorStatus> GetSector(GetSectorRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        Authorize.SectorViewer(CallerAuthentication.Of(context), sector);
        var caller = CallerAuthentication.Of(context);
        return ProtoMapper.ToProto(await grains.Sector(sector).GetStatus(), a => Visibility.CanSee(caller, a));
    }

    public override async Task WatchSector(WatchSectorRequest request, IServerStreamWriter<SectorUpdate> responseStream, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        var caller = CallerAuthentication.Of(context);
        Authorize.SectorViewer(caller, sector);
        var grain = grains.Sector(sector);
        using var subscription = await feeds.SubscribeAsync(Feed.ForSector(sector));
        var after = await feeds.StartingPointAsync(subscription, request.ResumeFrom);
        if (request.ResumeFrom == 0)
        {
            var snapshot = await grain.GetStatus();
            after = snapshot.Cursor;
            await responseStream.WriteAsync(new SectorUpdate { Cursor = (ulong)after, Snapshot = ProtoMapper.ToProto(snapshot, a => Visibility.CanSee(caller, a)) });
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var record in subscription.ReadAllAsync(after, stop.Token))
            {
                if (!Visibility.CanSee(caller, record)) continue;
                using var delivery = AlertTracing.StartDelivery(record, caller.Name);
                await responseStream.WriteAsync(ProtoMapper.ToSectorUpdate(record), stop.Token);
                HubMetrics.DeliveryLatency.Record((time.GetUtcNow() - record.RecordedAt).TotalMilliseconds);
            }
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
        Authorize.CommandOf(caller, sector, "propose pairs in " + sector);
        return Audited(caller, "proposed", await grains.Sector(sector).ProposePair(us, mx, caller));
    }

    public override async Task<Pair> AcceptPair(PairRequest request, ServerCallContext context)
    {
        var (id, caller) = PairCall(request, context, "accept pairs");
        return Audited(caller, "accepted", await grains.Sector(id.Sector).AcceptPair(id, caller));
    }

    public override async Task<Pair> DissolvePair(PairRequest request, ServerCallContext context)
    {
        var (id, caller) = PairCall(request, context, "dissolve pairs");
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
        Authorize.SectorViewer(CallerAuthentication.Of(context), sector);
        var pairs = await grains.Sector(sector).ListPairs(request.IncludeDissolved);
        return new ListPairsResponse { Pairs = { pairs.Select(ProtoMapper.ToProto) } };
    }

    public override async Task<Alert> RaiseAlert(RaiseAlertRequest request, ServerCallContext context)
    {
        return AlertMapper.ToProto(await AlertRequests.RaiseAsync(grains, limits, CallerAuthentication.Of(context), request));
    }

    public override async Task<Alert> AcknowledgeAlert(AlertRequest request, ServerCallContext context) =>
        AlertMapper.ToProto(await grains.Alert(AlertId.Parse(request.AlertId)).Acknowledge(CallerAuthentication.Of(context)));

    public override async Task<Alert> RespondToAlert(AlertRequest request, ServerCallContext context) =>
        AlertMapper.ToProto(await grains.Alert(AlertId.Parse(request.AlertId)).Respond(CallerAuthentication.Of(context)));

    public override async Task<Alert> ResolveAlert(ResolveAlertRequest request, ServerCallContext context) =>
        AlertMapper.ToProto(
            await grains.Alert(AlertId.Parse(request.AlertId)).Resolve(CallerAuthentication.Of(context), AlertMapper.ToDomain(request.Outcome)));

    public override async Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        var caller = CallerAuthentication.Of(context);
        Authorize.SectorViewer(caller, sector);
        var alerts = await grains.Sector(sector).ListAlerts(request.OpenOnly);
        return new ListAlertsResponse { Alerts = { alerts.Where(a => Visibility.CanSee(caller, a)).Select(AlertMapper.ToProto) } };
    }

    private static (PairId, Grains.Security.Identity) PairCall(PairRequest request, ServerCallContext context, string action)
    {
        var id = PairId.Parse(request.PairId);
        var caller = CallerAuthentication.Of(context);
        Authorize.CommandOf(caller, KnownSector(id.Sector.Value), $"{action} in {id.Sector}");
        return (id, caller);
    }

    private static SectorId KnownSector(string code) => SectorCatalog.Default.Get(code).Id;
}
