#!/usr/bin/env bash
# verdicts.sh - does load change a verdict? Figures only; asserts nothing.
#
#   bench/verdicts.sh [BUILD_DIR] [PART...]     PART: seed catalog ctest (all)
#
#  seed     the built-in T0-T4 scenario N times (ecsboot run --repeat N,
#           N=$SEED_RUNS, default 20) on a quiet machine, then again beside
#           `stress-ng --cpu 2`: each milestone's min/median/max and spread
#           in scenario time, as measured and with host lag taken out, the
#           medians under load against the quiet ones, and `report compare`
#           between the quiet and the loaded runs.
#  catalog  every scenario of scenarios/catalog once on a quiet machine (the
#           reference verdicts), then $CAT_RUNS times (default 20) beside
#           `stress-ng --cpu 2`: per scenario, runs whose every verdict
#           equals the reference, INCONCLUSIVE ones, and wrong ones (a pass
#           that became a failure or the other way round, or no report):
#           each wrong run's folder and output are kept in $KEEP_WRONG
#           (default /tmp/ecsboot-verdicts-wrong) and named.
#  ctest    `ctest -L catalog -j4 --repeat until-fail:10` on this machine,
#           quiet and beside `stress-ng --cpu 2`: failed / skipped
#           (INCONCLUSIVE) tests.
# Needs stress-ng (Debian package) and python3. Runs only on loopback; its
# folders go to a temporary folder.
set -uo pipefail
B=${1:-build}
shift || true
PARTS=${*:-seed catalog ctest}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$B/cli/ecsboot" ] || { echo "verdicts.sh: $B/cli/ecsboot: no such program (build first, or name the build folder)" >&2; exit 2; }
E=$(cd "$B" && pwd)/cli/ecsboot
TMP=$(mktemp -d)
# the folders of wrong catalogue runs are kept here (with the run's output)
KEEP=${KEEP_WRONG:-/tmp/ecsboot-verdicts-wrong}
STRESS=
cleanup() {
  [ -n "$STRESS" ] && kill "$STRESS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
command -v stress-ng >/dev/null || { echo "verdicts.sh: needs stress-ng" >&2; exit 2; }

load_on() {
  stress-ng --cpu 2 --timeout 3600 >/dev/null 2>&1 &
  STRESS=$!
  sleep 1
}
load_off() {
  kill "$STRESS" 2>/dev/null
  wait "$STRESS" 2>/dev/null
  STRESS=
}

# verdicts FILE...: "scenario verdict-name=result ..." per report.json
verdicts() {
  python3 - "$@" <<'PY'
import json, sys
for p in sys.argv[1:]:
    try:
        r = json.load(open(p))["runs"][0]
    except Exception as e:
        print("?", "unreadable:%s" % e)
        continue
    print(r["scenario"], "\t".join("%s=%s" % (v["name"], v["result"])
                                   for v in r["verdicts"]))
PY
}

# milestones QUIET_DIR LOADED_DIR: the two repeat tables side by side
milestones() {
  python3 - "$1" "$2" <<'PY'
import json, sys, statistics
def load(d):
    runs = json.load(open(d + "/report.json"))["runs"]
    scale = runs[0]["time_scale"]
    out = {}
    for m in ["T1", "T2", "T3", "T4"]:
        raw, free = [], []
        for r in runs:
            t = [t for t in r["tasks"] if not t["server"]][0]
            if m in t["milestones_us"]:
                raw.append(t["milestones_us"][m] / scale / 1e6)
                free.append((t["milestones_us"][m] - t["host_lag_us"].get(m, 0)) / scale / 1e6)
        out[m] = (raw, free)
    return out
q, l = load(sys.argv[1]), load(sys.argv[2])
def row(v):
    if not v: return "%8s %8s %8s %7s" % ("-", "-", "-", "-")
    md = statistics.median(v)
    return "%8.3f %8.3f %8.3f %6.1f%%" % (min(v), md, max(v), 100 * (max(v) - min(v)) / md)
print("scenario seconds; spread = (max-min)/median; dmed = loaded median vs quiet")
print("%-3s %-9s %-35s %-35s %7s" % ("", "", "quiet: min median max spread", "loaded: min median max spread", "dmed"))
for m in ["T1", "T2", "T3", "T4"]:
    for k, name in ((0, "measured"), (1, "lag-free")):
        a, b = q[m][k], l[m][k]
        d = 100 * (statistics.median(b) / statistics.median(a) - 1) if a and b else float("nan")
        print("%-3s %-9s %s   %s %+6.1f%%" % (m, name, row(a), row(b), d))
PY
}

if [[ " $PARTS " == *" seed "* ]]; then
  N=${SEED_RUNS:-20}
  echo "== the built-in scenario $N times, quiet"
  "$E" run --no-progress --repeat "$N" --formats json --out "$TMP/seed-quiet" |
    sed -n '/^Repeated/,$p'
  echo "== the same beside stress-ng --cpu 2"
  load_on
  "$E" run --no-progress --repeat "$N" --formats json --out "$TMP/seed-load" |
    sed -n '/^Repeated/,$p'
  load_off
  echo
  milestones "$TMP/seed-quiet" "$TMP/seed-load"
  echo
  echo "== report compare quiet -> loaded (and the reverse)"
  "$E" report compare "$TMP/seed-quiet/report.json" "$TMP/seed-load/report.json" |
    tail -1
  "$E" report compare "$TMP/seed-load/report.json" "$TMP/seed-quiet/report.json" |
    tail -1
  echo "== report compare between single runs: how many of $((N - 1)) loaded runs differ from the first quiet one"
  reg=0
  for i in $(seq 2 "$N"); do
    "$E" report compare "$TMP/seed-quiet/run-1/report.json" \
      "$TMP/seed-load/run-$i/report.json" >/dev/null || reg=$((reg + 1))
  done
  echo "regressions: $reg of $((N - 1))"
fi

if [[ " $PARTS " == *" catalog "* ]]; then
  N=${CAT_RUNS:-20}
  echo "== the catalogue once, quiet (reference verdicts)"
  mkdir -p "$TMP/cat"
  for f in "$ROOT"/scenarios/catalog/*.json; do
    n=$(basename "$f" .json)
    "$E" run -q --no-progress --formats json --out "$TMP/cat/ref-$n" "$f"
    echo "$n exit $?"
  done | awk '{c[$3]++} END {for (k in c) printf "exit %s: %d scenarios\n", k, c[k]}'
  echo "== the catalogue $N times beside stress-ng --cpu 2"
  load_on
  t0=$(date +%s)
  for i in $(seq 1 "$N"); do
    for f in "$ROOT"/scenarios/catalog/*.json; do
      n=$(basename "$f" .json)
      "$E" run -q --no-progress --formats json --out "$TMP/cat/$n-$i" "$f" \
        >"$TMP/cat/$n-$i.txt" 2>&1
    done
  done
  load_off
  echo "($(($(date +%s) - t0)) s)"
  python3 - "$TMP/cat" "$N" "$KEEP" "$ROOT"/scenarios/catalog/*.json <<'PY'
import json, os, shutil, sys
d, n, keep, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
wrongs = []
def verdicts(p):
    try:
        return {v["name"]: v["result"] for v in json.load(open(p))["runs"][0]["verdicts"]}
    except Exception:
        return None
tot = {"same": 0, "inconclusive": 0, "wrong": 0, "runs": 0}
print("%-32s %5s %5s %13s %6s" % ("scenario", "runs", "same", "inconclusive", "wrong"))
for f in files:
    s = os.path.basename(f)[:-5]
    ref = verdicts("%s/ref-%s/report.json" % (d, s))
    same = inc = wrong = 0
    for i in range(1, n + 1):
        v = verdicts("%s/%s-%d/report.json" % (d, s, i))
        if v is None or ref is None or (v != ref and not (
                set(v) == set(ref) and
                all(v[k] == ref.get(k) or v[k] == "inconclusive" for k in v))):
            wrong += 1
            wrongs.append((s, i, v, ref))
            continue
        if v == ref:
            same += 1
        elif all(v[k] == ref.get(k) or v[k] == "inconclusive" for k in v) and set(v) == set(ref):
            inc += 1
        else:
            wrong += 1
    tot["same"] += same; tot["inconclusive"] += inc; tot["wrong"] += wrong; tot["runs"] += n
    print("%-32s %5d %5d %13d %6d" % (s, n, same, inc, wrong))
print("%-32s %5d %5d %13d %6d  (inconclusive %.1f%% of scenario-runs)" % (
    "all", tot["runs"], tot["same"], tot["inconclusive"], tot["wrong"],
    100.0 * tot["inconclusive"] / max(tot["runs"], 1)))
for s, i, v, ref in wrongs:
    kept = os.path.join(keep, "%s-%d" % (s, i))
    shutil.rmtree(kept, ignore_errors=True)
    os.makedirs(keep, exist_ok=True)
    shutil.copytree("%s/%s-%d" % (d, s, i), kept, dirs_exist_ok=True)
    shutil.copy("%s/%s-%d.txt" % (d, s, i), kept + "/output.txt")
    diff = "no report" if v is None else ", ".join(
        "%s: %s (quiet: %s)" % (k, v.get(k), ref.get(k)) for k in sorted(set(v) | set(ref or {}))
        if v.get(k) != (ref or {}).get(k))
    out = open(kept + "/output.txt").read().strip().splitlines()
    print("wrong: %s run %d: %s; kept in %s" % (s, i, diff, kept))
    for line in out[-3:]:
        print("    " + line)
PY
fi

if [[ " $PARTS " == *" ctest "* ]]; then
  for mode in quiet loaded; do
    echo "== ctest -L catalog -j4 --repeat until-fail:10, $mode"
    [ "$mode" = loaded ] && load_on
    (cd "$B" && ctest -L catalog -j4 --repeat until-fail:10 --timeout 300 \
      >"$TMP/ctest-$mode.txt" 2>&1)
    echo "exit $?"
    [ "$mode" = loaded ] && load_off
    grep -E "tests passed|Skipped|Failed" "$TMP/ctest-$mode.txt" | sed 's/^/  /'
  done
fi
