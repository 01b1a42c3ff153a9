using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PatrolHub.Hub.Hosting;

/// <summary>Healthy while this silo is an active member of its cluster (one silo on its own is a cluster of one); the
/// data names every silo the membership table holds that is not dead, with its status.</summary>
internal sealed class MembershipHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = membership.CurrentSnapshot;
        var status = snapshot.GetSiloStatus(silo.SiloAddress);
        var members = snapshot.Members.Values.Where(m => m.Status != SiloStatus.Dead).OrderBy(m => m.SiloAddress.ToParsableString(), StringComparer.Ordinal).ToList();
        var data = members.ToDictionary(m => m.SiloAddress.ToParsableString(), m => (object)m.Status.ToString().ToLowerInvariant());
        var active = members.Count(m => m.Status == SiloStatus.Active);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"this silo ({silo.SiloAddress.ToParsableString()}) is active; {active} of the cluster's silos are active", data)
            : HealthCheckResult.Unhealthy($"this silo ({silo.SiloAddress.ToParsableString()}) is {status.ToString().ToLowerInvariant()} in the cluster's membership", data: data));
    }
}
