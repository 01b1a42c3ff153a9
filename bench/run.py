#!/usr/bin/env python3
"""Runs the relay yardstick and the hub back to back under the same `patrolhub simulate` load and prints one table.

    python3 bench/run.py --pairs 2000 [--sector TCA|all] [--rate 1] [--duration 60s] [--window 32] [--connect-rate 500] [--settle 10s]
    python3 bench/run.py --pairs 2000 --servers relay,hub-pg,cluster     # one silo against two, both on PostgreSQL
    python3 bench/run.py --pairs 2000 --rounds 3                         # relay, hub; hub, relay; relay, hub: medians

Servers: relay; hub (one silo, SQLite); hub-pg (one silo, PostgreSQL); cluster (two silos, Redis membership, one
PostgreSQL journal; simulate spreads units over both). PostgreSQL and Redis come from scripts/services.sh, with a
fresh database per run.

Each server runs on this machine as a Release build, on a fresh data folder and one development PKI; the load generator
shares the machine. Server CPU is utime+stime from /proc, from the moment streaming starts to the end of the run, summed
over a cluster's silos; peak RSS is VmHWM, summed likewise. The load client's CPU is its whole run's (from wait4),
connecting included. With --rounds N the servers run N times, in alternating order, each time on fresh data; the table
gives each figure's median over the rounds, and each ratio is the median of the rounds' own ratios (hub and relay of one
round against each other, never across rounds), followed by the key figures of every round. Pass --json FILE to keep
the raw figures of every round. The work folder (servers' logs, journals, certificates) is removed after a run unless
--keep is given; a run that fails keeps it, and says where.
"""
import argparse, json, os, shutil, signal, sqlite3, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "src/Cli/bin/Release/net10.0/patrolhub.dll"
HUB = ROOT / "src/Hub/bin/Release/net10.0/PatrolHub.Hub.dll"
RELAY = ROOT / "bench/Relay/bin/Release/net10.0/PatrolHub.Relay.dll"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(name, command, work, ready):
    log = open(work / f"{name}.log", "w")
    process = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = threading.Event()

    def pump():
        for line in process.stdout:
            log.write(line)
            log.flush()
            if ready in line:
                seen.set()
    threading.Thread(target=pump, daemon=True).start()
    if not seen.wait(90):
        process.kill()
        sys.exit(f"{name} did not start; see {work / (name + '.log')}")
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def simulate(url, work, args, servers, restart=None):
    """Runs simulate against servers[0]. With restart, SIGKILLs the server --kill-after seconds into streaming and
    starts it again on the same data (servers[0] becomes the new process)."""
    acks = work / "acks.json"
    command = ["dotnet", str(CLIENT), "--hub", url, "--ca", str(work / "certs/hub-ca.crt"), "--certs", str(work / "certs"), "--json",
               "simulate", "--sector", args.sector, "--pairs", str(args.pairs), "--rate", str(args.rate), "--duration", args.duration,
               "--window", str(args.window), "--connect-rate", str(args.connect_rate), "--settle", args.settle, "--acks-out", str(acks)]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks = {}

    def kill_and_restart():
        time.sleep(args.kill_after)
        servers[0].kill()
        servers[0].wait()
        started = time.monotonic()
        servers[0] = restart()
        marks["restart_s"] = time.monotonic() - started
        marks["cpu"] = cpu_seconds(servers[0].pid)
        sys.stderr.write(f"  [killed with SIGKILL and restarted in {marks['restart_s']:.1f} s]\n")

    def progress():
        for line in run.stderr:
            sys.stderr.write(f"  [{line.strip()}]\n")
            if line.startswith("streaming"):
                marks["cpu"] = sum(cpu_seconds(s.pid) for s in servers)
                if restart:
                    threading.Thread(target=kill_and_restart, daemon=True).start()
    reader = threading.Thread(target=progress, daemon=True)
    reader.start()
    out = run.stdout.read()
    # wait4 rather than wait, for the load client's own CPU: it shares the machine with the server it measures.
    _, status, usage = os.wait4(run.pid, 0)
    run.returncode = os.waitstatus_to_exitcode(status)
    reader.join(5)
    if run.returncode != 0:
        sys.exit(f"simulate failed against {url} (exit {run.returncode})")
    report = json.loads(out.strip().splitlines()[-1])
    report["server_cpu_s"] = sum(cpu_seconds(s.pid) for s in servers) - marks.get("cpu", 0)
    report["server_peak_rss_mb"] = sum(peak_rss_mb(s.pid) for s in servers)
    report["server_cpu_s_per_1000"] = report["server_cpu_s"] / max(1, report["acknowledged"]) * 1000
    report["client_cpu_s"] = usage.ru_utime + usage.ru_stime
    if restart:
        report["restart_s"] = marks.get("restart_s")
        report.update(check_record(work / "hub-7451/journal.db", json.loads(acks.read_text())))
    return report


def services():
    """PATROLHUB_POSTGRES and PATROLHUB_REDIS from scripts/services.sh (which starts them if needed)."""
    out = subprocess.run(["bash", str(ROOT / "scripts/services.sh"), "start"], check=True, capture_output=True, text=True).stdout
    return dict(line.removeprefix("export ").replace("'", "").split("=", 1) for line in out.splitlines() if line.startswith("export "))


def fresh_database(connection_string, name):
    """Creates database NAME on the server of an Npgsql connection string; returns the string for it."""
    parts = dict(part.split("=", 1) for part in connection_string.split(";") if part)
    subprocess.run(["psql", "-h", parts["Host"], "-p", parts["Port"], "-U", parts["Username"], "-d", "postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
    return ";".join(f"{k}={name if k == 'Database' else v}" for k, v in parts.items())


def check_record(journal, acknowledged):
    """Reads the journal itself: every acknowledged sequence must be recorded, once, with no gap below it."""
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        rows = {unit: (top, distinct, total) for unit, top, distinct, total in db.execute(
            "SELECT unit, MAX(unit_seq), COUNT(DISTINCT unit_seq), COUNT(*) FROM journal WHERE kind = 'position' GROUP BY unit")}
    lost = sum(max(0, acked - rows.get(unit, (0, 0, 0))[0]) for unit, acked in acknowledged.items())
    gaps = sum(top - distinct for top, distinct, _ in rows.values())
    duplicates = sum(total - distinct for _, distinct, total in rows.values())
    return {"acknowledged_not_recorded": lost + gaps, "recorded_twice": duplicates}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--sector", default="TCA")
    parser.add_argument("--rate", type=float, default=1)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--connect-rate", type=float, default=500)
    parser.add_argument("--settle", default="10s", help="warm-up: p99 is also given for positions scheduled after it")
    parser.add_argument("--servers", default="relay,hub", help="which to run, in order")
    parser.add_argument("--rounds", type=int, default=1, help="run the servers this many times, alternating their order; the table gives medians")
    parser.add_argument("--kill-after", type=float, help="hub only: SIGKILL it this many seconds into streaming, restart it, and check the record")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--hub-dll", default=str(HUB), help="another build of the hub to measure, e.g. an earlier commit's")
    parser.add_argument("--hub-setting", action="append", default=[], metavar="KEY=VALUE", help="a hub setting, e.g. Hub:UnitWindow=128 (repeatable)")
    parser.add_argument("--json", help="write the raw figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (servers' logs, journals, certificates); it is kept anyway when a run fails")
    args = parser.parse_args()

    if not args.no_build:
        for project in ("src/Hub", "src/Cli", "bench/Relay"):
            subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "--nologo", str(ROOT / project)], check=True, stdout=subprocess.DEVNULL)
    names = args.servers.split(",")
    work = Path(tempfile.mkdtemp(prefix="patrolhub-bench-"))
    try:
        rounds = measure(args, names, work)
    except BaseException:
        # A server that did not start, or a run that failed or was interrupted: its logs and data are there to look into.
        print(f"the servers' logs and data are kept in {work}", file=sys.stderr)
        raise
    if args.keep:
        print(f"the servers' logs and data are in {work}", file=sys.stderr)
    else:
        # A 4,000-unit run leaves a journal of a few hundred MB; repeated runs would fill the disk.
        shutil.rmtree(work)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rounds": rounds}, indent=2))
    table(rounds, names, args)


def measure(args, names, work):
    """Runs every round in the work folder and returns each round's reports, by server."""
    subprocess.run(["dotnet", str(CLIENT), "--certs", str(work / "certs"), "certs", "init"], check=True, stdout=subprocess.DEVNULL)
    certs = work / "certs"
    def hub(port, *settings):
        # A fresh data folder each run; a restart after --kill-after reuses the command, and so the data.
        shutil.rmtree(work / f"hub-{port}", ignore_errors=True)
        return ["dotnet", args.hub_dll, "--Hub:Url", f"https://127.0.0.1:{port}", "--Hub:DataPath", str(work / f"hub-{port}"),
                "--Hub:Certificates:Server", str(certs / "hub.pfx"), "--Hub:Certificates:UsCa", str(certs / "us-ca.crt"),
                "--Hub:Certificates:MxCa", str(certs / "mx-ca.crt"),
                "--Hub:HealthUrl", f"http://127.0.0.1:{port + 100}",
                # The per-unit position limit is for hostile clients; the load's own rate must stay under it.
                "--Security:PositionsPerSecond", str(max(50, int(args.rate * 2))), *settings,
                *[part for setting in args.hub_setting for part in ("--" + setting.split("=", 1)[0], setting.split("=", 1)[1])]]

    def shared(name):
        env = services()
        journal = fresh_database(env["PATROLHUB_POSTGRES"], f"bench_{name.replace('-', '_')}_{int(time.time())}")
        return ["--Journal:Store", "postgres", "--Journal:ConnectionString", journal, "--Cluster:Redis", env["PATROLHUB_REDIS"],
                "--Cluster:Id", f"bench-{name}-{int(time.time())}"]

    def silos(name, count):
        common = shared(name)
        if count == 1:  # one silo: PostgreSQL, no cluster
            common = common[:4]
        return [hub(7451 + i, "--Orleans:SiloPort", str(11151 + i), "--Orleans:GatewayPort", str(30051 + i), *common) for i in range(count)]

    servers = {
        "relay": (lambda: [["dotnet", str(RELAY), "--certs", str(certs), "--url", "https://127.0.0.1:7450"]], "relay listening", "https://127.0.0.1:7450"),
        "hub": (lambda: [hub(7451)], "PatrolHub listening", "https://127.0.0.1:7451"),
        "hub-pg": (lambda: silos("hub-pg", 1), "PatrolHub listening", "https://127.0.0.1:7451"),
        "cluster": (lambda: silos("cluster", 2), "PatrolHub listening", "https://127.0.0.1:7451,https://127.0.0.1:7452"),
    }
    rounds = []
    for number in range(args.rounds):
        results = {}
        # Alternating the order spreads what running first or second does (a warmer page cache, a cooler CPU) over both.
        for name in names if number % 2 == 0 else names[::-1]:
            commands, ready, url = servers[name]
            commands = commands()
            print(f"{name}: {args.pairs} pairs in {args.sector} at {args.rate} Hz for {args.duration}, window {args.window}"
                  + (f" (round {number + 1} of {args.rounds})" if args.rounds > 1 else ""), file=sys.stderr)
            servers_running = [start(f"{name}-{i}", command, work, ready) for i, command in enumerate(commands)]
            restart = (lambda: start(name, commands[0], work, ready)) if args.kill_after and name == "hub" else None
            try:
                results[name] = simulate(url, work, args, servers_running, restart)
            finally:
                for server in servers_running:
                    stop(server)
        rounds.append({name: results[name] for name in names})
    return rounds


def get(report, path):
    value = report
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def table(rounds, names, args):
    rows = [
        ("offered", "offered", "{:,.0f}"), ("sent", "sent", "{:,.0f}"), ("acknowledged", "acknowledged", "{:,.0f}"),
        ("accepted/s", "acknowledged_per_second", "{:,.1f}"),
        ("ack p50 ms", "ack.p50_ms", "{:.2f}"), ("ack p99 ms", "ack.p99_ms", "{:.2f}"), ("ack max ms", "ack.max_ms", "{:.1f}"),
        ("partner delivered", "delivery.count", "{:,.0f}"),
        ("partner p50 ms", "delivery.p50_ms", "{:.2f}"), ("partner p99 ms", "delivery.p99_ms", "{:.2f}"), ("partner max ms", "delivery.max_ms", "{:.1f}"),
        (f"ack p99 ms, after the first {args.settle}", "settled_ack.p99_ms", "{:.2f}"),
        (f"partner p99 ms, after the first {args.settle}", "settled_delivery.p99_ms", "{:.2f}"),
        ("reconnects", "reconnects", "{:,.0f}"), ("most reconnects of one unit", "most_reconnects_of_one_unit", "{:,.0f}"),
        ("refused (overload)", "refusals", "{:,.0f}"),
        ("outages", "outages.count", "{:,.0f}"), ("still down at the end", "still_down", "{:,.0f}"), ("outage p50 ms", "outages.p50_ms", "{:.0f}"), ("outage p99 ms", "outages.p99_ms", "{:.0f}"),
        ("outage max ms", "outages.max_ms", "{:.0f}"), ("restart s", "restart_s", "{:.1f}"),
        ("acknowledged, not recorded", "acknowledged_not_recorded", "{:,.0f}"), ("recorded twice", "recorded_twice", "{:,.0f}"),
        ("server CPU-s / 1,000 updates", "server_cpu_s_per_1000", "{:.3f}"), ("server peak RSS MB", "server_peak_rss_mb", "{:,.0f}"),
        ("load client CPU-s, whole run", "client_cpu_s", "{:,.1f}"),
    ]
    def cell(value, fmt):
        return fmt.format(value) if value is not None else "–"

    def ratio(path, name, results):
        base, value = get(results[names[0]], path), get(results[name], path)
        return value / base if base and value is not None else None

    heading = f"{args.pairs * 2} units ({args.pairs} pairs) in {args.sector}, {args.rate} Hz, {args.duration}, window {args.window}"
    print(f"\n{heading}" + (f"; medians of {len(rounds)} rounds" if len(rounds) > 1 else "") + "\n")
    others = names[1:]
    print("| | " + " | ".join(names + [f"{n} / {names[0]}" for n in others]) + " |")
    print("|---" * (len(names) + len(others) + 1) + "|")
    for label, path, fmt in rows:
        cells = [cell(median(get(r[n], path) for r in rounds), fmt) for n in names]
        cells += [cell(median(ratio(path, n, r) for r in rounds), "{:.2f}×") for n in others]
        print(f"| {label} | " + " | ".join(cells) + " |")
    if len(rounds) < 2:
        return
    print(f"\nEach round, {' and '.join(names)}" + (" (ratio)" if others else "") + "\n")
    key = [row for row in rows if row[1] in ("acknowledged", "delivery.p99_ms", "settled_delivery.p99_ms", "reconnects", "server_cpu_s_per_1000")]
    print("| round | " + " | ".join(label for label, _, _ in key) + " |")
    print("|---" * (len(key) + 1) + "|")
    for number, results in enumerate(rounds, 1):
        cells = []
        for _, path, fmt in key:
            values = " / ".join(cell(get(results[n], path), fmt) for n in names)
            ratios = ", ".join(cell(ratio(path, n, results), "{:.2f}×") for n in others)
            cells.append(f"{values} ({ratios})" if others else values)
        print(f"| {number} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
