#!/usr/bin/env bash
# Soak: sustained load on one Sybil process, minute by minute, to show that
# it does not decay (throughput) or grow (memory) with the requests it serves.
#
#   bench/soak.sh                 cargo build --release, then every run below
#   SYBIL_BIN=path bench/soak.sh  that executable instead (no build)
#
# A run is BACKEND:LOG_FORMAT (SOAK_RUNS, default "sqlite:text postgres:text
# sqlite:json"): a fresh database (a SQLite file, or a PostgreSQL database
# made for the run on SOAK_PG, dropped after), Sybil at RUST_LOG=info, the
# shared bench harness's fake upstream (../shared/bench, as goals.sh uses)
# answering at once, and wrk at c=SOAK_CONCURRENCY (64) for SOAK_MINUTES (5)
# one-minute rounds back to back. It prints per minute the requests per
# second, p99 and RSS, then the RSS after SOAK_IDLE (10) seconds idle, and
# checks that every completion left its `llm_calls` row. Verdicts (the
# issue's): last minute's throughput within 10 % of the first; RSS after the
# idle time <= 40 MB; RSS growth from the end of minute 2 to the end <= 5 MB.
# All traffic stays on 127.0.0.1; every wait is bounded.
set -uo pipefail
PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SOAK_HARNESS:-$PROJECT/../shared/bench}"
WORK="${SYBIL_BENCH_WORK:-/tmp/sybil-bench}"
MINUTES="${SOAK_MINUTES:-5}"
CONC="${SOAK_CONCURRENCY:-64}"
IDLE="${SOAK_IDLE:-10}"
ROUND="${SOAK_ROUND_SECONDS:-60}"  # shorter only to try the script out
RUNS="${SOAK_RUNS:-sqlite:text postgres:text sqlite:json}"
PG="${SOAK_PG:-postgres://postgres@127.0.0.1:5432}"
BODY='{"provider":"xai","model":"m","messages":[{"role":"user","content":"hi"}]}'

die() { echo "soak: $*" >&2; exit 1; }
for tool in python3 curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || die "wrk is missing (apt-get install wrk)"

# ---------------------------------------------------------------- binaries
if [ -z "${SYBIL_BIN:-}" ]; then
  (cd "$PROJECT" && cargo build --release >/dev/null 2>&1) || die "cargo build --release failed"
  SYBIL_BIN="${CARGO_TARGET_DIR:-$PROJECT/target}/release/sybil"
fi
[ -x "$SYBIL_BIN" ] || die "no executable at $SYBIL_BIN"
[ -d "$SHARED/fake-upstream" ] || die "no bench harness at $SHARED (set SOAK_HARNESS)"
mkdir -p "$WORK" && cp -r "$SHARED/lib" "$WORK/" && mkdir -p "$WORK/fake-upstream" \
  && (cd "$SHARED/fake-upstream" && tar --exclude=./target -cf - .) | (cd "$WORK/fake-upstream" && tar -xf -) \
  || die "could not copy the harness to $WORK"
FAKE_BIN="$WORK/fake-upstream/target/release/fake-upstream"
(cd "$WORK/fake-upstream" && cargo build --release >/dev/null 2>&1) || die "the fake upstream did not build"

read -r FAKE_PORT PORT < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
TMP="$(mktemp -d /tmp/sybil-soak.XXXXXX)"
FAKE_PID= SYBIL_PID= DROP_DB=
cleanup() {
  [ -n "$SYBIL_PID" ] && kill "$SYBIL_PID" 2>/dev/null && wait "$SYBIL_PID" 2>/dev/null
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  [ -n "$DROP_DB" ] && psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DROP_DB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$FAKE_BIN" --host 127.0.0.1 --port "$FAKE_PORT" --threads "$(nproc)" >"$TMP/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$FAKE_PORT/stats" >/dev/null && break; sleep 0.1; done
curl -sf -X POST "http://127.0.0.1:$FAKE_PORT/_fake/config" \
  -d '{"latency_ms":0,"chunks":20,"chunk_interval_ms":0}' >/dev/null || die "the fake upstream did not start"

rss_mb() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }

# wrk for SECONDS at CONC; prints "requests rps p99_ms non2xx"
load() {
  BENCH_BODY="$BODY" timeout -k 5 $(($1 + 30)) wrk -t2 -c"$CONC" -d"$1"s --timeout 30s \
    -s "$WORK/lib/post.lua" "http://127.0.0.1:$PORT/v1/chat-completions" |
    python3 -c '
import json, sys
line = [l for l in sys.stdin if l.startswith("BENCHJSON ")]
d = json.loads(line[0].split(" ", 1)[1]) if line else {}
bad = d.get("non2xx", 1) + sum(d.get(k, 0) for k in ("err_connect", "err_read", "err_write", "err_timeout"))
print(d.get("requests", 0), round(d.get("rps", 0)), d.get("p99_ms", 0), bad)'
}

# Rows of llm_calls, by the database's own client.
count_calls() {
  case "$1" in
    sqlite) python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from llm_calls").fetchone()[0])' "$TMP/soak.db" ;;
    postgres) psql "$PG/$DROP_DB" -tAc "select count(*) from llm_calls" ;;
  esac
}

status=0
summary=()
for run in $RUNS; do
  backend="${run%%:*}" format="${run##*:}"
  case "$backend" in
    sqlite) rm -f "$TMP"/soak.db*; url="sqlite://$TMP/soak.db?mode=rwc" ;;
    postgres)
      DROP_DB="sybil_soak_$$"
      psql "$PG/postgres" -qc "CREATE DATABASE $DROP_DB" >/dev/null || die "cannot create a database on $PG"
      url="$PG/$DROP_DB" ;;
    *) die "unknown backend $backend (sqlite or postgres)" ;;
  esac
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 TZ=UTC RUST_LOG=info LOG_FORMAT="$format" \
    HOST=127.0.0.1 PORT="$PORT" DATABASE_URL="$url" XAI_API_KEY=x \
    XAI_BASE_URL="http://127.0.0.1:$FAKE_PORT/v1" RATE_LIMIT_PER_MINUTE=0 \
    "$SYBIL_BIN" >"$TMP/sybil.log" 2>&1 &
  SYBIL_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || die "Sybil did not start ($run): $(tail -n 5 "$TMP/sybil.log")"

  echo "== $run: $MINUTES x $ROUND s at c=$CONC, RSS at start $(rss_mb "$SYBIL_PID") MB"
  printf '%-8s %10s %8s %10s %8s\n' minute requests "req/s" "p99 ms" "RSS MB"
  total=0 failed=0 rps=() rss=()
  for m in $(seq 1 "$MINUTES"); do
    read -r n r p99 bad < <(load "$ROUND")
    total=$((total + n)) failed=$((failed + bad))
    rps+=("$r") rss+=("$(rss_mb "$SYBIL_PID")")
    printf '%-8s %10s %8s %10s %8s\n' "$m" "$n" "$r" "$p99" "${rss[-1]}"
  done
  sleep "$IDLE"
  idle=$(rss_mb "$SYBIL_PID")
  rows=$(count_calls "$backend")
  kill "$SYBIL_PID" 2>/dev/null; wait "$SYBIL_PID" 2>/dev/null; SYBIL_PID=
  log_mb=$(du -m "$TMP/sybil.log" | cut -f1)
  echo "RSS after $IDLE s idle: $idle MB; failed requests: $failed; log: $log_mb MB"
  # wrk counts only answers it read to the end; a completion it cut off at
  # the end of a minute may still have finished (and logged its row).
  verdicts=$(python3 - "${rps[0]}" "${rps[-1]}" "$idle" "${rss[1]:-${rss[0]}}" "${rss[-1]}" "$total" "$rows" "$failed" "$((CONC * MINUTES))" <<'EOF'
import sys
first, last, idle, rss2, rss_end, total, rows, failed, cut = map(float, sys.argv[1:])
checks = [
    ("last minute within 10 % of the first", last >= 0.9 * first, f"{last:.0f} vs {first:.0f} req/s ({100 * last / first:.0f} %)"),
    ("RSS after idle <= 40 MB", idle <= 40, f"{idle:.1f} MB"),
    ("no RSS growth with requests (<= 5 MB from minute 2 to the end)", rss_end - rss2 <= 5, f"{rss2:.1f} -> {rss_end:.1f} MB"),
    ("every completion has its llm_calls row", failed == 0 and total <= rows <= total + cut, f"{rows:.0f} rows for {total:.0f} answers"),
]
for name, ok, figure in checks:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figure}")
EOF
)
  echo "$verdicts"
  grep -q '^FAIL' <<<"$verdicts" && status=1
  summary+=("$run: ${rps[0]} -> ${rps[-1]} req/s, RSS ${rss[0]} -> ${rss[-1]} MB, idle $idle MB")
  if [ "$backend" = postgres ]; then
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DROP_DB WITH (FORCE)" >/dev/null 2>&1
    DROP_DB=
  fi
done
echo
printf 'soak: %s\n' "${summary[@]}"
exit "$status"
