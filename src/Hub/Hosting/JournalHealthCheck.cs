using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Hub.Hosting;

/// <summary>The hub serves only while its journal can record: nothing is acknowledged otherwise. Healthy when the
/// writer is running and the store answers a query within <see cref="Timeout"/>.</summary>
internal sealed class JournalHealthCheck(SqlJournal journal) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!journal.IsWriting) return HealthCheckResult.Unhealthy($"{journal.Name}: its writer has stopped");
        try
        {
            await journal.PingAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy($"{journal.Name} answers");
        }
        catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy($"{journal.Name} cannot be reached: {e.Message}");
        }
    }
}
