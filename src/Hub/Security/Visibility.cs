using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;

namespace PatrolHub.Hub.Security;

/// <summary>
/// What a viewer of a sector is entitled to see of it: the one filter live delivery, replay and export all pass through.
/// The joint centre sees an alert once it has been escalated to it; a sector's commands see all of the sector's
/// alerts; a reviewer sees what its nation's commands of the sector saw. Both nations share every unit's positions and
/// pairs with each other's commands today, so a reviewer sees every unit of both.
/// </summary>
public static class Visibility
{
    public static bool CanSee(Identity viewer, AlertInfo alert) => viewer.Role switch
    {
        Role.Command => viewer.Sector == alert.Sector,
        Role.Reviewer => true,
        Role.Joint => alert.JointCentre,
        Role.Unit => alert.IsFor(viewer.Unit!.Value),
        _ => false,
    };

    public static bool CanSee(Identity viewer, JournalRecord record) =>
        record.Event is not AlertChanged changed || CanSee(viewer, changed.Alert);
}
