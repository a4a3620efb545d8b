#!/bin/sh
# growth.sh - how the cost of a fleet grows with its size: the mesh task
# (examples/mesh-task-taskdef.json) started SIZE times at once at
# time_scale 0.01, for each SIZE given. Per size: tasks that reached T4,
# T4 p50/p99 (wall time from each task's T0), the run's wall time, the
# runner's own CPU time and peak RSS, the CPU time of everything it started
# (stand-ins, ecsboot-init), how busy the machine's cores were, and the
# most processes alive at once. Prints only; asserts nothing.
#
#   bench/growth.sh BUILD_DIR [SIZE ...]        (default sizes: 1 10 100 500)
#
# Runs on loopback, in a temporary folder.
set -eu
B=${1:?usage: growth.sh BUILD_DIR [SIZE ...]}
shift
[ $# -gt 0 ] || set -- 1 10 100 500
E=$(cd "$B" && pwd)/cli/ecsboot
[ -x "$E" ] || { echo "missing $E: cmake --build $B --target ecsboot"; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

python3 - "$E" "$ROOT" "$TMP" "$@" <<'EOF'
import json, os, subprocess, sys, time
ecsboot, root, tmp = sys.argv[1:4]
sizes = [int(s) for s in sys.argv[4:]]
tick = os.sysconf("SC_CLK_TCK")
cores = os.cpu_count()

def stat(pid):  # (utime+stime seconds, rss kB peak) of one process
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        cpu = (int(v[11]) + int(v[12])) / tick
        hwm = 0
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
        return cpu, hwm
    except (OSError, IndexError, ValueError):
        return None

def nprocs():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())

print(f'{"tasks":>6} {"at T4":>9} {"T4 p50":>8} {"T4 p99":>8} {"wall":>7} '
      f'{"runner CPU":>10} {"runner RSS":>10} {"others CPU":>10} '
      f'{"cores busy":>10} {"processes":>9}')
base_procs = nprocs()
for n in sizes:
    scen = f"{tmp}/fleet{n}.json"
    json.dump({"name": f"fleet-{n}", "time_scale": 0.01, "deadline": "60m",
               "tasks": {"count": n},
               "task_definition": root + "/examples/mesh-task-taskdef.json",
               "expect": {"milestones": {"T4": {"reached": True}}}},
              open(scen, "w"))
    out = f"{tmp}/out{n}"
    before = os.times()
    t0 = time.monotonic()
    p = subprocess.Popen([ecsboot, "run", "-q", "--no-progress", "--formats",
                          "json", "--out", out, scen],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last, most = (0.0, 0), 0
    while p.poll() is None:  # bounded by the scenario's own deadline
        s = stat(p.pid)
        if s:
            last = s
        most = max(most, nprocs() - base_procs)
        time.sleep(0.1)
    wall = time.monotonic() - t0
    after = os.times()
    total = (after.children_user - before.children_user +
             after.children_system - before.children_system)
    run = json.load(open(out + "/report.json"))["runs"][0]
    apps = [t for t in run["tasks"] if not t["server"]]
    t4 = [t["milestones_us"]["T4"] for t in apps
          if t["milestones_us"].get("T4") is not None]
    t4.sort()
    pct = lambda q: t4[min(len(t4) - 1, int(q * len(t4)))] / 1e6 if t4 else float("nan")
    print(f'{n:>6} {len(t4):>4}/{len(apps):<4} {pct(0.5):>7.2f}s {pct(0.99):>7.2f}s '
          f'{wall:>6.1f}s {last[0]:>9.2f}s {last[1] / 1024:>8.0f}MB '
          f'{total - last[0]:>9.2f}s {total / wall / cores:>9.0%} {most:>9}')
print("runner CPU and RSS: the ecsboot run process itself (sampled every 0.1 s);"
      " others: every process it started; cores busy: all CPU time / (wall x cores)")
EOF
