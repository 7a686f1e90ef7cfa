#!/usr/bin/env bash
# bench/match.sh - builds bench/match from src/match alone, generates the citylots
# data (git-ignored, build/bench-data/) if absent, and runs the matcher benchmark.
#   bash bench/match.sh [bench/match options, e.g. --quick]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${EVBRIDGE_SHARED:-../shared}
DATA=build/bench-data
mkdir -p "$DATA" build/bench
if [ ! -s "$DATA/citylots.jsonl" ]; then
    echo "generating $DATA/citylots.jsonl"
    python3 "$SHARED/data/gen-citylots.py" > "$DATA/citylots.jsonl.tmp"
    mv "$DATA/citylots.jsonl.tmp" "$DATA/citylots.jsonl"
fi
if [ ! -s "$DATA/citylots2.jsonl" ]; then
    echo "generating $DATA/citylots2.jsonl"
    python3 "$SHARED/data/gen-citylots.py" --form cl2 > "$DATA/citylots2.jsonl.tmp"
    mv "$DATA/citylots2.jsonl.tmp" "$DATA/citylots2.jsonl"
fi
${CC:-cc} ${BENCH_CFLAGS:--O2 -g} -std=c11 -D_GNU_SOURCE -Isrc $(pkg-config --cflags jansson) \
    -o build/bench/match bench/match.c src/match/*.c $(pkg-config --libs jansson) -lpthread -lm
echo "== bench/match ($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'))"
build/bench/match --memory
exec build/bench/match --data "$DATA" --patterns "$SHARED/data/citylots-patterns.json" "$@"
