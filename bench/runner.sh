#!/bin/sh
# runner.sh - what `ecsboot run` costs, printed as a table; asserts nothing.
#
#   bench/runner.sh [BUILD_DIR] [FLEET]
#
#  - the built-in T0-T4 scenario, whole `ecsboot run` wall time (median of 5);
#  - the runner's cost per container start: one task of 100 containers that
#    each run /bin/true through the whole runner (engine, fake-ecs mirror,
#    event log, reaping), per container, beside a bare posix_spawn+wait of
#    /bin/true measured in the same run (bench_spawn);
#  - a fleet of FLEET tasks (default 200) started at once at time_scale
#    0.01: wall time until every task reached T4, T4 p50/p99, failed tasks;
#  - the whole catalogue, one scenario after another.
# Everything runs on loopback; the runs' folders go to a temporary folder.
set -eu
B=${1:-build}
FLEET=${2:-200}
E=$B/cli/ecsboot
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# median_wall N NAME [FILE]: median wall time of N `ecsboot run`s, each in
# $TMP/NAME<i>. The built-in (no FILE) must pass; a FILE's exit code is
# ignored (the spawn-cost scenarios judge nothing).
median_wall() {
  mw_i=1
  while [ "$mw_i" -le "$1" ]; do
    t0=$(now)
    if [ -n "${3:-}" ]; then
      "$E" run -q --no-progress --out "$TMP/$2$mw_i" "$3" >/dev/null || true
    else
      "$E" run -q --no-progress --out "$TMP/$2$mw_i" >/dev/null
    fi
    t1=$(now)
    elapsed "$t0" "$t1"
    mw_i=$((mw_i + 1))
  done | median
}

# 1. the built-in scenario
median_wall 5 builtin >"$TMP/builtin"

# 2. cost per container start
python3 - "$TMP/spawn.json" "$ROOT" <<'EOF'
import json, sys
n = 99  # ECS allows 100 containers per task definition
defs = [{"name": f"c{i}", "image": "bench/true", "essential": False}
        for i in range(n)]
defs.append({"name": "last", "image": "bench/true", "essential": True,
             "dependsOn": [{"containerName": f"c{i}", "condition": "COMPLETE"}
                           for i in range(n)]})
json.dump({"name": "spawn-cost", "time_scale": 1,
           "task_definition": {"family": "spawn", "containerDefinitions": defs},
           "images": [{"match": "*", "play": "exec:/bin/true"}]},
          open(sys.argv[1], "w"))
EOF
median_wall 3 spawn "$TMP/spawn.json" >"$TMP/spawn_run"
# the run's own fixed cost (fakes, server task, log): the built-in minus
# nothing is not comparable, so measure a 1-container task the same way
python3 - "$TMP/one.json" <<'EOF'
import json, sys
json.dump({"name": "spawn-one", "time_scale": 1,
           "task_definition": {"family": "one", "containerDefinitions": [
               {"name": "last", "image": "bench/true", "essential": True}]},
           "images": [{"match": "*", "play": "exec:/bin/true"}]},
          open(sys.argv[1], "w"))
EOF
median_wall 3 one "$TMP/one.json" >"$TMP/one_run"
bare=$("$B/bench/bench_spawn" 500)

# 3. a fleet started at once
python3 - "$TMP/fleet.json" "$ROOT" "$FLEET" <<'EOF'
import json, sys
json.dump({"name": "fleet", "time_scale": 0.01, "deadline": "60m",
           "tasks": {"count": int(sys.argv[3])},
           "task_definition": sys.argv[2] + "/examples/mesh-task-taskdef.json",
           "expect": {"milestones": {"T4": {"reached": True}}}},
          open(sys.argv[1], "w"))
EOF
t0=$(now)
"$E" run -q --no-progress --formats json --out "$TMP/fleet" "$TMP/fleet.json" >/dev/null || true
t1=$(now)
fleet_wall=$(elapsed "$t0" "$t1")
fleet=$(python3 - "$TMP/fleet/report.json" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
t4 = run["milestones"]["T4"]
apps = [t for t in run["tasks"] if not t["server"]]
reached = sum(1 for t in apps if t["milestones_us"].get("T4") is not None)
print(f'{reached}/{len(apps)} tasks; T4 p50 {t4["p50_us"] / 1e6:.3f} s, '
      f'p99 {t4["p99_us"] / 1e6:.3f} s')
EOF
)

# 4. the catalogue
t0=$(now)
"$E" run -q --no-progress --out "$TMP/catalog" "$ROOT"/scenarios/catalog/*.json >/dev/null || true
t1=$(now)
cat_wall=$(elapsed "$t0" "$t1")

spawn_run=$(cat "$TMP/spawn_run")
one_run=$(cat "$TMP/one_run")
per=$(awk -v a="$spawn_run" -v b="$one_run" 'BEGIN { print (a - b) / 99 * 1000 }')
printf '%-58s %s\n' "figure" "value"
printf '%-58s %.3f s\n' "built-in T0-T4 at time_scale 0.01, whole run (median/5)" "$(cat "$TMP/builtin")"
printf '%-58s %.3f ms\n' "runner cost per container start (100-container task)" "$per"
printf '%-58s %.3f ms\n' "bare posix_spawn+wait of /bin/true (same machine, now)" "$bare"
printf '%-58s %.2f\n' "ratio" "$(awk -v a="$per" -v b="$bare" 'BEGIN { print a / b }')"
printf '%-58s %.2f s\n' "$FLEET tasks at once to T4 (time_scale 0.01), whole run" "$fleet_wall"
printf '%-58s %s\n' "  reached T4" "$fleet"
printf '%-58s %.2f s\n' "whole catalogue ($(ls "$ROOT"/scenarios/catalog/*.json | wc -l) scenarios), one after another" "$cat_wall"
