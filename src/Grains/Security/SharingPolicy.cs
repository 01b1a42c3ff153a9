using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Units;

namespace PatrolHub.Grains.Security;

/// <summary>Who, of the other nation, receives a nation's units' data.</summary>
public enum Audience
{
    /// <summary>The unit's paired partner.</summary>
    Partner,

    /// <summary>The other nation's sector commands.</summary>
    Commands,

    /// <summary>The joint centre, whichever CA issued its identity.</summary>
    Joint,

    /// <summary>The other nation's reviewers.</summary>
    Reviewers,
}

/// <summary>What one audience receives of a nation's units: nothing unless <see cref="Release"/> is set (the policy
/// fails closed); then exact, or positions snapped to a grid of <see cref="CoarsenMetres"/>, each released only
/// <see cref="DelaySeconds"/> after it was recorded, none while the unit is unpaired, speed, heading and direction
/// withheld, alert text withheld. Alerts are never delayed.</summary>
[GenerateSerializer, Immutable]
public sealed record ReleaseTerms
{
    /// <summary>True: released under the terms below; false: withheld. Unset is withheld, except for reviewers, who
    /// are then given what the commands are.</summary>
    [Id(5)] public bool? Release { get; init; }

    [Id(0)] public int CoarsenMetres { get; init; }

    [Id(1)] public int DelaySeconds { get; init; }

    [Id(2)] public bool HiddenWhenUnpaired { get; init; }

    [Id(3)] public bool WithholdMotion { get; init; }

    [Id(4)] public bool WithholdText { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan Delay => TimeSpan.FromSeconds(DelaySeconds);

    /// <summary>Released as recorded: nothing to mark on what is given.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsExact => Release == true && CoarsenMetres == 0 && DelaySeconds == 0 && !HiddenWhenUnpaired && !WithholdMotion && !WithholdText;

    public override string ToString()
    {
        if (Release != true) return "withheld";
        var terms = new List<string>();
        if (CoarsenMetres > 0) terms.Add($"coarsened to {CoarsenMetres} m");
        if (DelaySeconds > 0) terms.Add($"delayed {DelaySeconds} s");
        if (HiddenWhenUnpaired) terms.Add("hidden when unpaired");
        if (WithholdMotion) terms.Add("speed and heading withheld");
        if (WithholdText) terms.Add("text withheld");
        return terms.Count == 0 ? "exact" : string.Join(", ", terms);
    }

    public string? Validate(string path) =>
        CoarsenMetres is < 0 or > 100_000 ? $"{path}:CoarsenMetres must be between 0 (exact) and 100000; it is {CoarsenMetres}."
        : DelaySeconds is < 0 or > 86_400 ? $"{path}:DelaySeconds must be between 0 and 86400; it is {DelaySeconds}."
        : Release is null && this != new ReleaseTerms()
            ? $"{path} sets terms but not {path}:Release; set it to true to release under them, or false to withhold."
            : null;
}

/// <summary>What one nation releases of its units to each audience of the other nation. Each audience has terms of its
/// own instance: configuration binds into them.</summary>
public sealed class NationSharing
{
    public ReleaseTerms Partner { get; set; } = new();

    public ReleaseTerms Commands { get; set; } = new();

    public ReleaseTerms Joint { get; set; } = new();

    /// <summary>Without <see cref="ReleaseTerms.Release"/>: what the commands are given, so review shows the other
    /// nation what its commands saw.</summary>
    public ReleaseTerms Reviewers { get; set; } = new();

    /// <summary>The terms the audience is given this nation's units' data under; null when it is withheld.</summary>
    public ReleaseTerms? For(Audience audience)
    {
        var terms = audience switch
        {
            Audience.Partner => Partner,
            Audience.Commands => Commands,
            Audience.Joint => Joint,
            _ => Reviewers.Release is null ? Commands : Reviewers,
        };
        return terms.Release == true ? terms : null;
    }

    public override string ToString() => string.Join("; ", Enum.GetValues<Audience>().Select(a => $"{a.ToString().ToLowerInvariant()}: {(object?)For(a) ?? "withheld"}"));
}

/// <summary>
/// Each nation's sharing policy (configuration section <c>Sharing</c>, e.g. <c>Sharing:MX:Commands:CoarsenMetres</c>),
/// and the one place it is applied: <see cref="Release(Identity, JournalRecord, DateTimeOffset)"/> turns a recorded
/// event into what a recipient of the other nation receives, on live streams, on resume, in sector status, replay and
/// export alike. A nation's own units reach its own commands, units and reviewers exactly; the joint centre is the
/// other nation's audience for both. The policy fails closed: an audience no rule releases to is given nothing.
/// </summary>
public sealed class SharingPolicy
{
    public const string Section = "Sharing";

    private const double MetresPerDegree = 111_320;

    public NationSharing US { get; set; } = new();

    public NationSharing MX { get; set; } = new();

    public NationSharing Of(Nation nation) => nation == Nation.US ? US : MX;

    public static Audience AudienceOf(Identity recipient) => recipient.Role switch
    {
        Role.Unit => Audience.Partner,
        Role.Command => Audience.Commands,
        Role.Joint => Audience.Joint,
        _ => Audience.Reviewers,
    };

    /// <summary>The nation whose units' data the event carries: a position's unit's, an alert's raiser's; null for
    /// pairs, drift warnings and security events, which both nations take part in.</summary>
    public static Nation? OwnerOf(HubEvent e) => e switch
    {
        PositionRecorded position => position.Unit.Nation,
        AlertChanged changed => changed.Alert.RaisedByNation,
        _ => null,
    };

    /// <summary>Whether giving <paramref name="owner"/>'s data to <paramref name="recipient"/> is a release: it is,
    /// to anyone of the other nation and to the joint centre.</summary>
    public static bool IsRelease(Identity recipient, Nation owner) => recipient.Nation != owner || recipient.Role == Role.Joint;

    /// <summary>The terms <paramref name="recipient"/> is given <paramref name="owner"/>'s data under when that is a
    /// release; null when it is withheld.</summary>
    public ReleaseTerms? TermsFor(Identity recipient, Nation owner) => Of(owner).For(AudienceOf(recipient));

    /// <summary>The record as <paramref name="recipient"/> receives it at <paramref name="now"/>; null when the policy
    /// withholds it (from this audience altogether, an unpaired unit's position, or a position not yet past its
    /// delay). Alerts are never delayed: they are for acting on.</summary>
    public JournalRecord? Release(Identity recipient, JournalRecord record, DateTimeOffset now)
    {
        if (OwnerOf(record.Event) is not { } owner || !IsRelease(recipient, owner)) return record;
        if (TermsFor(recipient, owner) is not { } terms) return null;
        if (terms.IsExact) return record;
        HubEvent? released = record.Event switch
        {
            PositionRecorded position when record.RecordedAt + terms.Delay <= now => Release(position, terms),
            PositionRecorded => null,
            AlertChanged changed => changed with { Alert = Release(changed.Alert, terms) },
            var e => e,
        };
        return released is null ? null : record with { Event = released };
    }

    /// <summary>The alert as <paramref name="recipient"/> receives it; null when it is withheld.</summary>
    public AlertInfo? Release(Identity recipient, AlertInfo alert) =>
        !IsRelease(recipient, alert.RaisedByNation) ? alert
        : TermsFor(recipient, alert.RaisedByNation) is not { } terms ? null
        : terms.IsExact ? alert
        : Release(alert, terms);

    private static PositionRecorded? Release(PositionRecorded position, ReleaseTerms terms)
    {
        if (terms.HiddenWhenUnpaired && position.Pair is null) return null;
        var report = position.Report;
        var location = position.Location;
        var drift = position.DriftKm;
        if (terms.CoarsenMetres > 0)
        {
            var point = Snap(report.Point, terms.CoarsenMetres);
            report = report with { Point = point, AccuracyM = Math.Max(report.AccuracyM, terms.CoarsenMetres) };
            location = SectorCatalog.Default.Boundary.Locate(point);
            if (drift is { } d) drift = Math.Round(d * 1000 / terms.CoarsenMetres) * terms.CoarsenMetres / 1000;
        }

        if (terms.WithholdMotion) report = report with { HeadingDeg = 0, SpeedMps = 0 };
        return position with { Report = report, Location = location, DriftKm = drift, ReleasedUnder = terms };
    }

    private static AlertInfo Release(AlertInfo alert, ReleaseTerms terms)
    {
        var report = alert.Report;
        var location = alert.Location;
        if (terms.CoarsenMetres > 0)
        {
            report = report with { Point = Snap(report.Point, terms.CoarsenMetres) };
            location = SectorCatalog.Default.Boundary.Locate(report.Point);
        }

        if (terms.WithholdMotion) report = report with { DirectionDeg = null };
        if (terms.WithholdText) report = report with { Text = "" };
        return alert with { Report = report, Location = location, ReleasedUnder = terms };
    }

    /// <summary>The centre of the grid cell of <paramref name="metres"/> the point lies in: rows of equal latitude, and
    /// columns as wide in metres at each row's latitude. The same point always snaps to the same centre, so repeated
    /// positions do not average out to the exact one.</summary>
    public static GeoPoint Snap(GeoPoint point, int metres)
    {
        var rowDegrees = metres / MetresPerDegree;
        var latitude = (Math.Floor(point.Latitude / rowDegrees) + 0.5) * rowDegrees;
        var columnDegrees = metres / (MetresPerDegree * Math.Cos(latitude * Math.PI / 180));
        var longitude = (Math.Floor(point.Longitude / columnDegrees) + 0.5) * columnDegrees;
        return new GeoPoint(Math.Round(latitude, 7), Math.Round(longitude, 7));
    }

    /// <summary>What is wrong with the policy, naming the setting, or null.</summary>
    public string? Validate() =>
        Enum.GetValues<Nation>()
            .SelectMany(n => new[] { (Of(n).Partner, "Partner"), (Of(n).Commands, "Commands"), (Of(n).Joint, "Joint"), (Of(n).Reviewers, "Reviewers") }
                .Select(a => a.Item1.Validate($"{Section}:{n}:{a.Item2}")))
            .FirstOrDefault(error => error is not null);

    public override string ToString() => $"US releases {US}. MX releases {MX}.";
}
