using System.Security.Cryptography.X509Certificates;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Ids;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Security;

/// <summary>The hub's own certificate and the two nations' client CAs. A client certificate's nation is the
/// nation of the CA it chains to.</summary>
public sealed class HubCertificates(X509Certificate2 server, IReadOnlyDictionary<Nation, X509Certificate2> clientCas)
{
    public X509Certificate2 Server { get; } = server;

    /// <summary>Loads the configured certificates; with none configured, uses (and on first start creates) the
    /// development PKI in DataPath/certs. Says which setting is wrong when a file is missing.</summary>
    public static HubCertificates Load(HubOptions hub, CertificateOptions options, Action<string>? created = null)
    {
        var configured = new[] { options.Server, options.UsCa, options.MxCa };
        if (configured.All(string.IsNullOrEmpty))
        {
            var pki = new DevelopmentPki(Path.Combine(hub.DataPath, "certs"));
            if (!pki.Exists)
            {
                pki.Init();
                created?.Invoke(pki.Folder);
            }

            options = new CertificateOptions
            {
                Server = pki.PathOf(DevelopmentPki.HubCertificate),
                UsCa = pki.PathOf(DevelopmentPki.CaCertificate("US")),
                MxCa = pki.PathOf(DevelopmentPki.CaCertificate("MX")),
            };
        }
        else if (configured.Any(string.IsNullOrEmpty))
        {
            throw new InvalidOperationException(
                $"{CertificateOptions.Section}: set all of Server, UsCa and MxCa, or none of them to use the development PKI.");
        }

        var server = X509CertificateLoader.LoadPkcs12FromFile(Require(options.Server!, "Server"), null);
        if (!server.HasPrivateKey) throw new InvalidOperationException($"{CertificateOptions.Section}:Server '{options.Server}' has no private key.");
        return new HubCertificates(server, new Dictionary<Nation, X509Certificate2>
        {
            [Nation.US] = X509CertificateLoader.LoadCertificateFromFile(Require(options.UsCa!, "UsCa")),
            [Nation.MX] = X509CertificateLoader.LoadCertificateFromFile(Require(options.MxCa!, "MxCa")),
        });
    }

    /// <summary>The nations whose CAs a client certificate chains to, each with the time that chain stops being valid
    /// (the earliest expiry in it). Builds a chain per CA: cache the answer.</summary>
    public IReadOnlyList<(Nation Nation, DateTimeOffset ValidUntil)> IssuersOf(X509Certificate2 certificate, DateTimeOffset now)
    {
        var issuers = new List<(Nation, DateTimeOffset)>();
        foreach (var (nation, ca) in clientCas)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            var built = chain.Build(certificate);
            var validUntil = CertificateChains.ValidUntil(chain);
            if (built) issuers.Add((nation, validUntil));
        }

        return issuers;
    }

    private static string Require(string path, string key) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"{CertificateOptions.Section}:{key} names '{path}', which does not exist.", path);
}
