using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PatrolHub.Grains.Alerts;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;

// Seeds a journal for the review bench: PAIRS mirrored pairs patrolling one sector at 1 Hz for SECONDS, with one alert,
// written through the journal's own sealing and append path (what the sector log grain does), in commits of 4,096.
//
//   dotnet bench/Seed/bin/Release/net10.0/PatrolHub.Seed.dll JOURNAL [--pairs 500] [--seconds 3600] [--sector TCA]
var options = ParseArguments(args);
var sector = SectorCatalog.Default.Get(SectorId.Parse(options.Sector));
var stretch = SectorCatalog.Default.StretchOf(sector);
var start = DateTimeOffset.UtcNow.AddSeconds(-options.Seconds - 60);
await using var journal = new SqliteJournal(Options.Create(new JournalOptions { Path = options.Journal }), NullLogger<SqliteJournal>.Instance);
var head = await journal.ReadHeadAsync(sector.Id);
if (head.Cursor > 0) throw new InvalidOperationException($"{options.Journal} already has sector {sector.Id}'s log; seed a new file.");

var pending = new List<SealedRecord>();
var clock = start;
async Task AddAsync(HubEvent e, DateTimeOffset at)
{
    // Recorded times only move forward, a microsecond at least, as the log grain's clock would.
    clock = at > clock ? at : clock.AddTicks(10);
    var record = SealedRecord.After(head, clock, e);
    pending.Add(record);
    head = record.Head;
    if (pending.Count == 4096) await FlushAsync();
}

async Task FlushAsync()
{
    if (pending.Count == 0) return;
    await journal.AppendAsync(sector.Id, pending[0].Record.Cursor == 1 ? LogHead.Empty : new LogHead(pending[0].Record.Cursor - 1, pending[0].PreviousHash), pending);
    pending = [];
}

var watch = Stopwatch.StartNew();
var pairs = Enumerable.Range(1, options.Pairs).Select(n => new PairInfo(
    PairId.Create(sector.Id, n), UnitId.Parse($"US-{sector.Id}-{n:D4}"), UnitId.Parse($"MX-{sector.Id}-{n:D4}"), PairState.Active,
    $"command:US:{sector.Id}", Nation.US, $"command:MX:{sector.Id}", null, start)).ToList();
foreach (var pair in pairs)
{
    await AddAsync(new PairChanged(pair with { State = PairState.Proposed, AcceptedBy = null }), start);
    await AddAsync(new PairChanged(pair), start);
}

for (var second = 0; second < options.Seconds; second++)
{
    var at = start.AddSeconds(second + 1);
    for (var i = 0; i < pairs.Count; i++)
    {
        var pair = pairs[i];
        var along = stretch[(i * 7) % stretch.Count];
        var drift = (second % 60) * 0.00001;
        foreach (var (unit, partner, north) in new[] { (pair.Us, pair.Mx, 0.012), (pair.Mx, pair.Us, -0.012) })
        {
            var point = new GeoPoint(along.Latitude + north, along.Longitude + (second * 0.00002) + (north > 0 ? drift : 0));
            var report = new PositionReport(second + 1, at, point, 5, 90, 2, UnitStatus.OnPatrol);
            await AddAsync(new PositionRecorded(unit, report, Boundary.Default.Locate(point), pair.Id, partner, drift * 100), at);
        }
    }

    if (second == options.Seconds / 2) await AddAsync(Alert(pairs[0], at, AlertState.Raised, AlertTransition.Raised), at);
    if (second == (options.Seconds / 2) + 90) await AddAsync(Alert(pairs[0], at, AlertState.Resolved, AlertTransition.Resolved), at);
    if (second % 600 == 599) Console.Error.WriteLine($"{second + 1} s of patrol seeded, {head.Cursor:N0} records, {watch.Elapsed.TotalSeconds:F0} s");
}

await FlushAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{head.Cursor} records in sector {sector.Id} from {start:O} to {clock:O}, seeded in {watch.Elapsed.TotalSeconds:F1} s"));

AlertChanged Alert(PairInfo pair, DateTimeOffset at, AlertState state, AlertTransition transition)
{
    var point = new GeoPoint(stretch[0].Latitude - 0.003, stretch[0].Longitude);
    var report = new AlertReport(AlertKind.HumanSmuggling, Severity.High, point, 10, "group of eight heading north");
    var raisedAt = transition == AlertTransition.Raised ? at : at.AddSeconds(-90);
    return new AlertChanged(new AlertInfo(
        AlertId.Create(sector.Id, 1), report, Severity.High, Boundary.Default.Locate(point), pair.Mx.ToString(), Nation.MX, pair.Mx, pair.Us, state,
        state == AlertState.Resolved ? AlertOutcome.Apprehension : null, 0, false, state == AlertState.Resolved ? $"command:US:{sector.Id}" : null,
        raisedAt, at, null, raisedAt.AddHours(8), null), transition);
}

static (string Journal, int Pairs, int Seconds, string Sector) ParseArguments(string[] args)
{
    if (args.Length == 0 || args[0].StartsWith('-')) throw new ArgumentException("usage: PatrolHub.Seed JOURNAL [--pairs 500] [--seconds 3600] [--sector TCA]");
    string Value(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    return (args[0], int.Parse(Value("--pairs", "500"), CultureInfo.InvariantCulture), int.Parse(Value("--seconds", "3600"), CultureInfo.InvariantCulture), Value("--sector", "TCA"));
}
