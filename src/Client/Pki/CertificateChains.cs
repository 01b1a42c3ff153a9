using System.Security.Cryptography.X509Certificates;

namespace PatrolHub.Client.Pki;

public static class CertificateChains
{
    /// <summary>When a built chain stops being valid: the earliest expiry in it. Disposes the elements' certificates,
    /// which are new handles on every build; left to the finalizer, a reconnect storm's worth pile up there.</summary>
    public static DateTimeOffset ValidUntil(X509Chain chain)
    {
        var validUntil = DateTimeOffset.MaxValue;
        foreach (var element in chain.ChainElements)
        {
            using var certificate = element.Certificate;
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            if (notAfter < validUntil) validUntil = notAfter;
        }

        return validUntil;
    }
}
