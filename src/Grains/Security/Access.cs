using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Grains.Security;

/// <summary>The hub's calls, as the authorization matrix names them.</summary>
public enum Operation
{
    Connect,
    ListSectors,
    GetSector,
    WatchSector,
    ListPairs,
    ListAlerts,
    ProposePair,
    AcceptPair,
    DissolvePair,
    RaiseAlert,
    ActOnAlert,
    Replay,
    SectorAt,
    Export,
    Verify,
    Audit,
}

/// <summary>
/// The authorization matrix: who may call what, who may act on an alert, and who is delivered which recorded event.
/// Every service, the alert grain, live delivery, replay, export and audit ask here, and nowhere else; the README's
/// security section writes the same matrix out as a table. What a recipient of the other nation receives of what it is
/// delivered is then the sharing policy's to decide (<see cref="SharingPolicy"/>).
/// <list type="bullet">
/// <item>A unit publishes only as itself, raises alerts only in its own sector, and receives and acts on only what is
/// addressed to it: its partner's positions, its pairs, its own and its partner's alerts, its sector commands' alerts.</item>
/// <item>A sector command watches, pairs, raises and acts in its own sector only, and sees all of it.</item>
/// <item>The joint centre watches every sector; it sees an alert once the alert has been escalated to it, and acts on
/// what it sees and nothing else.</item>
/// <item>A reviewer only reads: replay, status at an instant, export and its nation's security log.</item>
/// </list>
/// </summary>
public static class Access
{
    /// <summary>Refuses <paramref name="caller"/> the <paramref name="operation"/> in <paramref name="sector"/> (for the
    /// calls about one sector) unless the matrix allows it.</summary>
    public static void Demand(Identity caller, Operation operation, SectorId? sector = null)
    {
        if (Refusal(caller, operation, sector) is { } refusal) throw new DomainPermissionException(refusal);
    }

    /// <summary>Why the matrix refuses the call; null when it allows it.</summary>
    public static string? Refusal(Identity caller, Operation operation, SectorId? sector = null)
    {
        var commandHere = caller.Role == Role.Command && caller.Sector == sector;
        return operation switch
        {
            Operation.ListSectors => null,
            Operation.Connect => caller.Role == Role.Unit ? null : $"{caller.Name} is not a patrol unit's identity; only units connect to the patrol service.",
            Operation.GetSector or Operation.WatchSector or Operation.ListPairs or Operation.ListAlerts =>
                commandHere || caller.Role == Role.Joint ? null : $"{caller.Name} may not view sector {sector}; its commands and the joint centre may.",
            Operation.ProposePair or Operation.AcceptPair or Operation.DissolvePair =>
                commandHere ? null : $"{caller.Name} may not {Verb(operation)} in {sector}; only a {sector} sector command may.",
            Operation.RaiseAlert => caller.Role switch
            {
                Role.Unit when caller.Unit!.Value.Sector == sector => null,
                Role.Unit => $"{caller.Name} may not raise an alert in {sector}; a unit raises alerts only in its own sector, {caller.Unit.Value.Sector}.",
                Role.Command when commandHere => null,
                _ => $"{caller.Name} may not raise an alert in {sector}; the sector's units and commands may.",
            },
            Operation.ActOnAlert => caller.Role == Role.Reviewer ? $"{caller.Name} may not act on alerts; reviewers only read the record." : null,
            Operation.Replay or Operation.SectorAt or Operation.Export or Operation.Audit => caller.Role == Role.Reviewer
                ? null
                : $"{caller.Name} may not {Verb(operation)}; only a reviewer identity (urn:patrolhub:reviewer:US or :MX) may.",
            Operation.Verify => caller.Role == Role.Unit ? $"{caller.Name} may not verify the record; reviewers, commands and the joint centre may." : null,
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
        };
    }

    /// <summary>A unit's stream publishes as the unit its certificate names, and no other.</summary>
    public static void DemandSelf(Identity caller, UnitId unit)
    {
        Demand(caller, Operation.Connect);
        if (caller.Unit != unit) throw new DomainPermissionException($"identity {caller.Name} may not publish as {unit}; a unit publishes only as itself.");
    }

    /// <summary>Acknowledging, responding to and resolving an alert are for those who are delivered it, reviewers
    /// excepted: nobody acts on an alert it may not see.</summary>
    public static void DemandAct(Identity caller, AlertInfo alert)
    {
        Demand(caller, Operation.ActOnAlert);
        if (!Sees(caller, alert))
        {
            throw new DomainPermissionException(caller.Role == Role.Joint
                ? $"{caller.Name} may not act on alert {alert.Id}; it has not been escalated to the joint centre."
                : $"{caller.Name} may not act on alert {alert.Id}; its recipients and the {alert.Sector} commands may.");
        }
    }

    /// <summary>Whether <paramref name="viewer"/> is delivered the alert at all: a unit the alerts addressed to it, a
    /// command its sector's, the joint centre the escalated ones, a reviewer all of them.</summary>
    public static bool Sees(Identity viewer, AlertInfo alert) => viewer.Role switch
    {
        Role.Unit => alert.IsFor(viewer.Unit!.Value),
        Role.Command => viewer.Sector == alert.Sector,
        Role.Joint => alert.JointCentre,
        _ => true,
    };

    /// <summary>Whether <paramref name="viewer"/> is delivered the recorded event at all, on a unit's stream, a sector
    /// watch, in replay, export or audit.</summary>
    public static bool Sees(Identity viewer, HubEvent e)
    {
        if (e is SecurityEvent security) return viewer.Role == Role.Reviewer && security.Nations.Contains(viewer.Nation);
        if (e is AlertChanged changed) return Sees(viewer, changed.Alert);
        var keys = e.Keys();
        return viewer.Role switch
        {
            Role.Unit => Addressees.Of(keys).Includes(viewer.Unit!.Value),
            Role.Command => viewer.Sector == keys.Sector,
            _ => true,
        };
    }

    private static string Verb(Operation operation) => operation switch
    {
        Operation.ProposePair => "propose pairs",
        Operation.AcceptPair => "accept pairs",
        Operation.DissolvePair => "dissolve pairs",
        Operation.Replay => "replay the record",
        Operation.SectorAt => "see a sector as it stood",
        Operation.Export => "export the record",
        _ => "read the security log",
    };
}
