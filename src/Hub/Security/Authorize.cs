using Grpc.Core;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>Who may do what. The full matrix grows with the sharing policy; these are the rules so far.</summary>
public static class Authorize
{
    public static void Unit(Identity caller, UnitId unit)
    {
        if (caller.Role != Role.Unit)
            throw Denied($"{caller.Name} is not a patrol unit's identity; only units connect to the patrol service.");
        if (caller.Unit != unit)
            throw Denied($"identity {caller.Name} may not publish as {unit}; a unit publishes only as itself.");
    }

    /// <summary>Pairing in a sector is for that sector's national commands.</summary>
    public static void CommandOf(Identity caller, SectorId sector, string action)
    {
        if (caller.Role != Role.Command || caller.Sector != sector)
            throw Denied($"{caller.Name} may not {action}; only a {sector} sector command may.");
    }

    /// <summary>Sector status is for the sector's commands and the joint centre.</summary>
    public static void SectorViewer(Identity caller, SectorId sector)
    {
        if (caller.Role == Role.Joint || (caller.Role == Role.Command && caller.Sector == sector)) return;
        throw Denied($"{caller.Name} may not view sector {sector}; its commands and the joint centre may.");
    }

    /// <summary>A unit raises alerts in its own sector; a command in its sector.</summary>
    public static void RaiseIn(Identity caller, SectorId sector)
    {
        if (caller.Role == Role.Unit && caller.Unit!.Value.Sector != sector)
            throw Denied($"{caller.Name} may not raise an alert in {sector}; a unit raises alerts only in its own sector, {caller.Unit.Value.Sector}.");
        if (caller.Role is not (Role.Unit or Role.Command) || (caller.Role == Role.Command && caller.Sector != sector))
            throw Denied($"{caller.Name} may not raise an alert in {sector}; the sector's units and commands may.");
    }

    /// <summary>Replay, status at an instant and export are for the nations' reviewers.</summary>
    public static void Reviewer(Identity caller, string action)
    {
        if (caller.Role != Role.Reviewer)
            throw Denied($"{caller.Name} may not {action}; only a reviewer identity (urn:patrolhub:reviewer:US or :MX) may.");
    }

    /// <summary>Anyone but a patrol unit may check the record's chain: it reveals hashes and counts, no content.</summary>
    public static void Verifier(Identity caller)
    {
        if (caller.Role == Role.Unit)
            throw Denied($"{caller.Name} may not verify the record; reviewers, commands and the joint centre may.");
    }

    private static RpcException Denied(string message) => new(new Status(StatusCode.PermissionDenied, message));
}
