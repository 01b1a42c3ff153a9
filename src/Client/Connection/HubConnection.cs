using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace PatrolHub.Client.Connection;

/// <summary>Where the hub is, who we are, and which CA vouches for the hub.</summary>
public sealed record HubConnectionOptions(Uri Hub, X509Certificate2? Identity, X509Certificate2 HubCa)
{
    public const string DefaultHub = "https://localhost:7443";
    public const string DefaultCa = "data/certs/hub-ca.crt";

    /// <summary>Loads the identity (PFX, no password) and the hub CA (PEM or DER) from files.</summary>
    public static HubConnectionOptions Load(string hub, string? identityFile, string caFile)
    {
        if (!Uri.TryCreate(hub, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"--hub '{hub}' is not an https:// URL.");
        if (!File.Exists(caFile))
            throw new FileNotFoundException($"The hub CA certificate '{caFile}' does not exist; start the hub once (it creates data/certs) or pass --ca.", caFile);
        X509Certificate2? identity = null;
        if (identityFile is not null)
        {
            if (!File.Exists(identityFile))
                throw new FileNotFoundException($"The identity file '{identityFile}' does not exist.", identityFile);
            identity = X509CertificateLoader.LoadPkcs12FromFile(identityFile, null);
        }

        return new HubConnectionOptions(uri, identity, X509CertificateLoader.LoadCertificateFromFile(caFile));
    }

    /// <summary>A channel presenting the identity and trusting only the hub CA.</summary>
    public GrpcChannel CreateChannel() => CreateChannel(Identity);

    public GrpcChannel CreateChannel(X509Certificate2? identity) =>
        GrpcChannel.ForAddress(Hub, new GrpcChannelOptions { HttpHandler = CreateHandler(identity), DisposeHttpClient = true });

    /// <summary>The HTTP/2 handler a channel uses: the identity presented, only the hub CA trusted.</summary>
    public SocketsHttpHandler CreateHandler(X509Certificate2? identity) => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        // gRPC's own default: a hub busy enough to answer a ping late is still better kept than reconnected to.
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = identity is null ? null : new X509CertificateCollection { identity },
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && IsIssuedByHubCa(certificate, errors),
        },
    };

    private bool IsIssuedByHubCa(X509Certificate certificate, SslPolicyErrors errors)
    {
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(HubCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented);
    }
}
