#!/usr/bin/env bash
# Latency sweep: the load generator's `latency` scenario at a list of offered loads against one server, one JSON line
# per point in $RESULTS (plot it with tools/perf/plot).
#   tools/perf/sweep.sh                                  ChatRoom from this checkout, published in Release
#   RATES="2000 20000" DURATION=5 tools/perf/sweep.sh    fewer, shorter points
#   SERVER=ngircd tools/perf/sweep.sh                    a peer (ngircd | inspircd | relay), started by
#                                                        ../shared/loadgen/peers/run-peers.sh start (once per sweep)
# ChatRoom gets a fresh server process and SQLite data file per point, started as run-peers.sh's chatroom peer is
# (credentials for the generator's users, --heartbeat-timeout 3600 --block-time 1), on a port the OS picks, and is
# stopped with SIGTERM after each point; a server that does not exit cleanly is flagged in its line.
# Env: WORK=<scratch folder, default a new temp dir; never inside the repository>  LOADGEN=<generator sources,
#      default ../shared/loadgen beside the repository>  RESULTS=$WORK/sweep.jsonl  LABEL=<series name, default the
#      server's name>  RATES="2000 5000 10000 20000 50000 100000"  PAIRS=200 WARMUP=3 DURATION=10 SIZE=64 RUNS=1
#      MAX_INFLIGHT=<generator's --max-inflight, default its own>  RUN_LIMIT=180 (s a point may take beyond
#      warm-up + window, draining included, before it is cut)  LOAD_MAX=0.6 LOAD_WAIT=60 (before each point wait up
#      to LOAD_WAIT s for the 1-minute load average to drop below LOAD_MAX; recorded as load1_before)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd -P)
# shellcheck source=tools/perf/lib.sh
. "$HERE/lib.sh"

LOADGEN_DIR=${LOADGEN:-$REPO/../shared/loadgen}
perf_use_work "${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/chatroom-sweep.XXXXXX")}" || exit 2
SERVER=${SERVER:-chatroom}
LABEL=${LABEL:-$SERVER}
RATES=${RATES:-"2000 5000 10000 20000 50000 100000"}
PAIRS=${PAIRS:-200}
WARMUP=${WARMUP:-3}
DURATION=${DURATION:-10}
SIZE=${SIZE:-64}
RUNS=${RUNS:-1}
RUN_LIMIT=${RUN_LIMIT:-180}
LOAD_MAX=${LOAD_MAX:-0.6}
LOAD_WAIT=${LOAD_WAIT:-60}
RESULTS=${RESULTS:-$WORK/sweep.jsonl}
TAG=sw

case $SERVER in
    chatroom) PROTO=chatroom ;;
    relay) PROTO=relay ;;
    ngircd | inspircd) PROTO=irc ;;
    *) echo "error: SERVER must be chatroom, ngircd, inspircd or relay (was '$SERVER')" >&2; exit 2 ;;
esac

# ChatRoom: a copy of the working tree (no .git, build outputs or data files) published in Release to
# $WORK/chatroom-bin, so the checkout gets no build outputs and later edits do not leak into a running sweep.
build_chatroom() {
    rm -rf "$WORK/chatroom-src" "$WORK/chatroom-bin"
    mkdir -p "$WORK/chatroom-src"
    tar -C "$REPO" --exclude=./.git --exclude=bin --exclude=obj --exclude=artifacts --exclude=TestResults \
        --exclude='*.db' --exclude='*.db-*' -cf - . | tar -C "$WORK/chatroom-src" -xf -
    perf_log "publishing ChatRoom.ServerApp (Release) from a copy of $REPO"
    dotnet publish "$WORK/chatroom-src/src/ChatRoom.ServerApp/ChatRoom.ServerApp.csproj" -c Release \
        -o "$WORK/chatroom-bin" -nologo -v q >"$WORK/chatroom-build.log" 2>&1 || {
        cat "$WORK/chatroom-build.log" >&2
        echo "error: ChatRoom.ServerApp did not publish" >&2
        exit 1
    }
    VERSION=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$REPO" status --porcelain 2>/dev/null)" ]; then VERSION="$VERSION+dirty"; fi
    perf_write_credentials "$WORK/credentials.txt" "$PAIRS" "$TAG"
}

# Peers: run-peers.sh builds its own copy of the generator and the relay into $WORK/peers and starts the peer
# detached, printing "PID PORT". The IRC servers and the relay keep nothing between runs, so one process serves
# the whole sweep.
start_peer() {
    local out
    perf_log "starting $SERVER with $LOADGEN_DIR/peers/run-peers.sh start $SERVER"
    out=$(WORK="$WORK/peers" "$LOADGEN_DIR/peers/run-peers.sh" start "$SERVER" 2>>"$WORK/peers.log" | tail -n 1) || {
        tail -n 20 "$WORK/peers.log" >&2
        echo "error: run-peers.sh could not start $SERVER" >&2
        exit 1
    }
    read -r PEER_PID SERVER_PORT <<<"$out"
    SERVER_PID=$PEER_PID
    VERSION=$(dpkg-query -W -f='${Version}' "$SERVER" 2>/dev/null || echo "$SERVER")
}

# Not our child (run-peers.sh detached it): poll until it is gone or a zombie waiting for its reaper.
stop_peer() {
    local i state
    [ -n "${PEER_PID:-}" ] || return 0
    kill -TERM "$PEER_PID" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        state=$(awk '{ print $3 }' "/proc/$PEER_PID/stat" 2>/dev/null || echo gone)
        [ "$state" = gone ] || [ "$state" = Z ] && break
        sleep 0.1
    done
    kill -KILL "$PEER_PID" 2>/dev/null || true
    PEER_PID=
}

cleanup() {
    if [ "$SERVER" = chatroom ]; then perf_stop_server >/dev/null 2>&1 || true; else stop_peer; fi
}
trap cleanup EXIT

perf_build_loadgen
if [ "$SERVER" = chatroom ]; then build_chatroom; else start_peer; fi

printf '{"meta":"env","date":"%s","kernel":"%s","nproc":%s,"mem_kib":%s,"dotnet":"%s","server":"%s","label":"%s","version":"%s","rates":"%s","pairs":%s,"warmup_s":%s,"duration_s":%s,"runs":%s}\n' \
    "$(date -Is)" "$(uname -r)" "$(nproc)" "$(awk '/MemTotal/{print $2}' /proc/meminfo)" "$(dotnet --version)" \
    "$SERVER" "$LABEL" "$VERSION" "$RATES" "$PAIRS" "$WARMUP" "$DURATION" "$RUNS" >>"$RESULTS"

extra=()
[ -n "${MAX_INFLIGHT:-}" ] && extra+=(--max-inflight "$MAX_INFLIGHT")
[ "$SERVER" = chatroom ] && extra+=(--tag "$TAG" --password "$PERF_PASSWORD")
for run in $(seq "$RUNS"); do
    for rate in $RATES; do
        wait_for_quiet
        stopped=true
        [ "$SERVER" = chatroom ] && perf_start_chatroom "$WORK/chatroom-bin/ChatRoom.ServerApp.dll" "$WORK/credentials.txt"
        perf_log "run $run/$RUNS: latency at $rate msgs/s against $LABEL (pid $SERVER_PID, port $SERVER_PORT, load $LOAD1)"
        line=$(timeout "$((WARMUP + DURATION + RUN_LIMIT))" "$LOADGEN_BIN" latency --proto "$PROTO" --port "$SERVER_PORT" \
            --pid "$SERVER_PID" --label "$LABEL" --pairs "$PAIRS" --rate "$rate" --warmup "$WARMUP" \
            --duration "$DURATION" --size "$SIZE" "${extra[@]}" 2>>"$WORK/loadgen.log") || true
        if [ "$SERVER" = chatroom ]; then perf_stop_server || stopped=false; fi
        if [ -z "$line" ]; then
            line="{\"scenario\":\"latency\",\"server\":\"$LABEL\",\"offered_rate\":$rate,\"complete\":false,\"error\":\"no result (generator failed or ran over $((WARMUP + DURATION + RUN_LIMIT)) s)\"}"
        fi
        [ "$SERVER" = chatroom ] && line="${line%\}},\"server_stopped_cleanly\":$stopped}"
        line="${line%\}},\"version\":\"$VERSION\",\"load1_before\":$LOAD1}"
        echo "$line" >>"$RESULTS"
        printf '  offered %8s  achieved %8s  p50 %10s us  p99 %10s us  complete %s\n' "$rate" \
            "$(perf_field "$line" achieved_rate)" "$(perf_field "$line" p50_us)" "$(perf_field "$line" p99_us)" \
            "$(perf_field "$line" complete)" >&2
    done
done
perf_log "results: $RESULTS (logs and builds in $WORK)"
echo "$RESULTS"
