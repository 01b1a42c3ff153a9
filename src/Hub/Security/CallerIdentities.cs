using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatrolHub.Client.Pki;
using Grpc.Core;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>
/// Turns a client certificate into an <see cref="Identity"/>. The chain is built once per certificate, not on every TLS
/// handshake: the answer is cached by the certificate's SHA-256, and the time is checked against the cached validity on
/// every use, so a certificate stops working when it (or its CA) expires, not when the cache forgets it.
/// </summary>
public sealed class CallerIdentities(HubCertificates certificates, TimeProvider time)
{
    /// <summary>Past this many distinct certificates the cache starts over, so a flood of throwaway certificates costs memory only up to here.</summary>
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _known = new();

    /// <summary>Kestrel's check during the handshake: chains to a nation's CA and is valid now. Whether it names an
    /// identity that nation may issue is told to the caller per call, with a message.</summary>
    public bool IsAcceptable(X509Certificate2 certificate) => Lookup(certificate).Chains;

    public Identity Resolve(X509Certificate2? certificate)
    {
        if (certificate is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a client certificate is required; present one issued by the U.S. or Mexican PatrolHub CA."));
        var entry = Lookup(certificate);
        return entry.Identity ?? throw new RpcException(new Status(StatusCode.Unauthenticated, entry.Error!));
    }

    /// <summary>The cached answer while the certificate and its chain are valid now; a certificate outside its validity
    /// is refused without a chain build and without being cached, so one not yet valid works once it is.</summary>
    private Entry Lookup(X509Certificate2 certificate)
    {
        var now = time.GetUtcNow();
        var notValid = new Entry(null, $"the client certificate '{certificate.Subject}' is not valid now.", false, DateTimeOffset.MinValue);
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime()) return notValid;
        var key = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
        if (!_known.TryGetValue(key, out var entry))
        {
            if (_known.Count >= Capacity) _known.Clear();
            entry = _known[key] = Read(certificate, now);
        }

        return now > entry.ValidUntil ? notValid : entry;
    }

    private Entry Read(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (certificates.IssuerOf(certificate, now) is not var (issuer, validUntil))
            return new Entry(null, $"the client certificate '{certificate.Subject}' was not issued by the U.S. or Mexican PatrolHub CA.", false, DateTimeOffset.MaxValue);
        var uris = SubjectAlternativeNames.Uris(certificate).Where(u => u.StartsWith(Identity.UriPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (uris.Count != 1)
            return new Entry(null, $"the client certificate '{certificate.Subject}' must carry exactly one urn:patrolhub: identity URI; it has {uris.Count}.", true, validUntil);
        return Identity.TryParse(uris[0], issuer, out var identity, out var error)
            ? new Entry(identity, null, true, validUntil)
            : new Entry(null, error, true, validUntil);
    }

    /// <summary>What a certificate was found to be; <see cref="Chains"/>: it chains to a nation's CA, which holds until
    /// <see cref="ValidUntil"/>, the earliest expiry in the chain.</summary>
    private sealed record Entry(Identity? Identity, string? Error, bool Chains, DateTimeOffset ValidUntil);
}
