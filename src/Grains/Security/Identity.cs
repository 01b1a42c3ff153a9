using System.Diagnostics.CodeAnalysis;
using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Security;

public enum Role
{
    Unit = 1,
    Command = 2,
    Joint = 3,
    Reviewer = 4,
}

/// <summary>
/// Who a caller is, taken from its client certificate: the nation is the issuing CA's, role and id come
/// from a SAN URI such as <c>urn:patrolhub:unit:US-TCA-0101</c> and must agree with that nation.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Identity([property: Id(0)] Role Role, [property: Id(1)] Nation Nation, [property: Id(2)] UnitId? Unit = null, [property: Id(3)] SectorId? Sector = null)
{
    public const string UriPrefix = "urn:patrolhub:";

    public string Name => Role switch
    {
        Role.Unit => Unit!.Value.ToString(),
        Role.Command => $"command:{Nation}:{Sector}",
        Role.Joint => $"joint:{Nation}",
        _ => $"reviewer:{Nation}",
    };

    public string Uri => Role switch
    {
        Role.Unit => $"{UriPrefix}unit:{Unit}",
        Role.Command => $"{UriPrefix}command:{Nation}:{Sector}",
        Role.Joint => $"{UriPrefix}joint",
        _ => $"{UriPrefix}reviewer:{Nation}",
    };

    public override string ToString() => Name;

    /// <summary>Reads an identity URI issued by <paramref name="issuer"/>'s CA; the error says why not.</summary>
    public static bool TryParse(string uri, Nation issuer, [NotNullWhen(true)] out Identity? identity, [NotNullWhen(false)] out string? error)
    {
        identity = null;
        error = null;
        if (!uri.StartsWith(UriPrefix, StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{uri}' is not a PatrolHub identity URI.";
            return false;
        }

        var parts = uri[UriPrefix.Length..].Split(':');
        Nation nation;
        switch (parts[0].ToLowerInvariant())
        {
            case "unit" when parts.Length == 2 && UnitId.TryParse(parts[1], null, out var unit):
                identity = new Identity(Role.Unit, unit.Nation, Unit: unit);
                break;
            case "command" when parts.Length == 3 && Nations.TryParse(parts[1], out nation) && SectorId.TryParse(parts[2], null, out var sector):
                identity = new Identity(Role.Command, nation, Sector: sector);
                break;
            case "joint" when parts.Length == 1:
                identity = new Identity(Role.Joint, issuer);
                break;
            case "reviewer" when parts.Length == 2 && Nations.TryParse(parts[1], out nation):
                identity = new Identity(Role.Reviewer, nation);
                break;
            default:
                error = $"'{uri}' is not a well-formed PatrolHub identity.";
                return false;
        }

        if (identity.Nation != issuer)
        {
            error = $"identity {identity.Name} belongs to {identity.Nation} but its certificate was issued by the {issuer} CA.";
            identity = null;
            return false;
        }

        return true;
    }
}
