#!/bin/sh
# steady.sh - what a fleet costs once its tasks run: the mesh task
# (examples/mesh-task-taskdef.json) started SIZE times at once at time_scale
# 0.01 and run to 15 minutes of scenario time (`--until 15m`, 9 s of wall
# time and the start-up). From 5 s after the start, over 3 s, it prints:
#   runner    the runner's CPU (utime + stime, /proc/PID/stat), in cores
#   consul    the same, summed over the consul-client processes (the
#             fake-consul agents, `ecsboot` copies from its fork server)
#   envoy     the same over the sidecar proxies (`ecsboot-standin envoy`
#             copies from its fork server)
#   app       the same over the apps (the same)
#   machine   the busy time of every CPU (/proc/stat), in cores: the
#             runner, the tasks' processes and anything else running
# For each BUILD_DIR in turn, RUNS times, alternating, so that two builds
# are compared under the same conditions. Prints only; asserts nothing.
#
#   bench/steady.sh BUILD_DIR [BUILD_DIR ...]
#   SIZE=200 RUNS=5 bench/steady.sh build /tmp/other-build
#
# Runs on loopback, in a temporary folder.
set -eu
[ $# -gt 0 ] || { echo "usage: steady.sh BUILD_DIR [BUILD_DIR ...]"; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

python3 - "$ROOT" "$TMP" "${SIZE:-100}" "${RUNS:-3}" "$@" <<'EOF'
import json, os, subprocess, sys, time
root, tmp, size, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
builds = sys.argv[5:]
sys.path.insert(0, root + "/bench")
import fleetprocs
tick = os.sysconf("SC_CLK_TCK")

def own_cpu(pid):  # utime + stime of one process (all its threads), seconds
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / tick

# A container's role by its log (its stdout): fork servers' copies all
# show their server's command line.
LOGS = {"consul-client.log": "consul", "sidecar-proxy.log": "envoy",
        "app.log": "app"}

def roles(sid):  # CPU seconds by role over the run's session, but the runner
    out = {}
    for pid, v in fleetprocs.in_session(sid):
        if pid == sid:
            continue
        try:
            log = os.readlink(f"/proc/{pid}/fd/1")
        except OSError:
            continue
        role = LOGS.get(os.path.basename(log))
        if role:
            out[(role, pid)] = fleetprocs.cpu_s(v)
    return out

def grew(a, b, role, dt):  # cores of one role between two roles() readings
    return sum(c - a.get(k, 0.0) for k, c in b.items() if k[0] == role) / dt

def busy():  # (busy, all) jiffies over every CPU
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)

for b in builds:
    e = os.path.join(b, "cli", "ecsboot")
    if not os.access(e, os.X_OK):
        sys.exit(f"missing {e}: cmake --build {b} --target ecsboot")
path = f"{tmp}/fleet.json"
json.dump({"name": f"steady-{size}", "time_scale": 0.01, "deadline": "60m",
           "tasks": {"count": size},
           "task_definition": root + "/examples/mesh-task-taskdef.json"},
          open(path, "w"))
cores = os.cpu_count()
print(f"{size} tasks at time_scale 0.01, run to 15m; {cores} cores; "
      f"cores busy from 5 s on, over 3 s")
print(f'{"build":<40} {"run":>3} {"runner":>7} {"consul":>7} {"envoy":>7} '
      f'{"app":>7} {"machine":>8}')
for i in range(runs):
    for b in builds:
        p = subprocess.Popen([os.path.join(b, "cli", "ecsboot"), "run", "-q",
                              "--no-progress", "--until", "15m", "--formats",
                              "json", "--out", f"{tmp}/out", path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        time.sleep(5)
        c0, (b0, a0), t0 = own_cpu(p.pid), busy(), time.monotonic()
        r0 = roles(p.pid)
        time.sleep(3)
        c1, (b1, a1), t1 = own_cpu(p.pid), busy(), time.monotonic()
        r1 = roles(p.pid)
        p.wait()  # bounded by the run's own --until
        dt = t1 - t0
        print(f"{b:<40} {i + 1:>3} {(c1 - c0) / dt:>7.3f} "
              f"{grew(r0, r1, 'consul', dt):>7.3f} {grew(r0, r1, 'envoy', dt):>7.3f} "
              f"{grew(r0, r1, 'app', dt):>7.3f} {(b1 - b0) / (a1 - a0) * cores:>8.2f}")
EOF
