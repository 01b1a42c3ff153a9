using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.V1;

namespace PatrolHub.Relay;

/// <summary>The command calls simulate makes: a sector's boundary, and pairs proposed, accepted, dissolved and listed in memory.</summary>
internal sealed class RelayCommandService(Relay relay) : CommandService.CommandServiceBase
{
    public override Task<SectorStatus> GetSector(GetSectorRequest request, ServerCallContext context)
    {
        var sector = SectorCatalog.Default.Get(SectorId.Parse(request.Sector));
        return Task.FromResult(new SectorStatus
        {
            Sector = new Sector
            {
                Code = sector.Id.Value, NameEn = sector.NameEn, NameEs = sector.NameEs, StartKm = sector.StartKm, EndKm = sector.EndKm,
                Boundary = { SectorCatalog.Default.StretchOf(sector).Select(p => new LatLon { Latitude = p.Latitude, Longitude = p.Longitude }) },
            },
        });
    }

    public override Task<ListPairsResponse> ListPairs(ListPairsRequest request, ServerCallContext context) =>
        Task.FromResult(new ListPairsResponse { Pairs = { relay.Pairs.Values.Where(p => p.Sector == request.Sector && (request.IncludeDissolved || p.State != PairState.Dissolved)) } });

    public override Task<Pair> ProposePair(ProposePairRequest request, ServerCallContext context)
    {
        var sector = request.UsUnit.Split('-')[1];
        var pair = new Pair
        {
            PairId = relay.NextPairId(sector), Sector = sector, UsUnit = request.UsUnit, MxUnit = request.MxUnit, State = PairState.Proposed,
            ChangedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        relay.Pairs[pair.PairId] = pair;
        return Task.FromResult(pair);
    }

    public override Task<Pair> AcceptPair(PairRequest request, ServerCallContext context) => Change(request.PairId, PairState.Active);

    public override Task<Pair> DissolvePair(PairRequest request, ServerCallContext context) => Change(request.PairId, PairState.Dissolved);

    private Task<Pair> Change(string pairId, PairState state)
    {
        if (!relay.Pairs.TryGetValue(pairId, out var pair)) throw new RpcException(new Status(StatusCode.NotFound, $"pair {pairId} does not exist."));
        pair = pair.Clone();
        pair.State = state;
        relay.Pairs[pairId] = pair;
        if (state == PairState.Active)
        {
            relay.Partners[pair.UsUnit] = pair.MxUnit;
            relay.Partners[pair.MxUnit] = pair.UsUnit;
        }
        else
        {
            relay.Partners.TryRemove(pair.UsUnit, out _);
            relay.Partners.TryRemove(pair.MxUnit, out _);
        }

        return Task.FromResult(pair);
    }
}
