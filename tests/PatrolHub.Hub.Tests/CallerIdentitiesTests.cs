using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PatrolHub.Client.Pki;
using PatrolHub.Grains.Security;
using PatrolHub.Hub.Security;

namespace PatrolHub.Hub.Tests;

[Collection(HubCollection.Name)]
public sealed class CallerIdentitiesTests(HubFixture hub)
{
    [Fact]
    public void A_cached_identity_stops_working_when_its_certificate_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var identities = new CallerIdentities(hub.App.Services.GetRequiredService<HubCertificates>(), hub.App.Services.GetRequiredService<RevocationList>(), time);
        using var certificate = hub.Pki.IssueInMemory(IdentitySpec.Unit("US-TCA-0101"));

        Assert.True(identities.IsAcceptable(certificate));
        Assert.True(identities.TryResolve(certificate, out var identity, out _));
        Assert.Equal(Role.Unit, identity.Role);

        time.SetUtcNow(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).AddSeconds(1));
        Assert.False(identities.IsAcceptable(certificate));
        Assert.False(identities.TryResolve(certificate, out _, out var error));
        Assert.Contains("is not valid now", error, StringComparison.Ordinal);
    }
}
