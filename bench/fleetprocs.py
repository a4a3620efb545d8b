"""fleetprocs.py - the processes of one session, from /proc: what the fleet
benchmarks (growth.sh, steady.sh) read of a run and everything it started
(a run started in a session of its own keeps its processes in it;
containers get process groups of their own, not sessions)."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def in_session(sid):
    """(pid, the fields of /proc/PID/stat after the command name) of every
    process in session sid; one that ends while read is left out."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                v = f.read().rsplit(")", 1)[1].split()
            if int(v[3]) == sid:  # field 6, the session
                yield int(d), v
        except (OSError, IndexError, ValueError):
            continue


def cpu_s(v):
    """utime + stime of the stat fields v, seconds."""
    return (int(v[11]) + int(v[12])) / TICK
