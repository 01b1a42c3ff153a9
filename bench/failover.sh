#!/usr/bin/env bash
# Failover under load: two hub silos as one cluster (Redis membership, one PostgreSQL journal), `patrolhub simulate`
# spread over both, and one silo SIGKILLed while it streams. Prints simulate's summary (acknowledged, reconnects, each
# unit outage's p50, p99 and max, acknowledgement and delivery latency over the run) and then counts,
# straight from PostgreSQL, the recorded positions against the distinct ones: every acknowledged position must be there
# exactly once.
#
#   bench/failover.sh [PAIRS=100] [KILL_AFTER_S=20] [DURATION=60s]
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-100} kill_after=${2:-20} duration=${3:-60s}
for project in src/Hub src/Cli; do dotnet build -c Release -v q "$project" >/dev/null; done
eval "$(scripts/services.sh start)"
work=$(mktemp -d)
database="failover_$(date +%s)"
psql "$(echo "$PATROLHUB_POSTGRES" | sed 's/;/ /g; s/Host=/host=/; s/Port=/port=/; s/Database=/dbname=/; s/Username=/user=/')" -qc "CREATE DATABASE $database"
journal="${PATROLHUB_POSTGRES/Database=patrolhub/Database=$database}"
hub=$PWD/src/Hub/bin/Release/net10.0/PatrolHub.Hub.dll
cli="dotnet $PWD/src/Cli/bin/Release/net10.0/patrolhub.dll"
common=(--Journal:Store postgres --Journal:ConnectionString "$journal" --Cluster:Redis "$PATROLHUB_REDIS" --Cluster:Id "$database")
cd "$work"
dotnet "$hub" --Hub:Url https://localhost:7461 --Orleans:SiloPort 11161 --Orleans:GatewayPort 30061 \
  --Hub:HealthUrl http://127.0.0.1:7471 --Hub:DashboardUrl http://127.0.0.1:7481 "${common[@]}" >a.log 2>&1 & a=$!
until grep -q "PatrolHub listening" a.log; do sleep 1; done
dotnet "$hub" --Hub:Url https://localhost:7462 --Orleans:SiloPort 11162 --Orleans:GatewayPort 30062 \
  --Hub:HealthUrl http://127.0.0.1:7472 --Hub:DashboardUrl http://127.0.0.1:7482 "${common[@]}" >b.log 2>&1 & b=$!
until grep -q "PatrolHub listening" b.log; do sleep 1; done
trap 'kill $a $b 2>/dev/null || true' EXIT
$cli --hub https://localhost:7461,https://localhost:7462 --json simulate --sector TCA --pairs "$pairs" --rate 1 --duration "$duration" >sim.json 2>sim.err & s=$!
until grep -q "streaming" sim.err; do sleep 1; done
sleep "$kill_after"
kill -9 $b
echo "silo 2 SIGKILLed $kill_after s into streaming" >&2
wait $s
tail -1 sim.json
psql "$(echo "$journal" | sed 's/;/ /g; s/Host=/host=/; s/Port=/port=/; s/Database=/dbname=/; s/Username=/user=/')" -tAc \
  "SELECT 'recorded ' || count(*) || ', distinct (unit, sequence) ' || count(DISTINCT (unit, unit_seq)) FROM journal WHERE kind = 'position'"
