extern alias client;

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using client::PatrolHub.Client.Pki;
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
    public bool IsAcceptable(X509Certificate2 certificate)
    {
        Lookup(certificate, out var entry);
        return entry.Chains;
    }

    public Identity Resolve(X509Certificate2? certificate)
    {
        if (certificate is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a client certificate is required; present one issued by the U.S. or Mexican PatrolHub CA."));
        var (identity, error) = Lookup(certificate, out _);
        return identity ?? throw new RpcException(new Status(StatusCode.Unauthenticated, error!));
    }

    private (Identity? Identity, string? Error) Lookup(X509Certificate2 certificate, out Entry entry)
    {
        var now = time.GetUtcNow();
        var key = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
        if (!_known.TryGetValue(key, out entry!))
        {
            if (_known.Count >= Capacity) _known.Clear();
            entry = _known[key] = Read(certificate, now);
        }

        if (now < entry.ValidFrom || now > entry.ValidUntil)
        {
            entry = entry with { Chains = false };
            return (null, $"the client certificate '{certificate.Subject}' is not valid now.");
        }

        return (entry.Identity, entry.Error);
    }

    private Entry Read(X509Certificate2 certificate, DateTimeOffset now)
    {
        var validFrom = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var validUntil = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (now < validFrom || now > validUntil) return new Entry(null, $"the client certificate '{certificate.Subject}' is not valid now.", false, validFrom, validUntil);
        if (certificates.IssuerOf(certificate, now) is not var (issuer, chainValidUntil))
            return new Entry(null, $"the client certificate '{certificate.Subject}' was not issued by the U.S. or Mexican PatrolHub CA.", false, validFrom, validUntil);
        var uris = SubjectAlternativeNames.Uris(certificate).Where(u => u.StartsWith(Identity.UriPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (uris.Count != 1)
            return new Entry(null, $"the client certificate '{certificate.Subject}' must carry exactly one urn:patrolhub: identity URI; it has {uris.Count}.", true, validFrom, chainValidUntil);
        return Identity.TryParse(uris[0], issuer, out var identity, out var error)
            ? new Entry(identity, null, true, validFrom, chainValidUntil)
            : new Entry(null, error, true, validFrom, chainValidUntil);
    }

    /// <summary>What a certificate was found to be; <see cref="Chains"/>: it chains to a nation's CA.</summary>
    private sealed record Entry(Identity? Identity, string? Error, bool Chains, DateTimeOffset ValidFrom, DateTimeOffset ValidUntil);
}
