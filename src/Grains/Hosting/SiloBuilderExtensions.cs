using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Sectors;

namespace PatrolHub.Grains.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>What the grains need in a silo besides an <see cref="IJournal"/>: their options (validated on start), the silo's way into
    /// the sector logs, and the start-up step that re-arms the deadlines of every open alert. The host chooses where reminders are kept.</summary>
    public static ISiloBuilder AddPatrolHubGrains(this ISiloBuilder silo)
    {
        silo.Services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).Validated(o => o.Validate());
        silo.Services.AddOptions<SectorOptions>().BindConfiguration(SectorOptions.Section).Validated(o => o.Validate());
        silo.Services.AddOptions<JournalOptions>().BindConfiguration(JournalOptions.Section).Validated(o => o.Validate());
        silo.Services.AddSingleton<LogAppender>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OpenAlertDeadlines>();
        return silo;
    }
}

/// <summary>
/// When the silo starts, every alert the journal says is still open is activated, so its deadline timer and reminder
/// are armed again and one already past fires at once. This is what brings deadlines back after a restart of a hub
/// whose reminders were kept in memory; with a durable reminder table it only arms them sooner.
/// </summary>
internal sealed partial class OpenAlertDeadlines(IJournal journal, IGrainFactory grains, ILogger<OpenAlertDeadlines> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OpenAlertDeadlines), ServiceLifecycleStage.Active, WakeAsync);

    private async Task WakeAsync(CancellationToken cancellationToken)
    {
        var latest = await journal.ReadAsync(new JournalQuery(AlertChanged.Kind) { LatestPerSubject = true }, cancellationToken);
        var open = latest.Select(r => ((AlertChanged)r.Event).Alert).Where(a => a.IsOpen).ToList();
        await Task.WhenAll(open.Select(a => grains.Alert(a.Id).Wake()));
        if (open.Count > 0) Log.Rearmed(logger, open.Count);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Re-armed the deadlines of {Count} open alerts")]
        public static partial void Rearmed(ILogger logger, int count);
    }
}
