using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using PatrolHub.Grains.Hosting;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Journal;
using PatrolHub.Hub.Admission;
using PatrolHub.Hub.Commands;
using PatrolHub.Hub.Demo;
using PatrolHub.Hub.Errors;
using PatrolHub.Hub.Live;
using PatrolHub.Hub.Patrol;
using PatrolHub.Hub.Review;
using PatrolHub.Hub.Security;
using PatrolHub.Hub.Telemetry;

namespace PatrolHub.Hub.Hosting;

public static partial class HubHostingExtensions
{
    /// <summary>The hub in one process: Kestrel (HTTP/2, TLS, client certificates), gRPC services, the co-hosted
    /// Orleans silo, the journal and telemetry.</summary>
    public static WebApplicationBuilder AddPatrolHub(this WebApplicationBuilder builder)
    {
        var hub = builder.Configuration.GetSection(HubOptions.Section).Get<HubOptions>() ?? new HubOptions();
        var certificateOptions = builder.Configuration.GetSection(CertificateOptions.Section).Get<CertificateOptions>() ?? new CertificateOptions();
        string? createdPki = null;
        var certificates = HubCertificates.Load(hub, certificateOptions, folder => createdPki = folder);
        var security = builder.Configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        var journal = builder.Configuration.GetSection(JournalOptions.Section).Get<JournalOptions>() ?? new JournalOptions();
        // Each nation's sharing policy: in the settings, or in DATA/sharing.json, which Releases looks at for changes (a
        // file watcher on the data folder would wake on every journal write).
        builder.Configuration.AddJsonFile(Releases.PathIn(hub.DataPath), optional: true, reloadOnChange: false);
        var sharing = builder.Configuration.GetSection(SharingPolicy.Section).Get<SharingPolicy>() ?? new SharingPolicy();
        if (sharing.Validate() is { } sharingError) throw new OptionsValidationException(SharingPolicy.Section, typeof(SharingPolicy), [sharingError]);
        builder.Services.AddOptions<SharingPolicy>().BindConfiguration(SharingPolicy.Section);

        builder.Services.AddOptions<HubOptions>().BindConfiguration(HubOptions.Section).Validated(o => o.Validate());
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).Validated(o => o.Validate());
        // Bound and validated with the silo's options (AddPatrolHubGrains); the file's default lies under the data path.
        builder.Services.AddOptions<JournalOptions>()
            .PostConfigure(o => o.Path = builder.Configuration[$"{JournalOptions.Section}:Path"] ?? Path.Combine(hub.DataPath, "journal.db"));

        var handshakes = new HandshakeGate(hub.MaxConcurrentHandshakes, hub.HandshakeQueue, hub.HandshakeQueueWait);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = hub.MaxConnections;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            var identities = new Lazy<CallerIdentities>(() => kestrel.ApplicationServices.GetRequiredService<CallerIdentities>());
            Listen(kestrel, new Uri(hub.Url), listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(handshakes.Enter);
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificates.Server,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    // Whether the certificate chains to a nation's CA; its identity is settled per call (CallerAuthentication).
                    ClientCertificateValidation = (certificate, _, _) => identities.Value.IsAcceptable(certificate),
                });
                listen.Use(handshakes.Leave);
            });
            Operations.Listen(kestrel, hub);
        });
        builder.Services.AddSingleton(handshakes);
        // One for the hub: gRPC creates an interceptor per call unless the container holds it.
        builder.Services.AddSingleton<CallerAdmission>();
        builder.Services.AddSingleton<CallerLimits>();
        builder.Services.AddSingleton<SecurityAudit>();
        builder.Services.AddSingleton<Releases>();
        builder.Services.AddSingleton<RevocationList>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());

        builder.Services.AddSingleton(certificates);
        builder.Services.AddSingleton<CallerIdentities>();
        builder.Services.AddCallerAuthentication();
        builder.Services.AddSingleton(TimeProvider.System);
        // The journal: the embedded SQLite file, or PostgreSQL (Journal:Store=postgres), which a cluster's silos share.
        if (journal.IsPostgres) builder.Services.AddSingleton<SqlJournal, PostgresJournal>();
        else builder.Services.AddSingleton<SqlJournal, SqliteJournal>();
        builder.Services.TryAddSingleton<IJournal>(sp => sp.GetRequiredService<SqlJournal>());
        builder.Services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.Section).Validated(o => o.Validate());
        builder.Services.AddHostedService<RecordKeeper>();
        builder.Services.AddSingleton<FeedHub>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedHub>());
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = security.MaxMessageBytes;
            options.Interceptors.Add<ErrorInterceptor>();
            options.Interceptors.Add<CallerAdmission>();
        });
        StrictMessages.Register(builder.Services);
        builder.Services.AddGrpcHealthChecks()
            .AddCheck<JournalHealthCheck>("journal")
            .AddCheck<MembershipHealthCheck>("cluster");
        builder.Services.AddGrpcReflection();

        var orleans = builder.Configuration.GetSection(OrleansOptions.Section).Get<OrleansOptions>() ?? new OrleansOptions();
        var cluster = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        if (cluster.Validate(journal.IsPostgres) is { } clusterError) throw new OptionsValidationException(ClusterSettings.Section, typeof(ClusterSettings), [clusterError]);
        builder.UseOrleans(silo =>
        {
            if (cluster.Enabled) Cluster.Join(silo, cluster, orleans);
            else silo.UseLocalhostClustering(orleans.SiloPort, orleans.GatewayPort).UseInMemoryReminderService();
            silo.AddPatrolHubGrains();
            if (hub.DashboardPort is not null) silo.AddDashboard();
            if (TelemetryExtensions.Exporting(builder.Configuration)) silo.AddActivityPropagation();
        });

        // After the silo, so it stops before it: the last second's security events are recorded on the way down.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SecurityAudit>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Releases>());
        builder.AddHubTelemetry();
        if (hub.Demo) builder.Services.AddHostedService<DemoService>();
        if (createdPki is not null) builder.Services.AddHostedService(sp => new StartupNote(sp.GetRequiredService<ILogger<StartupNote>>(), createdPki));
        return builder;
    }

    /// <summary>Listens where Hub:Url says: localhost on both loopbacks, an IP address on that address, any other host name on every address.</summary>
    internal static void Listen(KestrelServerOptions kestrel, Uri url, Action<ListenOptions> configure)
    {
        if (url.IsLoopback && !IPAddress.TryParse(url.Host, out _)) kestrel.ListenLocalhost(url.Port, configure);
        else if (IPAddress.TryParse(url.Host, out var address)) kestrel.Listen(address, url.Port, configure);
        else kestrel.ListenAnyIP(url.Port, configure);
    }

    public static WebApplication MapPatrolHub(this WebApplication app)
    {
        // Open the journal now, so a bad path stops start-up instead of the first message.
        app.Services.GetRequiredService<IJournal>();
        // Admission holds the streams a revocation ends: it must be listening before the first call.
        app.Services.GetRequiredService<CallerAdmission>();
        var hub = app.Services.GetRequiredService<IOptions<HubOptions>>().Value;
        Operations.Map(app, hub);
        app.UseAuthorization();
        app.Use(FrameCheck.InvokeAsync);
        app.MapGrpcService<PatrolGrpcService>().RequireAuthorization(CallerAuthentication.Policy);
        app.MapGrpcService<CommandGrpcService>().RequireAuthorization(CallerAuthentication.Policy);
        app.MapGrpcService<ReviewGrpcService>().RequireAuthorization(CallerAuthentication.Policy);
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService().RequireAuthorization(CallerAuthentication.Policy);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Ready(app.Logger, string.Join(", ", app.Urls), app.Services.GetRequiredService<SqlJournal>().ToString());
        });
        return app;
    }

    private sealed partial class StartupNote(ILogger<StartupNote> logger, string folder) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            Log.CreatedPki(logger, folder);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "PatrolHub listening on {Urls}; {Journal}")]
        public static partial void Ready(ILogger logger, string urls, string journal);

        [LoggerMessage(2, LogLevel.Information, "Created a development PKI in {Folder}")]
        public static partial void CreatedPki(ILogger logger, string folder);
    }
}
