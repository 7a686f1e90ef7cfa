#!/usr/bin/env bash
# bench/run.sh - the ingest and delivery benchmarks, end to end, on 127.0.0.1
# only: builds build/bench/{receiver,ingest,deliver} with cc + pkg-config,
# starts the receiver, then for each phase a fresh `build/evbridge serve`
# (or moto_server for the side-by-side reference), runs the phase with a
# bounded duration, stops the server and prints a summary table.
#
#   bash bench/run.sh                 (also run by `make bench`)
#   BENCH_SECONDS=10 BENCH_CONNS=32 MOTO_CONNS=1 BENCH_SKIP_MOTO=1 bash bench/run.sh
#   BENCH_ONLY="ingest drain"         (any of: ingest rules10k moto-ingest drain sustained latency
#                                      isolation isolation-drain moto-deliver)
#   BENCH_PERF=drain                  (perf record of the server during that phase, call graphs
#                                      by DWARF, into build/bench/perf-<phase>.data)
#   BENCH_KEEP=1                      (keep the data directories in /tmp/evbridge-bench.*)
#   BENCH_ISOLATION_PAIRS=3           (drain and isolation-drain are alternated this many times
#                                      and compared by their medians)
#
# Every wait has a timeout; a watchdog ends the whole run after BENCH_MAX_SECONDS (default
# 600); every process it started is stopped on exit.
set -uo pipefail
cd "$(dirname "$0")/.."

SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-32}
MOTO_CONNS=${MOTO_CONNS:-1}
MOTO_SECS=${MOTO_SECONDS:-8}
FILL=${BENCH_FILL_SECONDS:-5}
RATE=${BENCH_RATE:-20000}
MAX_RUN=${BENCH_MAX_SECONDS:-600}
PAIRS=${BENCH_ISOLATION_PAIRS:-3}
ONLY=${BENCH_ONLY:-ingest rules10k moto-ingest drain sustained latency isolation isolation-drain moto-deliver}
PERF_PHASE=${BENCH_PERF:-}
OUT=build/bench
BIN=build/evbridge

mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/evbridge-bench.XXXXXX)
RESULTS="$OUT/results.txt"
: > "$RESULTS"
export BENCH_RESULTS="$PWD/$RESULTS"
PIDS=()
WATCHDOG=

log() { printf '%s\n' "$*" >&2; }

stop_pid() { # stop_pid PID: TERM, up to 5 s, then KILL
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    local p
    trap - EXIT INT TERM
    [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    if [ -n "${BENCH_KEEP:-}" ]; then log "bench: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'log "bench: interrupted"; exit 130' INT TERM

# The watchdog: a run never outlives MAX_RUN seconds.
(
    trap 'kill "$sp" 2>/dev/null; exit 0' TERM
    sleep "$MAX_RUN" &
    sp=$!
    wait "$sp"
    log "bench: watchdog: ${MAX_RUN}s passed, stopping"
    kill -TERM $$
) &
WATCHDOG=$!

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # wait_port PORT SECONDS
    local i n=$(( ${2:-10} * 10 ))
    for i in $(seq "$n"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---- build ----
if [ ! -x "$BIN" ]; then
    log "bench: building $BIN"
    timeout 600 make -s all >&2 || { log "bench: make failed"; exit 1; }
fi
# Snapshot the binary: a rebuild in the work tree during the run must not change it.
cp "$BIN" "$TMP/evbridge" || exit 1
BIN="$TMP/evbridge"
log "bench: evbridge $("$BIN" version 2>/dev/null | head -1), git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet -- src 2>/dev/null || echo '+uncommitted src changes')"
CFLAGS_B="-O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes \
-Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral -Werror"
for t in receiver ingest deliver; do
    # shellcheck disable=SC2046,SC2086
    ${CC:-cc} $CFLAGS_B $(pkg-config --cflags openssl) -o "$OUT/$t" "bench/$t.c" bench/bench.c \
        $(pkg-config --libs openssl) || { log "bench: cannot build $t"; exit 1; }
done

# ---- the receiver ----
"$OUT/receiver" --shm "$TMP/shm" --cap $((16 << 20)) --ports-file "$TMP/ports" \
    --max-seconds "$MAX_RUN" 2> "$OUT/receiver.log" &
RECV=$!
PIDS+=("$RECV")
for i in $(seq 50); do [ -s "$TMP/ports" ] && break; sleep 0.1; done
read -r RPORT DPORT < "$TMP/ports" || { log "bench: the receiver did not start"; exit 1; }
log "bench: receiver on 127.0.0.1:$RPORT (answers), 127.0.0.1:$DPORT (never answers)"

SERVER=
SERVER_PORT=
PERF_PID=
start_evbridge() { # start_evbridge NAME
    SERVER_PORT=$(free_port)
    env ${BENCH_SERVER_ENV:-} "$BIN" serve --listen "127.0.0.1:$SERVER_PORT" --data-dir "$TMP/data-$1" \
        --allow-http-endpoints --log-level warn ${EXTRA_SERVE_ARGS:-} > "$OUT/server-$1.log" 2>&1 &
    SERVER=$!
    PIDS+=("$SERVER")
    wait_port "$SERVER_PORT" 10 || { log "bench: evbridge did not start (see $OUT/server-$1.log)"; return 1; }
    if [ "$PERF_PHASE" = "$1" ] && command -v perf > /dev/null; then
        perf record -F "${BENCH_PERF_FREQ:-199}" --call-graph "${BENCH_PERF_CG:-dwarf,8192}" \
            -o "$OUT/perf-$1.data" -p "$SERVER" -- sleep 25 > /dev/null 2>&1 &
        PERF_PID=$!
        PIDS+=("$PERF_PID")
    fi
}
start_moto() { # start_moto NAME [ENV=VALUE...]
    local name=$1
    shift
    SERVER_PORT=$(free_port)
    env "$@" moto_server -H 127.0.0.1 -p "$SERVER_PORT" > "$OUT/server-$name.log" 2>&1 &
    SERVER=$!
    PIDS+=("$SERVER")
    wait_port "$SERVER_PORT" 20 || { log "bench: moto_server did not start"; return 1; }
}
stop_server() {
    if [ -n "$PERF_PID" ]; then
        kill -INT "$PERF_PID" 2>/dev/null
        for i in $(seq 50); do kill -0 "$PERF_PID" 2>/dev/null || break; sleep 0.1; done
        stop_pid "$PERF_PID"
        PERF_PID=
    fi
    [ -n "$SERVER" ] && stop_pid "$SERVER"
    SERVER=
}
bounded() { # bounded SECONDS CMD...: in the background, so the watchdog's TERM is seen at once
    local secs=$1 p
    shift
    timeout -k 5 "$secs" "$@" &
    p=$!
    PIDS+=("$p")
    wait "$p"
}
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
have_moto() { [ -z "${BENCH_SKIP_MOTO:-}" ] && command -v moto_server > /dev/null; }

# ---- 1. ingest ----
if want ingest; then
    log "bench: == ingest (evbridge)"
    if start_evbridge ingest; then
        bounded 60 "$OUT/ingest" --endpoint "http://127.0.0.1:$SERVER_PORT" \
            --receiver-port "$RPORT" --pid "$SERVER" -c "$CONNS" -d "$SECS" \
            --label evbridge --shm "$TMP/shm"
    fi
    stop_server
fi
# ---- 1b. 10,000 rules on one bus (100 API destinations): memory and ingest ----
if want rules10k; then
    log "bench: == ingest with 10,000 rules (evbridge --max-rules-per-bus 10000)"
    EXTRA_SERVE_ARGS="--max-rules-per-bus 10000"
    if start_evbridge rules10k; then
        bounded 600 "$OUT/ingest" --endpoint "http://127.0.0.1:$SERVER_PORT" \
            --receiver-port "$RPORT" --pid "$SERVER" -c "$CONNS" -d "$SECS" \
            --rules 10000 --dests 100 --label rules10k --shm "$TMP/shm"
    fi
    EXTRA_SERVE_ARGS=
    stop_server
fi
if want moto-ingest && have_moto; then
    log "bench: == ingest (moto_server, PutEvents only: MOTO_EVENTS_INVOKE_HTTP unset)"
    if start_moto moto-ingest; then
        bounded 60 "$OUT/ingest" --endpoint "http://127.0.0.1:$SERVER_PORT" \
            --receiver-port "$RPORT" --pid "$SERVER" -c "$MOTO_CONNS" -d "$SECS" --label moto
    fi
    stop_server
fi

# ---- 2. delivery: each phase on a fresh server and data directory ----
get() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$RESULTS"; }
base=0
run_deliver() { # run_deliver PHASE [NAME]: NAME (default PHASE) names the data directory and log
    base=$((base + 1000000))
    log "bench: == deliver: $1 (evbridge)"
    if start_evbridge "${2:-$1}"; then
        bounded 60 "$OUT/deliver" --endpoint "http://127.0.0.1:$SERVER_PORT" \
            --shm "$TMP/shm" --healthy-port "$RPORT" --dead-port "$DPORT" --pid "$SERVER" \
            --phases "$1" -d "$SECS" --fill "$FILL" --rate "$RATE" --seq-base "$base"
    fi
    stop_server
    # Attempts that did not succeed (a phase that does not drain says why here).
    if [ -d "$TMP/data-${2:-$1}" ]; then
        "$BIN" deliveries --data-dir "$TMP/data-${2:-$1}" --failed --limit 50 \
            > "$OUT/failed-${2:-$1}.txt" 2>&1 || true
        grep -q "(no deliveries)" "$OUT/failed-${2:-$1}.txt" ||
            log "bench: $1: attempts that failed, newest first: $OUT/failed-${2:-$1}.txt"
    fi
}
# The drains with and without a dead endpoint are separate server runs, each 10% up or
# down from run to run on this machine: they are alternated PAIRS times and compared by
# their medians (one pair alone gave 86% to 113%).
DRAINS=()
ISOS=()
if want drain && want isolation-drain; then
    for i in $(seq "$PAIRS"); do
        n=""
        [ "$i" -gt 1 ] && n="-$i"
        run_deliver drain "drain$n"
        DRAINS+=("$(get evbridge.drain_deliveries_s)")
        run_deliver isolation-drain "isolation-drain$n"
        ISOS+=("$(get evbridge.isolation_drain_deliveries_s)")
    done
else
    for phase in drain isolation-drain; do want "$phase" && run_deliver "$phase"; done
fi
for phase in sustained latency isolation; do
    want "$phase" && run_deliver "$phase"
done
if want moto-deliver && have_moto; then
    log "bench: == deliver (moto_server with MOTO_EVENTS_INVOKE_HTTP=true)"
    if start_moto moto-deliver MOTO_EVENTS_INVOKE_HTTP=true; then
        bounded 60 "$OUT/deliver" --endpoint "http://127.0.0.1:$SERVER_PORT" \
            --shm "$TMP/shm" --healthy-port "$RPORT" --dead-port "$DPORT" --pid "$SERVER" \
            --phases sustained,latency,isolation -d "$MOTO_SECS" --rate "$RATE" \
            -c "$MOTO_CONNS" --label moto --counts-only
    fi
    stop_server
fi

# ---- summary ----
stop_pid "$RECV"
median() { printf '%s\n' "$@" | grep -v '^-$' | sort -n | awk '{ a[NR] = $1 } END {
    if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2];
    else printf "%.0f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-";
    else printf "%.0fx", a / b }'; }
verdict() { # verdict VALUE OP TARGET
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "-") { print "n/a"; exit }
        ok = (op == ">=") ? (v + 0 >= t) : (v + 0 < t);
        if (ok) print "met"; else if (op == ">=") printf "MISSED (%.0f%% of target)\n", 100 * v / t;
        else printf "MISSED (%.1fx target)\n", v / t }'; }
row() { printf '%-44s %14s %14s %8s  %s\n' "$@"; }
{
    echo
    echo "== summary ($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo -dirty), $(date -u +%FT%TZ))"
    row "metric" "evbridge" "moto 5.2.1" "ratio" "target"
    e=$(get evbridge.ingest_events_s); m=$(get moto.ingest_events_s)
    row "ingest: accepted events/s (10/call)" "$e" "$m" "$(ratio "$e" "$m")" ">= 50000: $(verdict "$e" ">=" 50000)"
    row "ingest: PutEvents p50 ms" "$(get evbridge.ingest_p50_ms)" "$(get moto.ingest_p50_ms)" "" ""
    e=$(get evbridge.ingest_p99_ms)
    row "ingest: PutEvents p99 ms" "$e" "$(get moto.ingest_p99_ms)" "" "< 20: $(verdict "$e" "<" 20)"
    row "ingest: PutEvents max ms" "$(get evbridge.ingest_max_ms)" "$(get moto.ingest_max_ms)" "" ""
    row "ingest: errors" "$(get evbridge.ingest_errors)" "$(get moto.ingest_errors)" "" ""
    row "ingest: deliveries/s meanwhile" "$(get evbridge.ingest_delivered_s)" "(none)" "" ""
    e=$(get evbridge.rss_idle_mb)
    row "RSS idle MB" "$e" "$(get moto.rss_idle_mb)" "" "< 20: $(verdict "$e" "<" 20)"
    row "RSS after setup (100 rules) MB" "$(get evbridge.rss_after_setup_mb)" "$(get moto.rss_after_setup_mb)" "" ""
    row "RSS after ingest run MB" "$(get evbridge.rss_after_run_mb)" "$(get moto.rss_after_run_mb)" "" ""
    row "10,000 rules: accepted events/s" "$(get rules10k.ingest_events_s)" "" "" ""
    row "10,000 rules: PutEvents p99 ms" "$(get rules10k.ingest_p99_ms)" "" "" ""
    row "10,000 rules: deliveries/s meanwhile" "$(get rules10k.ingest_delivered_s)" "" "" ""
    e=$(get rules10k.rss_after_setup_mb)
    row "10,000 rules: RSS after setup MB" "$e" "" "" "< 200: $(verdict "$e" "<" 200)"
    e=$(get rules10k.rss_after_run_mb)
    row "10,000 rules: RSS after the run MB" "$e" "" "" "< 200: $(verdict "$e" "<" 200)"
    e=$(get evbridge.drain_deliveries_s)
    [ ${#DRAINS[@]} -gt 0 ] && e=$(median "${DRAINS[@]}")
    row "deliver (a): drain deliveries/s${DRAINS:+ (median)}" "$e" "n/a" "" ">= 20000: $(verdict "$e" ">=" 20000)"
    e=$(get evbridge.sustained_deliveries_s); m=$(get moto.sustained_deliveries_s)
    row "deliver (a'): sustained deliveries/s" "$e" "$m" "$(ratio "$e" "$m")" ">= 20000: $(verdict "$e" ">=" 20000)"
    row "  PutEvents accepted/s meanwhile" "$(get evbridge.sustained_ingest_events_s)" "$(get moto.sustained_ingest_events_s)" "" "(offered $RATE)"
    e=$(get evbridge.latency_e2e_p99_ms)
    row "deliver (b): ack->arrival p99 ms @1000/s" "$e" "n/a" "" "< 5: $(verdict "$e" "<" 5)"
    row "  ack->arrival p50 ms" "$(get evbridge.latency_e2e_p50_ms)" "n/a" "" ""
    row "  PutEvents p99 ms at 1000/s" "$(get evbridge.latency_putevents_p99_ms)" "" "" ""
    pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.0f", 100 * a / b }'; }
    e=$(get evbridge.isolation_drain_deliveries_s)
    d=$(get evbridge.drain_deliveries_s)
    if [ ${#ISOS[@]} -gt 0 ]; then
        e=$(median "${ISOS[@]}")
        d=$(median "${DRAINS[@]}")
    fi
    row "deliver (c): drain deliveries/s, 1 dead${ISOS:+ (median)}" "$e" "n/a" "" ""
    e2=$(pct "$e" "$d")
    row "  as % of (a)" "$e2" "" "" ">= 90: $(verdict "$e2" ">=" 90)"
    if [ ${#ISOS[@]} -gt 1 ]; then
        pairs=""
        for i in "${!ISOS[@]}"; do pairs="$pairs ${DRAINS[$i]}/${ISOS[$i]}"; done
        row "  pairs (a)/(c):$pairs" "" "" "" ""
    fi
    e=$(get evbridge.isolation_deliveries_s); m=$(get moto.isolation_deliveries_s)
    row "deliver (c'): sustained deliveries/s, 1 dead" "$e" "$m" "$(ratio "$e" "$m")" ""
    e2=$(pct "$e" "$(get evbridge.sustained_deliveries_s)")
    m2=$(get moto.isolation_ratio_pct)
    row "  as % of (a')" "$e2" "$m2" "" ">= 90: $(verdict "$e2" ">=" 90)"
    echo "(moto: ingest runs without MOTO_EVENTS_INVOKE_HTTP, so it delivers nothing; its delivery"
    echo " rows run with it, where moto sends a body-less request inside PutEvents, per target.)"
} | tee "$OUT/summary.txt"
