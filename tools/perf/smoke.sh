#!/usr/bin/env bash
# Load smoke (run by .ci/run): a short load through the real server app with the load generator, so the message path
# under load never rots. One ChatRoom.ServerApp (Release build of this checkout, fresh SQLite data file), then:
#   direct:  PAIRS sender->receiver pairs, MESSAGES each, window 32: every message delivered, in order, no disconnect;
#   latency: PAIRS pairs at RATE msgs/s for 3 s after 1 s of warm-up: every in-window message delivered, none skipped;
# and the server stops cleanly on SIGTERM. Exits non-zero with the reason on the first bad result.
# Env: LOADGEN=<generator sources, default ../shared/loadgen beside the repository>
#      WORK=<scratch folder outside the repository, default /tmp/chatroom-perf-smoke-<checksum of the checkout's path>>
#      PAIRS=20 MESSAGES=250 RATE=2000 SERVER_ARGS=<more server options, e.g. "--max-mailbox-messages 100000">
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd -P)
# shellcheck source=tools/perf/lib.sh
. "$HERE/lib.sh"

LOADGEN_DIR=${LOADGEN:-$REPO/../shared/loadgen}
PAIRS=${PAIRS:-20}
MESSAGES=${MESSAGES:-250}
RATE=${RATE:-2000}
# One scratch folder per checkout, kept between runs (the generator's build is then incremental; logs stay to read).
perf_use_work "${WORK:-${TMPDIR:-/tmp}/chatroom-perf-smoke-$(cksum <<<"$REPO" | cut -d' ' -f1)}" || exit 2
rm -f "$WORK/server.log" "$WORK/loadgen.log" "$WORK/results.jsonl"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fail() {
    echo "load smoke FAILED: $*" >&2
    exit 1
}
trap 'perf_stop_server >/dev/null 2>&1 || true' EXIT

perf_require_loadgen || fail "no load generator"
started=$(date +%s)
perf_build_loadgen || fail "the load generator did not build"
# The server as CI builds it (incremental after .ci/run's solution build).
perf_log "building ChatRoom.ServerApp (Release)"
dotnet build "$REPO/src/ChatRoom.ServerApp/ChatRoom.ServerApp.csproj" -c Release -nologo -v q >"$WORK/server-build.log" 2>&1 || {
    cat "$WORK/server-build.log" >&2
    fail "ChatRoom.ServerApp did not build"
}
dll="$REPO/src/ChatRoom.ServerApp/bin/Release/net10.0/ChatRoom.ServerApp.dll"
[ -f "$dll" ] || fail "no $dll after the build"
perf_write_credentials "$WORK/credentials.txt" "$PAIRS" sd sl
perf_start_chatroom "$dll" "$WORK/credentials.txt" || fail "the server did not start"
loaded=$(date +%s)

# run NAME ARGS...: one generator run against the server, its JSON line in $line (and results.jsonl).
run() {
    local name=$1
    shift
    perf_log "$name: loadgen $*"
    line=$(timeout 60 "$LOADGEN_BIN" "$@" --proto chatroom --port "$SERVER_PORT" --pid "$SERVER_PID" --label smoke \
        --password "$PERF_PASSWORD" --stall 10 2>>"$WORK/loadgen.log" </dev/null) || true
    [ -n "$line" ] || fail "$name: the generator printed no result (see $WORK/loadgen.log)"
    echo "$line" >>"$WORK/results.jsonl"
    echo "  $line" >&2
}

# expect NAME FIELD VALUE: the run's field has exactly that value.
expect() {
    local actual
    actual=$(perf_field "$line" "$2")
    [ "$actual" = "$3" ] || fail "$1: $2 is '${actual}', expected $3 (result: $line)"
}

run direct direct --tag sd --pairs "$PAIRS" --messages "$MESSAGES" --window 32 --max-seconds 30
expect direct complete true
expect direct delivered "$((PAIRS * MESSAGES))"
expect direct out_of_order 0
expect direct disconnects 0

run latency latency --tag sl --pairs "$PAIRS" --rate "$RATE" --warmup 1 --duration 3
expect latency complete true
expect latency skipped_backlog 0
expect latency disconnects 0
[ "$(perf_field "$line" received_in_window)" -gt 0 ] 2>/dev/null || fail "latency: no message received in the window ($line)"

perf_stop_server || fail "the server did not stop cleanly on SIGTERM"
echo "load smoke passed: $((PAIRS * MESSAGES)) direct messages in order, latency at $RATE msgs/s complete" \
    "(p99 $(perf_field "$line" p99_us) us on a shared box); load $(($(date +%s) - loaded)) s, builds $((loaded - started)) s"
