using Grpc.Core;
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
        var identities = new CallerIdentities(hub.App.Services.GetRequiredService<HubCertificates>(), time);
        using var certificate = hub.Pki.IssueInMemory(IdentitySpec.Unit("US-TCA-0101"));

        Assert.True(identities.IsAcceptable(certificate));
        Assert.Equal(Role.Unit, identities.Resolve(certificate).Role);

        time.SetUtcNow(new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).AddSeconds(1));
        Assert.False(identities.IsAcceptable(certificate));
        var error = Assert.Throws<RpcException>(() => identities.Resolve(certificate));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("is not valid now", error.Status.Detail, StringComparison.Ordinal);
    }
}
