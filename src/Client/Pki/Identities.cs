namespace PatrolHub.Client.Pki;

/// <summary>The identity a client certificate carries, as its SAN URI and a file-friendly name.</summary>
public sealed record IdentitySpec(string Nation, string Uri, string Name)
{
    public static IdentitySpec Unit(string unitId)
    {
        var id = unitId.ToUpperInvariant();
        return new(id[..2], $"urn:patrolhub:unit:{id}", id.ToLowerInvariant());
    }

    public static IdentitySpec Command(string nation, string sector) =>
        new(nation.ToUpperInvariant(), $"urn:patrolhub:command:{nation.ToUpperInvariant()}:{sector.ToUpperInvariant()}",
            $"{nation}-{sector}-cmd".ToLowerInvariant());

    public static IdentitySpec Joint(string nation) =>
        new(nation.ToUpperInvariant(), "urn:patrolhub:joint", $"joint-{nation}".ToLowerInvariant());

    public static IdentitySpec Reviewer(string nation) =>
        new(nation.ToUpperInvariant(), $"urn:patrolhub:reviewer:{nation.ToUpperInvariant()}", $"reviewer-{nation}".ToLowerInvariant());
}
