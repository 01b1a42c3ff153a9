using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using PatrolHub.Grains.Hosting;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;

namespace PatrolHub.Grains.Tests;

/// <summary>An in-process Orleans cluster on a real SQLite journal, with the clock under the test's control.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public ClusterFixture() => Temp = new TempJournal();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    public TempJournal Temp { get; }

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await StartAsync(Temp.Journal, Time);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Temp.DisposeAsync();
    }

    /// <summary>An observer of a feed's records, as its sector's log publishes them.</summary>
    public async Task<RecordingObserver> WatchAsync(Feed feed)
    {
        var observer = new RecordingObserver(feed);
        await Client.SectorLog(feed.Log).Subscribe(Client.CreateObjectReference<ILogObserver>(observer));
        return observer;
    }

    public Task<RecordingObserver> WatchAsync(UnitId unit) => WatchAsync(Feed.ForUnit(unit));

    public Task<RecordingObserver> WatchAsync(SectorId sector) => WatchAsync(Feed.ForSector(sector));

    /// <summary>A fresh U.S. and Mexican unit of the sector, paired with both commands' consent.</summary>
    public async Task<(UnitId Us, UnitId Mx, PairId Pair)> PairAsync(SectorId sector)
    {
        var n = Events.NextNumber();
        var (us, mx) = (UnitId.Parse($"US-{sector}-{n}"), UnitId.Parse($"MX-{sector}-{n}"));
        var grain = Client.Sector(sector);
        var pair = await grain.ProposePair(us, mx, new Identity(Role.Command, Nation.US, Sector: sector));
        await grain.AcceptPair(pair.Pair.Id, new Identity(Role.Command, Nation.MX, Sector: sector));
        return (us, mx, pair.Pair.Id);
    }

    /// <param name="services">Changes the silo's services after the grains' own, to set their options say.</param>
    public static async Task<InProcessTestCluster> StartAsync(IJournal journal, TimeProvider time, Action<IServiceCollection>? services = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddPatrolHubGrains().UseInMemoryReminderService().Services.AddSingleton(journal).AddSingleton(time);
            services?.Invoke(silo.Services);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>Collects the records of one feed that a sector's log publishes.</summary>
public sealed class RecordingObserver(Feed feed) : ILogObserver
{
    private readonly Channel<JournalRecord> _received = Channel.CreateUnbounded<JournalRecord>();

    public List<LogBatch> Batches { get; } = [];

    public Task OnBatch(LogBatch batch)
    {
        lock (Batches) Batches.Add(batch);
        foreach (var record in batch.Records.Where(r => feed.Matches(r.Event))) _received.Writer.TryWrite(record);
        return Task.CompletedTask;
    }

    public async Task<JournalRecord> NextAsync() => await _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>The next record whose event passes <paramref name="match"/>, skipping others.</summary>
    public async Task<T> NextAsync<T>(Func<T, bool>? match = null) where T : HubEvent
    {
        while (true)
        {
            if ((await NextAsync()).Event is T e && (match is null || match(e))) return e;
        }
    }
}
