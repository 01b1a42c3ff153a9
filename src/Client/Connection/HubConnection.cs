using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using PatrolHub.Client.Pki;

namespace PatrolHub.Client.Connection;

/// <summary>Where the hub is (one address, or several silos of a cluster: <see cref="Hubs"/>), who we are, and which CA
/// vouches for the hub.</summary>
public sealed record HubConnectionOptions(Uri Hub, X509Certificate2? Identity, X509Certificate2 HubCa)
{
    public const string DefaultHub = "https://localhost:7443";
    public const string DefaultCa = "data/certs/hub-ca.crt";

    private static readonly ConcurrentDictionary<(string Ca, string Hub), DateTimeOffset> TrustedHubs = new();

    /// <summary>Every address of the hub, <see cref="Hub"/> first: a unit's session moves to the next when one fails.</summary>
    public IReadOnlyList<Uri> Hubs { get; init; } = [Hub];

    /// <summary>Loads the identity (PFX, no password) and the hub CA (PEM or DER) from files. <paramref name="hub"/> may
    /// list several addresses, separated by commas.</summary>
    public static HubConnectionOptions Load(string hub, string? identityFile, string caFile)
    {
        var hubs = new List<Uri>();
        foreach (var address in hub.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps)
                throw new ArgumentException($"--hub '{address}' is not an https:// URL.");
            hubs.Add(parsed);
        }

        if (hubs.Count == 0) throw new ArgumentException("--hub names no address.");
        var uri = hubs[0];
        if (!File.Exists(caFile))
            throw new FileNotFoundException($"The hub CA certificate '{caFile}' does not exist; start the hub once (it creates data/certs) or pass --ca.", caFile);
        X509Certificate2? identity = null;
        if (identityFile is not null)
        {
            if (!File.Exists(identityFile))
                throw new FileNotFoundException($"The identity file '{identityFile}' does not exist.", identityFile);
            identity = X509CertificateLoader.LoadPkcs12FromFile(identityFile, null);
        }

        return new HubConnectionOptions(uri, identity, X509CertificateLoader.LoadCertificateFromFile(caFile)) { Hubs = hubs };
    }

    /// <summary>A channel to the first address, presenting the identity and trusting only the hub CA.</summary>
    public GrpcChannel CreateChannel() => CreateChannel(Identity);

    public GrpcChannel CreateChannel(X509Certificate2? identity) => CreateChannel(Hub, identity);

    /// <summary>A channel to every address, starting from the one at <paramref name="first"/> (so units can be spread
    /// over a cluster's silos) and going round the rest.</summary>
    public IReadOnlyList<GrpcChannel> CreateChannels(X509Certificate2? identity, int first = 0) =>
        [.. Enumerable.Range(0, Hubs.Count).Select(i => CreateChannel(Hubs[(first + i) % Hubs.Count], identity))];

    private GrpcChannel CreateChannel(Uri hub, X509Certificate2? identity) =>
        GrpcChannel.ForAddress(hub, new GrpcChannelOptions { HttpHandler = CreateHandler(identity), DisposeHttpClient = true });

    /// <summary>The HTTP/2 handler a channel uses: the identity presented, only the hub CA trusted.</summary>
    public SocketsHttpHandler CreateHandler(X509Certificate2? identity) => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        // gRPC's own default: a hub busy enough to answer a ping late is still better kept than reconnected to.
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        // TCP and TLS together. After a hub restart thousands of units handshake at once, and a handshake may wait its turn
        // at the hub (Hub:HandshakeQueueWait, 30 s) and then take seconds more; a unit that gave up sooner would only come
        // back for another.
        ConnectTimeout = TimeSpan.FromSeconds(40),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = identity is null ? null : new X509CertificateCollection { identity },
            // Thrown rather than answered false, so the caller learns what was wrong (see Retry.RefusedHub).
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                Refusal(certificate, errors) is { } refusal ? throw new HubCertificateRefusedException(refusal) : true,
        },
    };

    /// <summary>Why the hub's certificate is refused, or null if it chains to the hub CA. One chain build per
    /// certificate, not per handshake: after a hub restart thousands of units handshake at once. A certificate found good
    /// is remembered, with the CA it chains to, until the chain's earliest expiry.</summary>
    private string? Refusal(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return "the hub presented no certificate.";
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return $"the hub's certificate ({certificate.Subject}) does not name the address it was reached at.";
        var key = (HubCa.GetCertHashString(HashAlgorithmName.SHA256), certificate.GetCertHashString(HashAlgorithmName.SHA256));
        if (TrustedHubs.TryGetValue(key, out var until) && DateTimeOffset.UtcNow < until) return null;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(HubCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var built = chain.Build(presented);
        var validUntil = CertificateChains.ValidUntil(chain);
        if (!built)
            return $"the hub's certificate ({certificate.Subject}) does not chain to the hub CA given ({HubCa.Subject}): {string.Join("; ", chain.ChainStatus.Select(c => c.StatusInformation.Trim()))}";
        if (TrustedHubs.Count >= 64) TrustedHubs.Clear();
        TrustedHubs[key] = validUntil;
        return null;
    }
}
