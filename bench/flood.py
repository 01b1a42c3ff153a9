#!/usr/bin/env python3
"""Isolation between callers: a healthy set of pairs streams alone, then again while other identities flood the same
sector, on one hub; prints the healthy pairs' partner-delivery latency both times.

    python3 bench/flood.py [--pairs 10] [--duration 40s] [--flooders 1] [--watches 12]

The flood, while the healthy pairs stream (each flooder its own identity, in the healthy pairs' sector, TCA):
  - --flooders pairs of units (units 8001 on) each offer 1,000 positions a second (`simulate --rate 1000 --window 1024`);
    the hub cuts each at Security:PositionsPerSecond, and the client comes back after the retry delay the hub asks for;
  - one sector command opens --watches watches of the sector at once, past Security:MaxStreamsPerIdentity; those
    refused keep retrying, those admitted receive the sector's every event.
The hub runs with its default limits. Every figure comes from the same hub process and the same machine.
"""
import argparse, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLIENT, HUB, cpu_seconds, start, stop  # noqa: E402

URL = "https://127.0.0.1:7452"


def cli(work, *args):
    return ["dotnet", str(CLIENT), "--hub", URL, "--ca", str(work / "certs/hub-ca.crt"), "--certs", str(work / "certs"), *args]


def healthy(work, args):
    out = subprocess.run(cli(work, "--json", "simulate", "--sector", "TCA", "--pairs", str(args.pairs), "--rate", "1",
                             "--duration", args.duration), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"simulate failed: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--duration", default="40s")
    parser.add_argument("--flooders", type=int, default=1)
    parser.add_argument("--watches", type=int, default=12)
    parser.add_argument("--hub-dll", default=str(HUB), help="another build of the hub to measure, e.g. one without per-caller limits")
    parser.add_argument("--flooder-nice", type=int, default=19,
                        help="niceness of the flooding clients (default 19): in the field they run elsewhere, here they share the hub's cores")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="patrolhub-flood-"))
    certs = work / "certs"
    subprocess.run(cli(work, "certs", "init"), check=True, stdout=subprocess.DEVNULL)
    hub = start("hub", ["dotnet", args.hub_dll, "--Hub:Url", URL, "--Hub:DataPath", str(work / "hub"),
                        "--Hub:Certificates:Server", str(certs / "hub.pfx"), "--Hub:Certificates:UsCa", str(certs / "us-ca.crt"),
                        "--Hub:Certificates:MxCa", str(certs / "mx-ca.crt")], work, "PatrolHub listening")
    results = {}
    try:
        print(f"alone: {args.pairs} pairs in TCA at 1 Hz for {args.duration}", file=sys.stderr)
        results["alone"] = healthy(work, args)

        print(f"flooded: the same, beside {args.flooders} flooding pair(s) and {args.watches} watches of one command", file=sys.stderr)
        nice = ["nice", "-n", str(args.flooder_nice)]
        flood = [subprocess.Popen(nice + cli(work, "simulate", "--sector", "TCA", "--first-unit", "8001", "--pairs", str(args.flooders),
                                             "--rate", "1000", "--window", "1024", "--duration", "10m"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        flood += [subprocess.Popen(nice + cli(work, "--identity", str(certs / "us-tca-cmd.pfx"), "watch", "--sector", "TCA"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.watches)]
        time.sleep(10)  # the flood is under way before the healthy pairs start
        cpu, flooding = cpu_seconds(hub.pid), cpu_seconds(flood[0].pid)
        started = time.monotonic()
        results["flooded"] = healthy(work, args)
        elapsed = time.monotonic() - started
        results["flooded"]["hub_cores"] = (cpu_seconds(hub.pid) - cpu) / elapsed
        results["flooded"]["flooder_cores"] = (cpu_seconds(flood[0].pid) - flooding) / elapsed
        for process in flood:
            process.terminate()
        for process in flood:
            process.wait()
        audit = subprocess.run(cli(work, "--identity", str(certs / "reviewer-us.pfx"), "--json", "audit", "--since", "-10m"),
                               capture_output=True, text=True).stdout.splitlines()
        refusals = [json.loads(line) for line in audit if '"limit-refused"' in line]
    finally:
        stop(hub)
    # The hub's journal and logs go once the run has succeeded; a failed run leaves them in the work folder.
    shutil.rmtree(work)

    print(f"\n{args.pairs} healthy pairs in TCA at 1 Hz, {args.duration}; the flood: {args.flooders} pair(s) at 1,000 Hz a unit, "
          f"{args.watches} watches of one command\n")
    print("| | alone | flooded | flooded / alone |\n|---|---|---|---|")
    for label, key in (("partner p50 ms", "p50_ms"), ("partner p99 ms", "p99_ms"), ("partner max ms", "max_ms")):
        a, f = results["alone"]["delivery"][key], results["flooded"]["delivery"][key]
        print(f"| {label} | {a:.2f} | {f:.2f} | {f / a:.2f}× |")
    for label, key in (("acknowledged", "acknowledged"), ("reconnects", "reconnects")):
        print(f"| {label} | {results['alone'][key]:,} | {results['flooded'][key]:,} | – |")
    by_limit = {}
    for e in refusals:
        by_limit[e["detail"]] = by_limit.get(e["detail"], 0) + e["count"]
    print(f"\nwhile flooded: the hub used {results['flooded']['hub_cores']:.2f} cores, the flooding simulate "
          f"{results['flooded']['flooder_cores']:.2f} (at nice {args.flooder_nice})")
    print("refusals the hub recorded (audit): " + (", ".join(f"{k} ×{v:,}" for k, v in sorted(by_limit.items())) or "none"))


if __name__ == "__main__":
    main()
