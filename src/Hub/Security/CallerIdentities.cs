extern alias client;

using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using client::PatrolHub.Client.Pki;
using Grpc.Core;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>Turns a client certificate into an <see cref="Identity"/>, once per certificate.</summary>
public sealed class CallerIdentities(HubCertificates certificates)
{
    private readonly ConcurrentDictionary<string, (Identity? Identity, string? Error)> _known = new();

    public Identity Resolve(X509Certificate2? certificate)
    {
        if (certificate is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a client certificate is required; present one issued by the U.S. or Mexican PatrolHub CA."));
        var (identity, error) = _known.GetOrAdd(certificate.Thumbprint, _ => Read(certificate));
        return identity ?? throw new RpcException(new Status(StatusCode.Unauthenticated, error!));
    }

    private (Identity?, string?) Read(X509Certificate2 certificate)
    {
        if (certificate.NotAfter < DateTime.Now || certificate.NotBefore > DateTime.Now)
            return (null, $"the client certificate '{certificate.Subject}' is not valid now.");
        if (certificates.IssuerOf(certificate) is not { } issuer)
            return (null, $"the client certificate '{certificate.Subject}' was not issued by the U.S. or Mexican PatrolHub CA.");
        var uris = SubjectAlternativeNames.Uris(certificate).Where(u => u.StartsWith(Identity.UriPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (uris.Count != 1)
            return (null, $"the client certificate '{certificate.Subject}' must carry exactly one urn:patrolhub: identity URI; it has {uris.Count}.");
        return Identity.TryParse(uris[0], issuer, out var identity, out var error) ? (identity, null) : (null, error);
    }
}
