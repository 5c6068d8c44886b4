#!/usr/bin/env bash
# Scenario 6: build cost. Times clean builds of the `roster` facade with one
# provider and with every provider, each in a target directory of its own
# (never the shared one), with `cargo build --timings`, and reports the
# slowest compilation units from the timings.
#
#   crates/roster-bench/build-cost.sh [provider]      # provider: iaas (default)
#
# Environment:
#   ROSTER_BUILD_COST_DIR   scratch target dir (default /tmp/roster-build-cost);
#                           it is deleted before each build
#   ROSTER_BENCH_OUT        where build-cost.json goes (default <repo>/target/roster-bench)
#   ROSTER_BUILD_COST_ROOT  the workspace to build (default: this script's workspace)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${ROSTER_BUILD_COST_ROOT:-$(cd "$here/../.." && pwd)}"
provider="${1:-iaas}"
scratch="${ROSTER_BUILD_COST_DIR:-/tmp/roster-build-cost}"
out="${ROSTER_BENCH_OUT:-$root/target/roster-bench}"
target_s=90

case "$scratch" in
  /tmp/*) ;;
  *) echo "refusing to delete $scratch: ROSTER_BUILD_COST_DIR must be under /tmp" >&2; exit 2 ;;
esac

cpus="$(nproc)"
model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
rustc_version="$(rustc --version)"
mkdir -p "$out"

# top_units <timings html>: the eight slowest units as "name version: 12.3s" lines.
top_units() {
  python3 - "$1" <<'EOF' 2>/dev/null || true
import json, re, sys
html = open(sys.argv[1]).read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S)
if m:
    units = json.loads(m.group(1))
    for u in sorted(units, key=lambda u: -u["duration"])[:8]:
        print(f'{u["name"]} {u["version"]}{u.get("target","")}: {u["duration"]:.1f}s')
EOF
}

# build <label> <cargo args...>: a clean, timed build; sets $seconds.
build() {
  local label="$1"
  shift
  rm -rf "$scratch"
  echo "-- $label: cargo build $* (clean, CARGO_TARGET_DIR=$scratch)"
  local start end
  start="$(date +%s.%N)"
  (cd "$root" && CARGO_TARGET_DIR="$scratch" cargo build --quiet --timings "$@") 2>&1 \
    | grep -v 'Timing report saved' || true
  end="$(date +%s.%N)"
  seconds="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')"
  local html="$scratch/cargo-timings/cargo-timing.html"
  cp "$html" "$out/build-cost-$label.html" 2>/dev/null || true
  echo "   wall time: ${seconds} s   (timings: $out/build-cost-$label.html)"
  echo "   slowest units:"
  top_units "$html" | sed 's/^/     /'
  # The test above is the build's own success: cargo's status is lost in the
  # pipe, so check the artifact exists.
  if ! ls "$scratch"/debug/libroster.rlib >/dev/null 2>&1; then
    echo "   build FAILED" >&2
    exit 1
  fi
}

echo "== build-cost: clean debug builds of the roster facade on $cpus CPUs ($model), $rustc_version"
build "one-provider" -p roster --no-default-features --features "$provider"
one="$seconds"
one_units="$(top_units "$out/build-cost-one-provider.html" | head -3 | paste -sd ';' -)"
build "all-features" -p roster --all-features
all="$seconds"

met="$(awk -v v="$one" -v t="$target_s" 'BEGIN { print (v <= t) ? "yes" : "NO" }')"
printf '\n%-40s | %-8s | %-8s | %s\n' "metric" "figure" "target" "met"
printf '%-40s | %-8s | %-8s | %s\n' "----------------------------------------" "--------" "--------" "---"
printf '%-40s | %-8s | %-8s | %s\n' "one provider ($provider), clean build" "${one} s" "<= ${target_s} s" "$met"
printf '%-40s | %-8s | %-8s | %s\n' "all features, clean build" "${all} s" "-" ""

cat >"$out/build-cost.json" <<EOF
{
  "scenario": "build-cost",
  "profile": "dev",
  "provider": "$provider",
  "one_provider_s": $one,
  "all_features_s": $all,
  "target_one_provider_s": $target_s,
  "met": $([ "$met" = yes ] && echo true || echo false),
  "slowest_units_one_provider": "$one_units",
  "machine": { "cpus": $cpus, "cpu_model": "$model", "rustc": "$rustc_version" }
}
EOF
echo "  wrote $out/build-cost.json"
rm -rf "$scratch"
