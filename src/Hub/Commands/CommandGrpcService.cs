using Grpc.Core;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Live;
using PatrolHub.Hub.Mapping;
using PatrolHub.Hub.Security;
using PatrolHub.V1;

namespace PatrolHub.Hub.Commands;

/// <summary>Sector status, live watching, and pairing with bilateral consent.</summary>
internal sealed class CommandGrpcService(IGrainFactory grains, FeedSubscriptions feeds, TimeProvider time, IHostApplicationLifetime lifetime)
    : CommandService.CommandServiceBase
{
    public override Task<ListSectorsResponse> ListSectors(ListSectorsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListSectorsResponse { Sectors = { SectorCatalog.Default.All.Select(s => ProtoMapper.ToProto(s, withBoundary: true)) } });

    public override async Task<SectorStatus> GetSector(GetSectorRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        Authorize.SectorViewer(IdentityInterceptor.Caller(context), sector);
        return ProtoMapper.ToProto(await grains.Sector(sector).GetStatus());
    }

    public override async Task WatchSector(WatchSectorRequest request, IServerStreamWriter<SectorUpdate> responseStream, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        Authorize.SectorViewer(IdentityInterceptor.Caller(context), sector);
        var grain = grains.Sector(sector);
        await using var subscription = await feeds.StartAsync(grain, Feed.ForSector(sector));
        var after = (long)request.ResumeFrom;
        if (after == 0)
        {
            var snapshot = await grain.GetStatus();
            after = snapshot.Cursor;
            await responseStream.WriteAsync(new SectorUpdate { Cursor = (ulong)after, Snapshot = ProtoMapper.ToProto(snapshot) });
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var record in subscription.ReadAllAsync(after, stop.Token))
            {
                var update = new SectorUpdate { Cursor = (ulong)record.Cursor };
                switch (record.Event)
                {
                    case Grains.Units.PositionRecorded:
                        update.Position = ProtoMapper.ToProto(record);
                        break;
                    case PairChanged changed:
                        update.Pair = ProtoMapper.ToProto(changed.Pair);
                        break;
                    default:
                        continue;
                }

                await responseStream.WriteAsync(update, stop.Token);
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
        var caller = IdentityInterceptor.Caller(context);
        Authorize.CommandOf(caller, sector, "propose pairs in " + sector);
        return ProtoMapper.ToProto(await grains.Sector(sector).ProposePair(us, mx, caller));
    }

    public override async Task<Pair> AcceptPair(PairRequest request, ServerCallContext context)
    {
        var (id, caller) = PairCall(request, context, "accept pairs");
        return ProtoMapper.ToProto(await grains.Sector(id.Sector).AcceptPair(id, caller));
    }

    public override async Task<Pair> DissolvePair(PairRequest request, ServerCallContext context)
    {
        var (id, caller) = PairCall(request, context, "dissolve pairs");
        return ProtoMapper.ToProto(await grains.Sector(id.Sector).DissolvePair(id, caller));
    }

    public override async Task<ListPairsResponse> ListPairs(ListPairsRequest request, ServerCallContext context)
    {
        var sector = KnownSector(request.Sector);
        Authorize.SectorViewer(IdentityInterceptor.Caller(context), sector);
        var pairs = await grains.Sector(sector).ListPairs(request.IncludeDissolved);
        return new ListPairsResponse { Pairs = { pairs.Select(ProtoMapper.ToProto) } };
    }

    private static (PairId, Grains.Security.Identity) PairCall(PairRequest request, ServerCallContext context, string action)
    {
        var id = PairId.Parse(request.PairId);
        var caller = IdentityInterceptor.Caller(context);
        Authorize.CommandOf(caller, KnownSector(id.Sector.Value), $"{action} in {id.Sector}");
        return (id, caller);
    }

    private static SectorId KnownSector(string code) => SectorCatalog.Default.Get(SectorId.Parse(code)).Id;
}
