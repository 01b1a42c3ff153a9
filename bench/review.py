#!/usr/bin/env python3
"""The after-action review bench: seeds a journal with PAIRS mirrored pairs patrolling one sector at 1 Hz for an hour
(through the journal's own append path), then times replay, export and verify against a hub on it, each with a fresh
hub so its peak RSS is that operation's, beside the yardstick of reading the same rows straight from SQLite.

    python3 bench/review.py [--pairs 500] [--seconds 3600] [--work /tmp/patrolhub-review] [--no-build] [--json FILE]

The seeded journal is kept in --work and reused when it already has the asked-for size.
"""
import argparse, json, os, sqlite3, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLIENT, HUB, ROOT, peak_rss_mb, start, stop  # noqa: E402

SEED = ROOT / "bench/Seed/bin/Release/net10.0/PatrolHub.Seed.dll"


def timed(command, work, count=False):
    """Seconds the command took; with count, also how many lines it printed (events, for replay --json), read as they
    come, which costs the machine a little; without, its output goes to /dev/null."""
    began = time.monotonic()
    process = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE if count else subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = 0
    while count and (chunk := process.stdout.read(1 << 20)):
        lines += chunk.count(b"\n")
    error = process.stderr.read().decode()
    if process.wait() != 0:
        sys.exit(f"{' '.join(map(str, command))} failed: {error}")
    return time.monotonic() - began, lines


def iso(micros):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(micros // 1_000_000)) + f".{micros % 1_000_000:06d}Z"


def raw_read(journal, sector, window=None):
    """Seconds to read the sector's payloads in cursor order straight from SQLite, and how many there were."""
    connection = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    began = time.monotonic()
    rows = 0
    query = "SELECT payload, hash FROM journal WHERE sector = ? ORDER BY cursor"
    for _ in connection.execute(query, (sector,)):
        rows += 1
    return time.monotonic() - began, rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=3600)
    parser.add_argument("--work", default="/tmp/patrolhub-review")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    work = Path(args.work)
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    journal = data / "journal.db"
    if not args.no_build:
        for project in ("src/Hub", "src/Cli", "bench/Seed"):
            subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "--nologo", str(ROOT / project)], check=True, stdout=subprocess.DEVNULL)

    expected = args.pairs * 2 * (args.seconds + 1) + 2
    have = 0
    if journal.exists():
        have = sqlite3.connect(f"file:{journal}?mode=ro", uri=True).execute("SELECT COALESCE(MAX(cursor), 0) FROM journal WHERE sector = 'TCA'").fetchone()[0]
    if have < args.pairs * 2 * args.seconds:
        for stale in data.glob("journal.db*"):
            stale.unlink()
        print(f"seeding {args.pairs} pairs x {args.seconds} s ...", file=sys.stderr)
        seeding, _ = timed(["dotnet", SEED, journal, "--pairs", str(args.pairs), "--seconds", str(args.seconds)], work)
        print(f"seeded in {seeding:.0f} s", file=sys.stderr)

    raw_seconds, records = raw_read(journal, "TCA")
    certs = data / "certs"
    cli = ["dotnet", CLIENT, "--hub", "https://localhost:7443", "--ca", certs / "hub-ca.crt", "--identity", certs / "reviewer-us.pfx"]
    # The windows are the journal's own times: the whole record, and ten minutes from its middle.
    first, last = sqlite3.connect(f"file:{journal}?mode=ro", uri=True).execute(
        "SELECT MIN(recorded_at), MAX(recorded_at) FROM journal WHERE sector = 'TCA'").fetchone()
    middle = (first + last) // 2
    window = ["--sector", "TCA", "--from", iso(first), "--to", iso(last)]
    ten = ["--sector", "TCA", "--from", iso(middle), "--to", iso(middle + 600_000_000)]
    results = {"records": records, "raw_read_s": raw_seconds}
    operations = [
        ("replay", [*cli, "--json", "replay", *window]),
        ("replay_to_dev_null", [*cli, "--json", "replay", *window]),
        ("export_geojson", [*cli, "export", *window, "--format", "geojson", "--out", work / "out.geojson"]),
        ("export_gpx", [*cli, "export", *window, "--format", "gpx", "--out", work / "out.gpx"]),
        ("verify", [*cli, "verify", "--sector", "TCA"]),
        ("replay_10min", [*cli, "--json", "replay", *ten]),
        ("export_geojson_10min", [*cli, "export", *ten, "--format", "geojson", "--out", work / "out10.geojson"]),
    ]
    for name, command in operations:
        hub = start("hub", ["dotnet", HUB, "--Hub:DataPath", data], work, "listening")
        try:
            seconds, lines = timed(command, work, count=name in ("replay", "replay_10min"))
            results[name] = {"seconds": seconds, "lines": lines, "hub_peak_rss_mb": peak_rss_mb(hub.pid)}
        finally:
            stop(hub)

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    print(f"journal: {records:,} records in sector TCA; yardstick, reading them straight from SQLite: {raw_seconds:.1f} s "
          f"({records / raw_seconds:,.0f} rows/s)")
    print(f"replay prints one line per event: {results['replay']['lines']:,} for the whole record, "
          f"{results['replay_10min']['lines']:,} for ten minutes; files: " + ", ".join(
              f"{f.name} {f.stat().st_size / 1e6:,.0f} MB" for f in (work / "out.geojson", work / "out.gpx", work / "out10.geojson")))
    print(f"{'operation':<22}{'seconds':>9}{'records/s':>12}{'x yardstick':>13}{'hub peak RSS':>14}")
    for name, _ in operations:
        r = results[name]
        rate = f"{records / r['seconds']:,.0f}" if "10min" not in name else "-"
        print(f"{name:<22}{r['seconds']:>9.1f}{rate:>12}{r['seconds'] / raw_seconds:>13.2f}{r['hub_peak_rss_mb']:>11.0f} MB")


if __name__ == "__main__":
    main()
