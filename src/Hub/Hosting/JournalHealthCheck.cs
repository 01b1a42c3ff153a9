using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Hub.Hosting;

/// <summary>The hub serves only while its journal can record: nothing is acknowledged otherwise.</summary>
internal sealed class JournalHealthCheck(SqlJournal journal) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(journal.IsWriting
            ? HealthCheckResult.Healthy("the journal is recording")
            : HealthCheckResult.Unhealthy("the journal writer has stopped"));
}
