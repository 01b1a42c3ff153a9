namespace PatrolHub.Hub.Hosting;

public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>Where the hub listens; https only.</summary>
    public string Url { get; set; } = "https://localhost:7443";

    /// <summary>Folder for the journal and the development PKI, relative to where the hub starts.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>Drive simulated mirrored pairs in every sector.</summary>
    public bool Demo { get; set; }

    /// <summary>Pairs per sector in demo mode.</summary>
    public int DemoPairs { get; set; } = 2;

    /// <summary>Events other than positions a subscriber may fall behind by before its stream is ended.</summary>
    public int SubscriberQueueCapacity { get; set; } = 1024;

    /// <summary>Messages a unit may have sent and the hub not yet taken up; past it the hub stops reading the unit's
    /// stream until it catches up (back-pressure through HTTP/2 flow control).</summary>
    public int UnitWindow { get; set; } = 64;

    /// <summary>Open connections; past it Kestrel closes new ones at once.</summary>
    public int MaxConnections { get; set; } = 25_000;

    /// <summary>TLS handshakes in progress at once; past it a new connection waits in the handshake queue. A handshake
    /// under load is mostly waiting (for the client's next flight, for a thread), not computing, so the hub takes many
    /// at once: with 4,000 units reconnecting after a restart, 64 at a time served about 60 a second.</summary>
    public int MaxConcurrentHandshakes { get; set; } = 512;

    /// <summary>Connections that may wait for a handshake slot; past it a new connection is closed before its handshake.</summary>
    public int HandshakeQueue { get; set; } = 8192;

    /// <summary>How long a connection may wait for a handshake slot before it is closed, and how long an open connection
    /// may take to begin its handshake. In a restart storm a connection closed after its wait comes back only after a
    /// backoff, so a wait that covers the whole queue (every unit handshaking at the hub's pace) means fewer attempts and
    /// a shorter outage; a waiting connection holds only a socket and its unread ClientHello. The client library gives
    /// up on a connection after 40 s, handshake included, so this stays below that by the time a handshake takes.</summary>
    public TimeSpan HandshakeQueueWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Open streams (unit connections and sector watches); past it a new one gets RESOURCE_EXHAUSTED with a retry-after hint.</summary>
    public int MaxStreams { get; set; } = 25_000;

    /// <summary>Plain HTTP, for the operator: <c>GET /health</c> (200 or 503, JSON) reports the journal and the silo's
    /// cluster membership. Empty: not served.</summary>
    public string? HealthUrl { get; set; } = "http://127.0.0.1:7080";

    /// <summary>Plain HTTP, unauthenticated: the Orleans Dashboard at <c>/dashboard/</c>, e.g. http://127.0.0.1:7081.
    /// Empty (the default): not served. Off unless asked for, because it has no authentication and shows every grain,
    /// and because while it is on the silo profiles every grain call for it: at 4,000 units that is about a seventh of
    /// all the hub allocates.</summary>
    public string? DashboardUrl { get; set; }

    /// <summary>The first setting that is wrong, as a sentence naming its key, or null.</summary>
    public string? Validate() =>
        !Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps ? $"{Section}:Url must be an https:// URL; it is '{Url}'."
        : DemoPairs is < 1 or > 100 ? $"{Section}:DemoPairs must be between 1 and 100; it is {DemoPairs}."
        : SubscriberQueueCapacity < 1 ? $"{Section}:SubscriberQueueCapacity must be at least 1; it is {SubscriberQueueCapacity}."
        : UnitWindow is < 1 or > 4096 ? $"{Section}:UnitWindow must be between 1 and 4096; it is {UnitWindow}."
        : MaxConnections < 1 ? $"{Section}:MaxConnections must be at least 1; it is {MaxConnections}."
        : MaxConcurrentHandshakes < 1 ? $"{Section}:MaxConcurrentHandshakes must be at least 1; it is {MaxConcurrentHandshakes}."
        : HandshakeQueue < 0 ? $"{Section}:HandshakeQueue must not be negative; it is {HandshakeQueue}."
        : HandshakeQueueWait < TimeSpan.Zero ? $"{Section}:HandshakeQueueWait must not be negative; it is {HandshakeQueueWait}."
        : MaxStreams < 1 ? $"{Section}:MaxStreams must be at least 1; it is {MaxStreams}."
        : OperationsError(nameof(HealthUrl), HealthUrl) ?? OperationsError(nameof(DashboardUrl), DashboardUrl)
        ?? (HealthPort is { } health && health == DashboardPort ? $"{Section}:HealthUrl and {Section}:DashboardUrl need ports of their own; both are {health}." : null);

    public int? HealthPort => PortOf(HealthUrl);

    public int? DashboardPort => PortOf(DashboardUrl);

    private static int? PortOf(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed.Port : null;

    private string? OperationsError(string key, string? url) =>
        string.IsNullOrWhiteSpace(url) ? null
        : !Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttp || parsed.AbsolutePath != "/"
            ? $"{Section}:{key} must be an http:// URL with no path, or empty; it is '{url}'."
        : parsed.Port == new Uri(Url).Port ? $"{Section}:{key} needs a port other than the hub's own ({parsed.Port})."
        : null;
}

public sealed class CertificateOptions
{
    public const string Section = "Hub:Certificates";

    /// <summary>The hub's certificate with key (PFX). Unset: the development PKI under DataPath/certs, created on first start.</summary>
    public string? Server { get; set; }

    /// <summary>The U.S. client CA certificate.</summary>
    public string? UsCa { get; set; }

    /// <summary>The Mexican client CA certificate.</summary>
    public string? MxCa { get; set; }
}

public sealed class OrleansOptions
{
    public const string Section = "Orleans";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;
}

/// <summary>Cluster mode (section <c>Cluster</c>): with <see cref="Redis"/> set, the silo joins the others of
/// <see cref="Id"/> through Orleans' Redis membership provider, and they share the journal in PostgreSQL. Unset: one
/// silo on localhost, the embedded default.</summary>
public sealed class ClusterSettings
{
    public const string Section = "Cluster";

    /// <summary>The StackExchange.Redis configuration, e.g. <c>127.0.0.1:26379</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>The cluster the silo joins; silos with the same id and Redis form one.</summary>
    public string Id { get; set; } = "patrolhub";

    /// <summary>The address other silos reach this one at.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);

    /// <summary>What is wrong with the cluster settings, naming the key, or null.</summary>
    public string? Validate(bool journalIsShared) =>
        Enabled && !journalIsShared ? $"A cluster's silos share their journal: with {Section}:Redis set, set Journal:Store=postgres."
        : Enabled && !System.Net.IPAddress.TryParse(AdvertisedAddress, out _) ? $"{Section}:AdvertisedAddress must be an IP address; it is '{AdvertisedAddress}'."
        : null;
}
