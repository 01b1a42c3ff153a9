using System.Net;
using Orleans.Configuration;
using StackExchange.Redis;

namespace PatrolHub.Hub.Hosting;

/// <summary>Cluster mode: the silo finds the others through Orleans' own Redis membership provider, keeps reminders in
/// Redis too, and advertises itself at <see cref="ClusterSettings.AdvertisedAddress"/>. A Redis that cannot be reached
/// stops the hub at once, with a sentence saying so, rather than after Orleans' retries.</summary>
internal static class Cluster
{
    public static void Join(ISiloBuilder silo, ClusterSettings options, OrleansOptions ports)
    {
        var redis = ConfigurationOptions.Parse(options.Redis!);
        redis.AbortOnConnectFail = true;
        redis.ConnectTimeout = 3000;
        try
        {
            using var probe = ConnectionMultiplexer.Connect(redis);
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException($"Redis at {options.Redis} (Cluster:Redis) cannot be reached: {e.Message}", e);
        }

        // The service id keys the reminder table too, so two clusters sharing one Redis never fire each other's reminders.
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.Id, options.Id));
        silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), ports.SiloPort, ports.GatewayPort, listenOnAnyHostAddress: true);
        silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
        // Alert deadlines are reminders kept in Redis: when a silo is lost, another takes its share of them.
        silo.UseRedisReminderService(o => o.ConfigurationOptions = redis);
        // A silo that stops answering is declared dead after three missed one-second probes, by one vote (a cluster of
        // two has no third to ask): its grains, the sector logs among them, then come back on the others. Each silo
        // writes that it is alive every 5 s, so when the whole cluster was killed, a silo starting again soon sees
        // the old entries as stale (after two missed writes) instead of waiting on silos that are gone.
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 3;
            o.NumVotesForDeathDeclaration = 1;
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        });
    }
}
