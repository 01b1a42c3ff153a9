using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>
/// Turns a client certificate into an <see cref="Identity"/>, or into the sentence that says why it is none. The chain
/// and the certificate rules are checked once per certificate, not on every call: the answer is cached by the
/// certificate's SHA-256. Time and revocation are checked on every use, so a certificate stops working the moment it
/// (or its CA) expires or is revoked, not when the cache forgets it.
/// </summary>
/// <remarks>The rules: the certificate chains to exactly one nation's CA; it is not a CA itself; it carries the
/// client-authentication extended key usage (a certificate without any is refused, though X.509 would allow it for
/// every use); it names exactly one <c>urn:patrolhub:</c> identity, of the nation whose CA issued it.</remarks>
public sealed class CallerIdentities(HubCertificates certificates, RevocationList revocations, TimeProvider time)
{
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>Past this many distinct certificates the cache starts over, so a flood of throwaway certificates costs memory only up to here.</summary>
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _known = new();

    /// <summary>Kestrel's check during the handshake: chains to a nation's CA and is valid now. Everything else is told
    /// to the caller per call, with a message, rather than as a failed handshake.</summary>
    public bool IsAcceptable(X509Certificate2 certificate) => Lookup(certificate).Chains;

    public bool TryResolve(X509Certificate2? certificate, [NotNullWhen(true)] out Identity? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        if (certificate is null)
        {
            error = "a client certificate is required; present one issued by the U.S. or Mexican PatrolHub CA.";
            return false;
        }

        var entry = Lookup(certificate);
        if (entry.Identity is not null && revocations.IsRevoked(certificate))
        {
            error = $"the client certificate of {entry.Identity.Name} (serial {RevocationFile.SerialOf(certificate)}) has been revoked.";
            return false;
        }

        identity = entry.Identity;
        error = entry.Error;
        return identity is not null;
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
        var subject = certificate.Subject;
        var issuers = certificates.IssuersOf(certificate, now);
        if (issuers.Count == 0)
            return new Entry(null, $"the client certificate '{subject}' was not issued by the U.S. or Mexican PatrolHub CA.", false, DateTimeOffset.MaxValue);
        var (issuer, validUntil) = issuers[0];
        string? refusal = null;
        if (issuers.Count > 1)
            refusal = $"the client certificate '{subject}' chains to both nations' CAs; each nation's CA must be its own.";
        else if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
            refusal = $"the client certificate '{subject}' is a CA certificate; a CA cannot be a caller.";
        else if (!certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthentication)))
            refusal = $"the client certificate '{subject}' does not carry the client-authentication extended key usage ({ClientAuthentication}).";
        if (refusal is not null) return new Entry(null, refusal, true, validUntil);

        var uris = SubjectAlternativeNames.Uris(certificate).Where(u => u.StartsWith(Identity.UriPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (uris.Count != 1)
            return new Entry(null, $"the client certificate '{subject}' must carry exactly one urn:patrolhub: identity URI; it has {uris.Count}.", true, validUntil);
        return Identity.TryParse(uris[0], issuer, out var identity, out var error)
            ? new Entry(identity, null, true, validUntil)
            : new Entry(null, error, true, validUntil);
    }

    /// <summary>What a certificate was found to be; <see cref="Chains"/>: it chains to a nation's CA, which holds until
    /// <see cref="ValidUntil"/>, the earliest expiry in the chain.</summary>
    private sealed record Entry(Identity? Identity, string? Error, bool Chains, DateTimeOffset ValidUntil);
}
