#!/bin/sh
# growth.sh - how the cost of a fleet grows with its size: the mesh task
# (examples/mesh-task-taskdef.json) started SIZE times at once at
# time_scale SCALE (default 0.01), for each SIZE given. Prints, per size:
#   at T4            tasks that reached T4, of those started
#   T4 p50/p99       from each task's T0, in wall time and in scenario time
#                    (wall / time_scale: what the reports present); last:
#                    the latest task's T4, wall
#   T4 p50 task      p50 of each task's T4 in task time: scenario time
#                    with the task's host lag taken out (the JSON report's
#                    milestones_us.T4 - host_lag_us.T4, / time_scale), to
#                    set beside one task's (SIZE 1)
#   host             the share of each task's time to T4 that was this
#                    machine's contention (the report's host lag: waits for
#                    a CPU and for the runner, CPU work beyond the
#                    scenario's time), p50 over the tasks; fit: the time_scale the
#                    runner names as fitting this machine
#   wall             the whole run, start to exit
#   CPU/task         the runner's own CPU and that of every process it
#                    started (ecsboot-init, stand-ins, health checks), each
#                    divided by the number of tasks
#   RSS/task         the largest sum of resident memory (VmRSS) over the
#                    run's processes (the runner and everything in its
#                    session) seen at one sample, divided by the number of
#                    tasks; a page shared by several processes (a library's
#                    code) counts once per process
#   procs            the most processes of the run alive at one sample
# Samples every 0.5 s (a pass over /proc). Each run goes on until every
# task reached T4 or stopped (`--until T4`), within a deadline of 60
# minutes of scenario time (36 s of wall time at 0.01). Prints only;
# asserts nothing.
#
#   bench/growth.sh BUILD_DIR [SIZE ...]     (default sizes: 100 200 500 1000)
#   SCALE=0.05 bench/growth.sh build 500
#   RUN_FLAGS=--exec-each bench/growth.sh build 500   (flags added to the run)
#
# Runs on loopback, in a temporary folder.
set -eu
B=${1:?usage: growth.sh BUILD_DIR [SIZE ...]}
shift
[ $# -gt 0 ] || set -- 100 200 500 1000
[ -x "$B/cli/ecsboot" ] || { echo "growth.sh: $B/cli/ecsboot: no such program (cmake --build $B --target ecsboot)" >&2; exit 2; }
E=$(cd "$B" && pwd)/cli/ecsboot
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

python3 - "$E" "$ROOT" "$TMP" "${SCALE:-0.01}" "${RUN_FLAGS:-}" "$@" <<'EOF'
import json, os, subprocess, sys, time
ecsboot, root, tmp, scale = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
flags = sys.argv[5].split()
sizes = [int(s) for s in sys.argv[6:]]
sys.path.insert(0, root + "/bench")
import fleetprocs
tick = os.sysconf("SC_CLK_TCK")
page_kb = os.sysconf("SC_PAGE_SIZE") // 1024

def own_cpu(pid):  # utime + stime of one process, seconds
    try:
        with open(f"/proc/{pid}/stat") as f:
            v = f.read().rsplit(")", 1)[1].split()
        return (int(v[11]) + int(v[12])) / tick
    except (OSError, IndexError, ValueError):
        return None

def session(sid):  # (processes, resident kB) of every process in session sid
    n, kb = 0, 0
    for pid, _ in fleetprocs.in_session(sid):
        try:
            with open(f"/proc/{pid}/statm") as f:
                kb += int(f.read().split()[1]) * page_kb
            n += 1
        except (OSError, IndexError, ValueError):
            pass
    return n, kb

def pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

def scen(s):  # scenario seconds, short
    return f"{s / 60:.1f}m" if s >= 600 else f"{s:.0f}s"

print(f"time_scale {scale}; {os.cpu_count()} cores; load average at start "
      f"{os.getloadavg()[0]:.2f}" + (f"; run flags {' '.join(flags)}" if flags else ""))
print(f'{"tasks":>5} {"at T4":>9} {"T4 p50 wall/scen":>17} '
      f'{"T4 p99 wall/scen":>17} {"last":>6} {"task p50":>8} {"host":>5} {"fit":>5} {"wall":>6} '
      f'{"CPU/task run+kids":>18} {"RSS/task":>8} {"procs":>5} {"load":>5}')
for n in sizes:
    path = f"{tmp}/fleet{n}.json"
    json.dump({"name": f"fleet-{n}", "time_scale": scale, "deadline": "60m",
               "tasks": {"count": n},
               "task_definition": root + "/examples/mesh-task-taskdef.json",
               "expect": {"milestones": {"T4": {"reached": True}}}},
              open(path, "w"))
    out = f"{tmp}/out{n}"
    before = os.times()
    t0 = time.monotonic()
    # its own session: every process it starts stays in it (containers
    # get process groups of their own, not sessions)
    # --until T4: a task that fails does not end the run; each task
    # reaches T4 or stops
    p = subprocess.Popen([ecsboot, "run", "-q", "--no-progress", "--until",
                          "T4", "--formats", "json", "--out", out] + flags + [path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    runner_cpu, most, peak_kb, last_tree = 0.0, 0, 0, 0.0
    while p.poll() is None:  # bounded by the scenario's own deadline
        c = own_cpu(p.pid)
        if c is not None:
            runner_cpu = c
        if time.monotonic() - last_tree >= 0.5:
            last_tree = time.monotonic()
            procs, kb = session(p.pid)
            most, peak_kb = max(most, procs), max(peak_kb, kb)
        time.sleep(0.05)
    wall = time.monotonic() - t0
    after = os.times()
    total = (after.children_user - before.children_user +
             after.children_system - before.children_system)
    run = json.load(open(out + "/report.json"))["runs"][0]
    apps = [t for t in run["tasks"] if not t["server"]]
    t4 = sorted(t["milestones_us"]["T4"] / 1e6 for t in apps
                if t["milestones_us"].get("T4") is not None)
    task = sorted((t["milestones_us"]["T4"] - t["host_lag_us"].get("T4", 0))
                  / 1e6 / scale for t in apps
                  if t["milestones_us"].get("T4") is not None)
    share = run.get("host_share_permille", {}).get("T4", {}).get("p50")
    fit = run.get("fit_time_scale")
    p50, p99 = pct(t4, 0.5), pct(t4, 0.99)
    print(f'{n:>5} {len(t4):>4}/{len(apps):<4} '
          f'{p50:>7.2f}s/{scen(p50 / scale):>7} {p99:>7.2f}s/{scen(p99 / scale):>7} '
          f'{(t4[-1] if t4 else float("nan")):>5.2f}s {pct(task, 0.5):>7.2f}s '
          f'{"" if share is None else f"{share / 10:.0f}%":>5} '
          f'{"" if fit is None else f"{fit:g}":>5} {wall:>5.1f}s '
          f'{runner_cpu / n * 1000:>7.1f}+{(total - runner_cpu) / n * 1000:<6.1f}ms '
          f'{peak_kb / 1024 / n:>6.2f}MB {most:>5} {os.getloadavg()[0]:>5.2f}')
print("load: the 1-minute load average when the size finished (other work on "
      "the machine shows there)")
EOF
