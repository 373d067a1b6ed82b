#!/usr/bin/env bash
# The same direct-message load (and a latency run at a modest rate) against three set-ups, interleaved, RUNS times:
#   sqlite   one ChatRoom.ServerApp on its SQLite file, the generator connected to it directly
#   redis-1  one node on Redis (appendfsync always), through haproxy
#   redis-3  three nodes on Redis, through haproxy (round robin: a sender and its receiver mostly on different nodes)
# Every run gets fresh processes and fresh data (tools/cluster/run.sh load ...). Prints one table at the end;
# the raw JSON lines go to RESULTS.
# Env: RUNS=2 PAIRS=100 MESSAGES=1000 WINDOW=32 MAX_SECONDS=90 (direct: PAIRS*MESSAGES messages, each sender at most
#      WINDOW unacknowledged; a run stopped at MAX_SECONDS is incomplete and its rate_overall is the figure)
#      LATENCY_RATE=1000 LATENCY_PAIRS=100 LATENCY_SECONDS=15 (LATENCY_RATE=0: no latency runs)
#      SETUPS="sqlite redis-1 redis-3" LOAD_MAX=1.5 LOAD_WAIT=300 (before each run, wait up to LOAD_WAIT s for the
#      1-minute load average to drop below LOAD_MAX; the value is recorded as load1_before either way)
#      WORK, LOADGEN as for run.sh; RESULTS=$WORK/compare-<time>.jsonl
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd -P)
# shellcheck source=tools/perf/lib.sh
. "$HERE/../perf/lib.sh"

RUNS=${RUNS:-2}
PAIRS=${PAIRS:-100}
MESSAGES=${MESSAGES:-1000}
WINDOW=${WINDOW:-32}
MAX_SECONDS=${MAX_SECONDS:-90}
LATENCY_RATE=${LATENCY_RATE:-1000}
LATENCY_PAIRS=${LATENCY_PAIRS:-100}
LATENCY_SECONDS=${LATENCY_SECONDS:-15}
SETUPS=${SETUPS:-"sqlite redis-1 redis-3"}
LOAD_MAX=${LOAD_MAX:-1.5}
LOAD_WAIT=${LOAD_WAIT:-300}
perf_use_work "${WORK:-${TMPDIR:-/tmp}/chatroom-cluster-$(cksum <<<"$REPO" | cut -d' ' -f1)}" || exit 2
export WORK
RESULTS=${RESULTS:-$WORK/compare-$(date +%Y%m%d-%H%M%S).jsonl}
USERS=$((PAIRS > LATENCY_PAIRS ? PAIRS : LATENCY_PAIRS))
export USERS

"$HERE/run.sh" build

# Other work on the machine skews the figures: start each run on a quiet machine (or after LOAD_WAIT s).
# one SETUP SCENARIO ARGS...: one fresh set-up, one generator run; appends the JSON line (with setup, run and
# load1_before) to RESULTS.
one() {
    local setup=$1 line
    shift
    local env=(SKIP_BUILD=1)
    case $setup in
        sqlite) env+=(SQLITE=1) ;;
        redis-*) env+=(NODES="${setup#redis-}") ;;
        *) echo "error: unknown set-up $setup (sqlite, redis-N)" >&2; exit 2 ;;
    esac
    wait_for_quiet
    perf_log "run $run/$RUNS: $1 on $setup (load $LOAD1)"
    line=$(env "${env[@]}" "$HERE/run.sh" load "$@") || true
    [ -n "$line" ] || line="{\"scenario\":\"$1\",\"complete\":false,\"error\":\"run.sh printed nothing\"}"
    line="${line%\}},\"setup\":\"$setup\",\"run\":$run,\"load1_before\":$LOAD1}"
    echo "$line" >>"$RESULTS"
    echo "  $line" >&2
}

for run in $(seq "$RUNS"); do
    for setup in $SETUPS; do
        one "$setup" direct --pairs "$PAIRS" --messages "$MESSAGES" --window "$WINDOW" --max-seconds "$MAX_SECONDS"
    done
    if [ "$LATENCY_RATE" != 0 ]; then
        for setup in $SETUPS; do
            one "$setup" latency --pairs "$LATENCY_PAIRS" --rate "$LATENCY_RATE" --warmup 3 --duration "$LATENCY_SECONDS"
        done
    fi
done

# The table: one row per run, in the order run.
f() { perf_field "$1" "$2"; }
echo
echo "direct: $PAIRS pairs x $MESSAGES messages, window $WINDOW (msgs/s; CPU in cores busy over the generator's run:"
echo "the ChatRoom processes, redis-server, haproxy, and their sum; the machine has $(nproc))"
printf '%-8s %3s %5s %9s %9s %8s %6s %6s %7s %6s %8s\n' setup run load steady overall complete nodes redis haproxy sum gen
while IFS= read -r l; do
    [ "$(f "$l" scenario)" = direct ] || continue
    printf '%-8s %3s %5s %9s %9s %8s %6s %6s %7s %6s %8s\n' "$(f "$l" setup)" "$(f "$l" run)" "$(f "$l" load1_before)" \
        "$(f "$l" rate_steady | cut -d. -f1)" "$(f "$l" rate_overall | cut -d. -f1)" "$(f "$l" complete)" \
        "$(f "$l" nodes_cpu_util)" "$(f "$l" redis_cpu_util)" "$(f "$l" haproxy_cpu_util)" "$(f "$l" cluster_cpu_util)" \
        "$(f "$l" gen_cpu_util)"
done <"$RESULTS"
if [ "$LATENCY_RATE" != 0 ]; then
    echo
    echo "latency: $LATENCY_PAIRS pairs at $LATENCY_RATE msgs/s for $LATENCY_SECONDS s (microseconds, send to receipt)"
    printf '%-8s %3s %5s %9s %8s %8s %8s %8s %6s %6s\n' setup run load achieved p50 p99 p999 complete nodes redis
    while IFS= read -r l; do
        [ "$(f "$l" scenario)" = latency ] || continue
        printf '%-8s %3s %5s %9s %8s %8s %8s %8s %6s %6s\n' "$(f "$l" setup)" "$(f "$l" run)" "$(f "$l" load1_before)" \
            "$(f "$l" achieved_rate | cut -d. -f1)" "$(f "$l" p50_us)" "$(f "$l" p99_us)" "$(f "$l" p999_us)" \
            "$(f "$l" complete)" "$(f "$l" nodes_cpu_util)" "$(f "$l" redis_cpu_util)"
    done <"$RESULTS"
fi
echo
echo "raw results: $RESULTS"
