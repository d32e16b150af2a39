#!/usr/bin/env bash
# Whole-process figures for BENCHMARKS.md: each command of the release binary run as a user runs it, on a generated
# history, with its wall time and peak resident set (GNU time). The store's files are evicted from the page cache
# before each read, so every read is a cold open plus a full replay.
#
#   bash benches/processes.sh [EVENTS]     (default 1000000; work files under target/bench-processes)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
reports=$(( events / 80 + 1 ))
work=target/bench-processes
if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/followup
input=$work/history.jsonl
store=$work/store

evict() {
  python3 - "$1" <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        fd = os.open(os.path.join(root, name), os.O_RDONLY)
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
}

# Runs a command under GNU time; prints "name | seconds | events/s | peak RSS MiB".
measure() {
  local name=$1; shift
  # verify exits 1 when a verdict is unsupported, as some generated ones are: that is a result, not a failure.
  local code=0
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" || code=$?
  if [ "$code" -gt 1 ]; then cat "$work/err" >&2; exit 1; fi
  read -r secs kb < <(tail -n 1 "$work/time")
  python3 -c 'import sys; name, s, n, kb = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]); print(f"| {name} | {s:.2f} s | {n / max(s, 1e-9):,.0f} events/s | {kb / 1024:.0f} MiB |")' "$name" "$secs" "$stored" "$kb"
}

[ -f "$input" ] || $bin generate --reports "$reports" --seed 2026 | head -n "$events" > "$input"
stored=$(wc -l < "$input")
echo "| command ($stored events, $(( $(stat -c %s "$input") / stored )) bytes per input line) | wall | rate | peak RSS |"
echo "|---|---:|---:|---:|"
# KEEP=1 reuses the input and store of the last run (the reads only).
[ -d "$store" ] || measure "followup import (one durable commit)" $bin --store "$store" import "$input"
echo "| store on disk | $(du -sb "$store" | cut -f1) bytes | $(( $(du -sb "$store" | cut -f1) / stored )) bytes/event | |"
evict "$store"; measure "followup status (cold open + full replay)" $bin --store "$store" --format json status
evict "$store"; measure "followup summary (cold open + full replay)" $bin --store "$store" --format json summary
evict "$store"; measure "followup due --on 2030-01-01 (cold open + full replay)" $bin --store "$store" --format json due --on 2030-01-01
evict "$store"; measure "followup verify (cold: chain, indexes, verdicts)" $bin --store "$store" --format json verify
rec=$(sed -n 2p "$input" | python3 -c "import json, sys; print(json.loads(sys.stdin.read())['stream'])")
evict "$store"
/usr/bin/time -f '%e %M' -o "$work/time" $bin --store "$store" --format json timeline --rec "$rec" > /dev/null
read -r secs kb < "$work/time"
echo "| followup timeline --rec $rec (cold process: open, read its report's streams) | $secs s | | $(( kb / 1024 )) MiB |"
