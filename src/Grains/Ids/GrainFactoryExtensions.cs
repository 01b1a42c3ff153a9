using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Sectors;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Ids;

public static class GrainFactoryExtensions
{
    public static IPatrolUnitGrain Unit(this IGrainFactory factory, UnitId id) => factory.GetGrain<IPatrolUnitGrain>(id.Value);

    public static ISectorGrain Sector(this IGrainFactory factory, SectorId id) => factory.GetGrain<ISectorGrain>(id.Value);

    public static ISectorLogGrain SectorLog(this IGrainFactory factory, SectorId id) => factory.GetGrain<ISectorLogGrain>(id.Value);

    public static IPairGrain Pair(this IGrainFactory factory, PairId id) => factory.GetGrain<IPairGrain>(id.Value);

    public static IAlertGrain Alert(this IGrainFactory factory, AlertId id) => factory.GetGrain<IAlertGrain>(id.Value);
}
