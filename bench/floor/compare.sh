#!/usr/bin/env bash
# Sybil against the floors, interleaved: ROUNDS (default 3) rounds of
# ../shared/bench/goals.sh for Sybil, floor-poem and floor-hyper in turn, then
# the median of each goal's figure per target. Run from the project root:
#
#   bash bench/floor/compare.sh                  builds Sybil and the floors first
#   SYBIL_BIN=path bash bench/floor/compare.sh   that Sybil instead (no build of it)
#
# Each goals.sh run takes about 2.5 minutes; every output is kept in OUT
# (default a new folder under /tmp, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ROUNDS:-3}"
OUT="${OUT:-$(mktemp -d /tmp/floor-compare.XXXXXX)}"
if [ -z "${SYBIL_BIN:-}" ]; then
  cargo build --release
  SYBIL_BIN="${CARGO_TARGET_DIR:-target}/release/sybil"
fi
cargo build --release --manifest-path bench/floor/Cargo.toml
FLOORS=bench/floor/target/release
for round in $(seq 1 "$ROUNDS"); do
  for target in sybil floor-poem floor-hyper; do
    bin="$FLOORS/$target"
    [ "$target" = sybil ] && bin="$SYBIL_BIN"
    echo "round $round: $target" >&2
    # goals.sh exits 1 when a goal is missed: its figures are what we want.
    SYBIL_BIN="$bin" bash ../shared/bench/goals.sh >"$OUT/$target-$round.txt" 2>&1 || true
  done
done
python3 - "$OUT" <<'EOF'
import glob, re, statistics, sys
out = sys.argv[1]
names = ["added p50, c=1 (ms)", "added p99, c=64 (ms)", "throughput, c=64 (% of direct)",
         "TTFD added, p50 (ms)", "idle RSS (MB)", "per open stream (KB)"]
pattern = (r"added p50 c=1 ([-\d.]+) ms, added p99 c=64 ([-\d.]+) ms, throughput ([-\d.]+) % of direct, "
           r"TTFD added ([-\d.]+) ms, idle RSS ([-\d.]+) MB, per stream ([-\d.]+) KB")
targets = ["sybil", "floor-poem", "floor-hyper"]
figures = {t: [] for t in targets}
for t in targets:
    for path in sorted(glob.glob(f"{out}/{t}-*.txt")):
        m = re.search(pattern, open(path).read())
        if m:
            figures[t].append([float(v) for v in m.groups()])
        else:
            print(f"{path}: no figures (see the file)")
print(f"| figure | {' | '.join(f'{t} (median of {len(figures[t])})' for t in targets)} |")
print("|---|" + "---|" * len(targets))
for i, name in enumerate(names):
    cells = [f"{statistics.median(r[i] for r in figures[t]):g}" if figures[t] else "-" for t in targets]
    print(f"| {name} | {' | '.join(cells)} |")
EOF
echo "outputs: $OUT"
