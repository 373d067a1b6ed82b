#!/usr/bin/env bash
# A ChatRoom cluster on localhost: its own redis-server, NODES ChatRoom.ServerApp nodes sharing it (--redis, distinct
# --node-id, each on its own free port) and haproxy in front (mode tcp, balance roundrobin), so clients see one port.
#   tools/cluster/run.sh                      start everything, print the addresses, keep running until Ctrl-C
#   tools/cluster/run.sh load SCENARIO ARGS   run one load-generator scenario through haproxy, print its JSON line
#                                             (with the cluster's CPU added), then stop everything
#   tools/cluster/run.sh build                only install (redis-server, haproxy), publish the server, build the generator
# e.g. tools/cluster/run.sh load direct --pairs 100 --messages 2000 --window 32
# Everything (published server, generator build, Redis data, logs) lives under WORK, outside the repository; the
# Redis and node data are removed on exit, logs stay in WORK/last-run.
# Env: NODES=3 (NODES=1: one node, still through haproxy)
#      SQLITE=1 (instead: the single-node server on its SQLite file, no Redis, no haproxy; the comparison point)
#      LOADGEN=<generator sources, default ../shared/loadgen beside the repository>
#      WORK=<scratch folder outside the repository, default /tmp/chatroom-cluster-<checksum of the checkout's path>>
#      USERS=1000 (s<tag>N and r<tag>N for N < USERS are in the credentials file; tag "cl" unless --tag is given)
#      SKIP_BUILD=1 (reuse WORK's published server and generator), SERVER_ARGS=<more options for every node>
# Fields added to the JSON line, measured from /proc over the whole generator run (logins included), in cores busy:
#   nodes_cpu_util (all ChatRoom processes), redis_cpu_util, haproxy_cpu_util, cluster_cpu_util (their sum),
#   gen_wall_s (the generator's run time), nodes, store.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd -P)
# shellcheck source=tools/perf/lib.sh
. "$HERE/../perf/lib.sh"

LOADGEN_DIR=${LOADGEN:-$REPO/../shared/loadgen}
NODES=${NODES:-3}
SQLITE=${SQLITE:-0}
USERS=${USERS:-1000}
perf_use_work "${WORK:-${TMPDIR:-/tmp}/chatroom-cluster-$(cksum <<<"$REPO" | cut -d' ' -f1)}" || exit 2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

case ${1:-run} in
    run | load | build) MODE=${1:-run} ;;
    *) echo "usage: $0 [run | build | load SCENARIO [loadgen options...]]" >&2; exit 2 ;;
esac
[ $# -gt 0 ] && shift
[[ "$NODES" =~ ^[1-9][0-9]?$ ]] || { echo "error: NODES must be from 1 to 99 (was $NODES)" >&2; exit 2; }

# Installs Debian's haproxy when it is missing (root, or sudo), without letting the package start its service.
install_haproxy() {
    command -v haproxy >/dev/null && return 0
    perf_log "haproxy not found: installing Debian's haproxy"
    local sudo="" policy=/usr/sbin/policy-rc.d own_policy=0
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod 755 "$policy"
        own_policy=1
    fi
    local status=0
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends haproxy >/dev/null; } || status=$?
    [ "$own_policy" = 1 ] && $sudo rm -f "$policy"
    [ "$status" -eq 0 ] && command -v haproxy >/dev/null || { echo "error: haproxy could not be installed" >&2; return 1; }
}

# A TCP port nobody listens on now (checked by connecting; a race with another program is possible but harmless here:
# the process that then fails to bind says so and the script stops).
free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "error: no free port found" >&2
    return 1
}

# CPU ticks (user + system) a process has used so far; 0 once it is gone.
ticks_of() {
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Everything this script started, stopped on any exit (SIGTERM, then SIGKILL after 15 s); the run folder is removed.
PIDS=()
RUN=
REDIS_PID=
stop_pid() { kill -TERM "$1" 2>/dev/null || true; }
wait_pid() {
    for _ in $(seq 150); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    local status=$? pid
    trap - EXIT INT TERM
    # haproxy and the nodes first (a node deletes its lease in Redis as it stops), Redis last.
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "${REDIS_PID:-}" ] || stop_pid "$pid"
    done
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "${REDIS_PID:-}" ] || wait_pid "$pid"
    done
    if [ -n "${REDIS_PID:-}" ]; then
        stop_pid "$REDIS_PID"
        wait_pid "$REDIS_PID"
    fi
    if [ -n "$RUN" ]; then
        # Logs are kept to read after the run; data (Redis files, SQLite file) goes.
        rm -rf "$WORK/last-run"
        mkdir -p "$WORK/last-run"
        cp "$RUN"/*.log "$RUN"/*.cfg "$WORK/last-run/" 2>/dev/null || true
        rm -rf "$RUN"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$WORK/server-bin/ChatRoom.ServerApp.dll" ]; then
    [ "$SQLITE" = 1 ] && [ "$MODE" != build ] || { "$REPO/tools/redis/install.sh"; install_haproxy; }
    perf_log "publishing ChatRoom.ServerApp (Release) to $WORK/server-bin"
    dotnet publish "$REPO/src/ChatRoom.ServerApp/ChatRoom.ServerApp.csproj" -c Release -o "$WORK/server-bin" -nologo -v q \
        >"$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log" >&2; echo "error: the server did not publish" >&2; exit 1; }
fi
if [ "$MODE" != run ]; then
    if [ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$WORK/loadgen-bin/loadgen" ]; then
        LOADGEN_BIN="$WORK/loadgen-bin/loadgen"
    else
        perf_build_loadgen
    fi
fi
[ "$MODE" != build ] || exit 0
if [ "$SQLITE" != 1 ]; then
    command -v redis-server >/dev/null && command -v haproxy >/dev/null \
        || { echo "error: redis-server and haproxy are needed (run without SKIP_BUILD=1 to install them)" >&2; exit 1; }
fi
if [ "$(ulimit -n)" -lt 20000 ]; then
    ulimit -n 20000 2>/dev/null || perf_log "warning: ulimit -n is $(ulimit -n); many connections may fail"
fi

RUN=$(mktemp -d "$WORK/run.XXXXXX")
# The users: tag "cl" and any --tag the generator is given.
tags="cl"
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    [ "${args[$i]}" = --tag ] && tags="$tags ${args[$((i + 1))]}"
done
# shellcheck disable=SC2086 # tags is a list
perf_write_credentials "$RUN/credentials.txt" "$USERS" $tags

# start_node NAME ARGS...: one ServerApp on a free port (port 0: it prints the one it got), started in the background;
# node_port NAME waits for the port it reports. Appends to PIDS and NODE_PIDS / NODE_PORTS.
NODE_PIDS=()
NODE_PORTS=()
start_node() {
    local name=$1
    shift
    # shellcheck disable=SC2086 # SERVER_ARGS is a list of options
    dotnet "$WORK/server-bin/ChatRoom.ServerApp.dll" 0 --credentials "$RUN/credentials.txt" --heartbeat-timeout 3600 \
        --block-time 1 "$@" ${SERVER_ARGS:-} >"$RUN/$name.log" 2>&1 </dev/null &
    PIDS+=("$!")
    NODE_PIDS+=("$!")
}
node_port() {
    local name=$1 pid=$2 log="$RUN/$1.log" port=
    for _ in $(seq 600); do
        port=$(sed -n 's/^ChatRoom server listening on [^ ]*:\([0-9][0-9]*\)[ ,].*/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "error: $name did not report a listening port within 60 s; its log ($log):" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    NODE_PORTS+=("$port")
}

# wait_port PORT WHAT: until something accepts on 127.0.0.1:PORT (30 s).
wait_port() {
    for _ in $(seq 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "error: $2 does not accept connections on port $1" >&2
    exit 1
}

HAPROXY_PID=
if [ "$SQLITE" = 1 ]; then
    NODES=1
    start_node sqlite --data "$RUN/chatroom.db"
    node_port sqlite "${NODE_PIDS[0]}"
    PORT=${NODE_PORTS[0]}
    STORE=sqlite
    perf_log "single-node server (SQLite $RUN/chatroom.db) on 127.0.0.1:$PORT"
else
    STORE=redis
    REDIS_PORT=$(free_port)
    mkdir -p "$RUN/redis"
    # Every write fsynced before its reply (appendfsync always), no RDB snapshots: the settings the docs recommend.
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN/redis" --appendonly yes --appendfsync always \
        --save "" --daemonize no --logfile "$RUN/redis.log" </dev/null >/dev/null 2>&1 &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    for _ in $(seq 100); do
        [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || { echo "error: redis-server did not start:" >&2; tail "$RUN/redis.log" >&2; exit 1; }
    perf_log "redis-server on 127.0.0.1:$REDIS_PORT (appendonly yes, appendfsync always) in $RUN/redis"
    # Started together (each takes seconds to start on a busy box), then their ports collected in order.
    for n in $(seq "$NODES"); do
        start_node "node$n" --redis "127.0.0.1:$REDIS_PORT" --node-id "node$n"
    done
    for n in $(seq "$NODES"); do
        node_port "node$n" "${NODE_PIDS[$((n - 1))]}"
        perf_log "node$n on 127.0.0.1:${NODE_PORTS[$((n - 1))]} (pid ${NODE_PIDS[$((n - 1))]})"
    done
    PORT=$(free_port)
    # haproxy needs two descriptors per connection (client and node side) and refuses to start above its limit.
    maxconn=$((($(ulimit -n) - 200) / 2))
    {
        echo "global"
        echo "    maxconn $maxconn"
        echo "defaults"
        echo "    mode tcp"
        echo "    timeout connect 5s"
        # The generator's clients are silent for long stretches (no heartbeats); a node's heartbeat timeout decides.
        echo "    timeout client 1h"
        echo "    timeout server 1h"
        echo "frontend chatroom"
        echo "    bind 127.0.0.1:$PORT"
        echo "    maxconn $maxconn"
        echo "    default_backend nodes"
        echo "backend nodes"
        echo "    balance roundrobin"
        for n in $(seq "$NODES"); do
            echo "    server node$n 127.0.0.1:${NODE_PORTS[$((n - 1))]} check inter 2s"
        done
    } >"$RUN/haproxy.cfg"
    haproxy -f "$RUN/haproxy.cfg" -db >"$RUN/haproxy.log" 2>&1 </dev/null &
    HAPROXY_PID=$!
    PIDS+=("$HAPROXY_PID")
    wait_port "$PORT" haproxy
    perf_log "haproxy (mode tcp, roundrobin over $NODES node(s)) on 127.0.0.1:$PORT"
fi
for p in "${NODE_PORTS[@]}"; do
    wait_port "$p" "a node"
done

if [ "$MODE" = run ]; then
    echo "ChatRoom cluster ready: connect to 127.0.0.1:$PORT (users s<tag>N/r<tag>N, tag cl, N < $USERS, password $PERF_PASSWORD); logs in $RUN. Ctrl-C stops it."
    # Until Ctrl-C, or until any of the processes exits by itself.
    wait -n "${PIDS[@]}" || true
    perf_log "a process of the cluster exited; stopping the rest"
    exit 1
fi

[ $# -gt 0 ] || { echo "error: load needs a scenario (direct, latency, broadcast)" >&2; exit 2; }
scenario=$1
shift
has_tag=0
for a in "$@"; do [ "$a" = --tag ] && has_tag=1; done
extra=()
[ "$has_tag" = 1 ] || extra+=(--tag cl)

cpu_before=()
for pid in "${NODE_PIDS[@]}" ${REDIS_PID:+"$REDIS_PID"} ${HAPROXY_PID:+"$HAPROXY_PID"}; do
    cpu_before+=("$(ticks_of "$pid")")
done
start_ns=$(date +%s%N)
perf_log "loadgen $scenario $* (through 127.0.0.1:$PORT)"
line=$("$LOADGEN_BIN" "$scenario" --proto chatroom --host 127.0.0.1 --port "$PORT" --pid "${NODE_PIDS[0]}" \
    --label "$STORE-$NODES" --password "$PERF_PASSWORD" "${extra[@]}" "$@" 2>>"$RUN/loadgen.log" </dev/null) || true
end_ns=$(date +%s%N)
[ -n "$line" ] || line="{\"scenario\":\"$scenario\",\"server\":\"$STORE-$NODES\",\"complete\":false,\"error\":\"no output (see $WORK/last-run/loadgen.log)\"}"

# What Redis did for the run (calls per command, inside scripts too), kept with the logs.
if [ -n "$REDIS_PID" ]; then
    redis-cli -p "$REDIS_PORT" info commandstats >"$RUN/redis-commandstats.log" 2>&1 || true
fi

# Cores busy = ticks used / (ticks per second * wall seconds).
hz=$(getconf CLK_TCK)
wall=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
util() { awk -v t="$1" -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.3f", t / hz / w }'; }
i=0
nodes_ticks=0
for pid in "${NODE_PIDS[@]}"; do
    nodes_ticks=$((nodes_ticks + $(ticks_of "$pid") - cpu_before[i]))
    i=$((i + 1))
done
redis_ticks=0
haproxy_ticks=0
if [ -n "$REDIS_PID" ]; then
    redis_ticks=$(($(ticks_of "$REDIS_PID") - cpu_before[i]))
    haproxy_ticks=$(($(ticks_of "$HAPROXY_PID") - cpu_before[i + 1]))
fi
line="${line%\}},\"store\":\"$STORE\",\"nodes\":$NODES,\"gen_wall_s\":$wall,\"nodes_cpu_util\":$(util "$nodes_ticks"),\"redis_cpu_util\":$(util "$redis_ticks"),\"haproxy_cpu_util\":$(util "$haproxy_ticks"),\"cluster_cpu_util\":$(util $((nodes_ticks + redis_ticks + haproxy_ticks)))}"
echo "$line"
