#!/bin/sh
# throttled.sh - a fleet of TASKS tasks started within one second of
# scenario time, each running only discover-servers against fake-ecs
# throttling ListTasks and DescribeTasks at ECS's documented rates (token
# buckets of 100, refilled at 20 per second of scenario time). Prints how
# many found the server, the ECS API calls and throttles (in all and per
# task) and the T1 distribution, once per backoff setting given. Prints
# only; asserts nothing.
#
#   bench/throttled.sh BUILD_DIR [TASKS=1000] [SCALE=0.1] [POLL/MAX ...]
#
# Each POLL/MAX (default: 1s/30s, discover-servers' defaults) runs the
# fleet with -poll-interval=POLL -max-poll-interval=MAX (scenario time;
# the runner scales them). The scenario runs on loopback in a temporary
# folder.
set -eu
B=${1:?usage: throttled.sh BUILD_DIR [TASKS] [SCALE] [POLL/MAX ...]}
TASKS=${2:-1000}
SCALE=${3:-0.1}
[ $# -gt 3 ] && shift 3 || set -- 1s/30s
E=$B/cli/ecsboot
[ -x "$E" ] || { echo "missing $E: cmake --build $B --target ecsboot"; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

printf '%-10s %9s %8s %9s %8s %8s %8s %8s %8s %8s\n' \
  backoff found calls throttled per_task wall_s "T1 p50" p95 p99 max
for setting in "$@"; do
  poll=${setting%/*}
  max=${setting#*/}
  python3 - "$TMP" "$TASKS" "$SCALE" "$poll" "$max" <<'EOF'
import json, sys
tmp, tasks, scale, poll, mx = sys.argv[1:6]
td = {"family": "discover-only", "networkMode": "awsvpc",
      "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
      "volumes": [{"name": "consul"}],
      "containerDefinitions": [{
          "name": "discover-servers", "image": "ecsboot-init",
          "essential": True,
          "mountPoints": [{"sourceVolume": "consul", "containerPath": "/consul"}],
          "command": ["discover-servers", "-service-name=consul-server",
                      "-out=/consul/server-ip", "-poll-interval=" + poll,
                      "-max-poll-interval=" + mx, "-timeout=30m"]}]}
json.dump(td, open(tmp + "/td.json", "w"))
# All tasks within one second of scenario time.
json.dump({"name": "throttled-fleet", "time_scale": float(scale),
           "deadline": "60m",
           "tasks": {"count": int(tasks), "rate_per_second": int(tasks)},
           "task_definition": tmp + "/td.json",
           "expect": {"milestones": {"T1": {"reached": True}}}},
          open(tmp + "/fleet.json", "w"))
EOF
  rm -rf "$TMP/out"
  t0=$(date +%s.%N)
  "$E" run -q --no-progress --formats json --out "$TMP/out" "$TMP/fleet.json" \
    >/dev/null 2>"$TMP/err" || true
  t1=$(date +%s.%N)
  python3 - "$TMP/out/report.json" "$setting" "$SCALE" "$t0" "$t1" <<'EOF'
import json, sys
path, setting, scale, t0, t1 = sys.argv[1:6]
scale = float(scale)
run = json.load(open(path))["runs"][0]
apps = [t for t in run["tasks"] if not t["server"]]
found = sum(1 for t in apps if t["milestones_us"].get("T1") is not None)
calls = throttles = 0
for op in run["ecs_api"]:
    if op["operation"] in ("ListTasks", "DescribeTasks"):
        calls += op["count"]
        throttles += op["throttles"]
t1s = sorted(t["milestones_us"]["T1"] for t in apps
             if t["milestones_us"].get("T1") is not None)
def pct(p):
    return t1s[min(len(t1s) - 1, int(p * len(t1s)))] / 1e6 / scale if t1s else 0
print(f'{setting:<10} {found:>4}/{len(apps):<4} {calls:>8} {throttles:>9} '
      f'{calls / max(1, len(apps)):>8.2f} {float(t1) - float(t0):>8.1f} '
      f'{pct(0.5):>8.1f} {pct(0.95):>8.1f} {pct(0.99):>8.1f} {pct(1.0):>8.1f}')
EOF
done
echo "(T1 in seconds of scenario time after the task started its run; calls: ListTasks + DescribeTasks)"
