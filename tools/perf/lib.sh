# Shared by tools/perf/sweep.sh and tools/perf/smoke.sh (sourced, not run): build the load generator, start and stop
# the ChatRoom server the way ../shared/loadgen/peers/run-peers.sh's chatroom peer does, read the generator's JSON.
# Callers set REPO (the ChatRoom checkout), WORK (scratch folder) and LOADGEN_DIR (the generator's sources).

perf_log() { echo "[$(date +%T)] $*" >&2; }

# perf_use_work DIR: creates WORK and makes it absolute. Never inside the repository: the build copies there would
# pick up the repository's Directory.Build.props, analyzers and .editorconfig, and the checkout stays clean.
perf_use_work() {
    WORK=$(realpath -m "$1")
    case "$WORK/" in
        "$REPO"/*) echo "error: WORK ($WORK) is inside the repository; choose a folder outside it" >&2; return 2 ;;
    esac
    mkdir -p "$WORK"
}

# Users the generator logs in as: s<tag>N and r<tag>N for N < count, all with one password.
PERF_PASSWORD=bench

perf_require_loadgen() {
    if [ ! -f "$LOADGEN_DIR/LoadGen.csproj" ]; then
        echo "error: no load generator at $LOADGEN_DIR (expected ../shared/loadgen beside the repository; set LOADGEN=<path>)" >&2
        return 1
    fi
}

# Builds the generator into $WORK/loadgen-bin from a copy (its folder may be read-only). The copy keeps the sources'
# times and the obj folder stays, so a second build in the same WORK is incremental. Sets LOADGEN_BIN.
perf_build_loadgen() {
    perf_require_loadgen || return 1
    local src="$WORK/loadgen-src"
    mkdir -p "$src"
    rm -rf "$src/src"
    cp -p "$LOADGEN_DIR/LoadGen.csproj" "$src/"
    cp -rp "$LOADGEN_DIR/src" "$src/"
    perf_log "building the load generator ($LOADGEN_DIR)"
    dotnet build -c Release -o "$WORK/loadgen-bin" "$src/LoadGen.csproj" -nologo -v q >"$WORK/loadgen-build.log" 2>&1 || {
        cat "$WORK/loadgen-build.log" >&2
        echo "error: the load generator did not build" >&2
        return 1
    }
    LOADGEN_BIN="$WORK/loadgen-bin/loadgen"
}

# perf_write_credentials FILE COUNT TAG...: s<tag>N and r<tag>N for every tag, N < COUNT.
perf_write_credentials() {
    local file=$1 count=$2 tag i
    shift 2
    for tag in "$@"; do
        for ((i = 0; i < count; i++)); do
            echo "s$tag$i $PERF_PASSWORD"
            echo "r$tag$i $PERF_PASSWORD"
        done
    done >"$file"
}

# perf_start_chatroom DLL CREDENTIALS: starts ChatRoom.ServerApp on a free port (port 0: the OS picks one, the
# server prints it) with a fresh SQLite data file, no heartbeat expiry (the generator sends none) and a 1 s lockout.
# Sets SERVER_PID, SERVER_PORT, SERVER_LOG, SERVER_DATA. Extra server options: SERVER_ARGS (split on spaces).
perf_start_chatroom() {
    local dll=$1 credentials=$2 i
    # shellcheck disable=SC2086 # SERVER_ARGS is a list of options
    SERVER_DATA=$(mktemp -d "$WORK/chatroom-data.XXXXXX")
    SERVER_LOG="$SERVER_DATA/server.log"
    dotnet "$dll" 0 --credentials "$credentials" --data "$SERVER_DATA/chatroom.db" --heartbeat-timeout 3600 \
        --block-time 1 ${SERVER_ARGS:-} >"$SERVER_LOG" 2>&1 </dev/null &
    SERVER_PID=$!
    SERVER_PORT=
    for ((i = 0; i < 300; i++)); do
        SERVER_PORT=$(sed -n 's/^ChatRoom server listening on [^ ]*:\([0-9][0-9]*\)[ ,].*/\1/p' "$SERVER_LOG" | head -n 1)
        [ -n "$SERVER_PORT" ] && return 0
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "error: the ChatRoom server did not report a listening port within 30 s; its log ($SERVER_LOG):" >&2
    tail -n 20 "$SERVER_LOG" >&2
    perf_stop_server || true
    return 1
}

# perf_stop_server: SIGTERM (the host shuts down gracefully), up to 15 s, then SIGKILL. Returns non-zero unless the
# server exited by itself with status 0. Removes the data folder unless PERF_KEEP_DATA=1.
perf_stop_server() {
    local pid=${SERVER_PID:-} status=0 i
    [ -n "$pid" ] || return 0
    SERVER_PID=
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "error: the server (pid $pid) did not stop within 15 s of SIGTERM; killed" >&2
        kill -KILL "$pid" 2>/dev/null || true
        status=1
    fi
    wait "$pid" 2>/dev/null || status=$?
    if [ "$status" -ne 0 ]; then
        echo "error: the server (pid $pid) exited with status $status; the end of its log ($SERVER_LOG):" >&2
        tail -n 20 "$SERVER_LOG" >&2
    fi
    if [ "${PERF_KEEP_DATA:-0}" != 1 ] && [ -n "${SERVER_DATA:-}" ]; then
        # The log is kept beside the results; the data file goes.
        cat "$SERVER_LOG" >>"$WORK/server.log" 2>/dev/null || true
        rm -rf "$SERVER_DATA"
    fi
    SERVER_DATA=
    return "$status"
}

# perf_field JSON NAME: a scalar field of the generator's one-line JSON (its writer emits no spaces), empty if absent.
perf_field() {
    sed -n "s/.*\"$2\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" <<<"$1" | tr -d '"'
}

# Waits (up to LOAD_WAIT seconds, checking every 5) until the 1-minute load average is under LOAD_MAX; leaves the last
# reading in LOAD1, so a run can record how quiet the box was.
wait_for_quiet() {
    local waited=0
    LOAD1=$(cut -d' ' -f1 /proc/loadavg)
    while awk -v l="$LOAD1" -v m="$LOAD_MAX" 'BEGIN { exit !(l >= m) }' && [ "$waited" -lt "$LOAD_WAIT" ]; do
        sleep 5
        waited=$((waited + 5))
        LOAD1=$(cut -d' ' -f1 /proc/loadavg)
    done
    [ "$waited" -lt "$LOAD_WAIT" ] || perf_log "warning: load average still $LOAD1 after $LOAD_WAIT s; running anyway"
}
