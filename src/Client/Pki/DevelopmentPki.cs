using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatrolHub.Client.Pki;

/// <summary>
/// A development PKI made with .NET's own crypto: a hub CA and the hub's server certificate, one client CA
/// per nation, and identities those CAs issue. Files are PEM certificates and password-less PFX files.
/// </summary>
public sealed class DevelopmentPki(string folder)
{
    public const string HubCa = "hub-ca.crt";
    public const string HubCertificate = "hub.pfx";
    public const string HubPublicCertificate = "hub.crt";

    private static readonly string[] Nations = ["US", "MX"];

    private readonly ConcurrentDictionary<string, X509Certificate2> _cas = new();

    public string Folder { get; } = Path.GetFullPath(folder);

    public static string CaCertificate(string nation) => $"{nation.ToLowerInvariant()}-ca.crt";

    public string PathOf(string file) => Path.Combine(Folder, file);

    public bool Exists => File.Exists(PathOf(HubCertificate)) && Nations.All(n => File.Exists(PathOf(CaCertificate(n))));

    /// <summary>The sample identities <c>certs init</c> issues.</summary>
    public static IReadOnlyList<IdentitySpec> Samples { get; } =
    [
        IdentitySpec.Unit("US-TCA-0101"), IdentitySpec.Unit("MX-TCA-0101"),
        IdentitySpec.Command("US", "TCA"), IdentitySpec.Command("MX", "TCA"),
        IdentitySpec.Joint("US"), IdentitySpec.Joint("MX"),
        IdentitySpec.Reviewer("US"), IdentitySpec.Reviewer("MX"),
    ];

    /// <summary>Creates the CAs, the hub certificate and the sample identities; returns the files written.</summary>
    public IReadOnlyList<string> Init(IEnumerable<string>? hostNames = null)
    {
        _cas.Clear();
        Directory.CreateDirectory(Folder);
        var written = new List<string>();
        using var hubCa = CreateCa("PatrolHub Hub CA (development)");
        written.Add(WritePem(HubCa, hubCa));
        using var hub = IssueServer(hubCa, hostNames ?? ["localhost"]);
        written.Add(WritePfx(HubCertificate, hub));
        // The hub's public certificate alone: enough to check the checkpoints it signs.
        written.Add(WritePem(HubPublicCertificate, hub));
        foreach (var nation in Nations)
        {
            using var ca = CreateCa($"PatrolHub {nation} Client CA (development)");
            written.Add(WritePem(CaCertificate(nation), ca));
            written.Add(WritePfx($"{nation.ToLowerInvariant()}-ca.pfx", ca));
        }

        written.AddRange(Samples.Select(s => Issue(s)));
        return written;
    }

    /// <summary>Issues an identity from its nation's CA into <c>NAME.pfx</c> in the folder, or into <paramref name="file"/>
    /// (relative to the current directory, as any path a user gives); creates the file's folder if missing.</summary>
    public string Issue(IdentitySpec identity, string? file = null)
    {
        using var certificate = IssueInMemory(identity);
        var path = file is null ? PathOf($"{identity.Name}.pfx") : Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return WritePfx(path, certificate);
    }

    /// <summary>Issues an identity without writing it, for simulated units.</summary>
    public X509Certificate2 IssueInMemory(IdentitySpec identity)
    {
        var ca = _cas.GetOrAdd(identity.Nation, LoadCa);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={identity.Name}, O=PatrolHub {identity.Nation}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(identity.Uri));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        return Sign(request, ca, key, TimeSpan.FromDays(397));
    }

    /// <summary>A nation's CA with its key, read once: reading a PFX derives its key the slow way on purpose, and a
    /// simulation issues thousands of identities.</summary>
    private X509Certificate2 LoadCa(string nation)
    {
        var caFile = PathOf($"{nation.ToLowerInvariant()}-ca.pfx");
        if (!File.Exists(caFile))
            throw new FileNotFoundException($"The {nation} CA's key is not in {Folder}; run 'patrolhub certs init' or point --certs at the PKI folder.", caFile);
        return X509CertificateLoader.LoadPkcs12FromFile(caFile, null, X509KeyStorageFlags.Exportable);
    }

    private static X509Certificate2 IssueServer(X509Certificate2 ca, IEnumerable<string> hostNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=PatrolHub hub", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in hostNames) san.AddDnsName(host);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        return Sign(request, ca, key, TimeSpan.FromDays(397));
    }

    /// <summary>A CA on P-256, as its certificates are: every new connection checks a signature of it on both ends, a
    /// P-384 signature costs OpenSSL about ten times as much to check, and after a hub restart thousands of units connect
    /// at once.</summary>
    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));
    }

    private static X509Certificate2 Sign(CertificateRequest request, X509Certificate2 ca, ECDsa key, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(ca, now.AddMinutes(-5), now + lifetime, serial);
        return signed.CopyWithPrivateKey(key);
    }

    private string WritePem(string file, X509Certificate2 certificate)
    {
        var path = PathOf(file);
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
        return path;
    }

    private string WritePfx(string file, X509Certificate2 certificate)
    {
        var path = PathOf(file);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
