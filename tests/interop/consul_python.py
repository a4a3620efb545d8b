#!/usr/bin/python3
"""Interop: Debian's python3-consul against the standalone fake Consul.

Usage: /usr/bin/python3 consul_python.py PATH/TO/fcon_serve_main

Starts the fake (server + joined agent) on random 127.x addresses, then with
python-consul: registers a service with a TTL check, passes it, registers a
connect-proxy, reads /health/service?passing, and runs a blocking query
(index + wait) that returns after a change. The fake is killed on every
path out. Exit 0 on success, 1 on failure, 77 when python-consul is absent.
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

try:
    import consul
except ImportError:
    print("python3-consul is not installed; skipping")
    sys.exit(77)


def start_fake(prog):
    """Starts the fake on random loopback addresses; a few tries at most."""
    for _ in range(5):
        a, b = random.randint(20, 250), random.randint(1, 250)
        sip, aip = "127.%d.%d.10" % (a, b), "127.%d.%d.11" % (a, b)
        p = subprocess.Popen([prog, sip + ":8500", aip + ":8500"],
                             stdout=subprocess.PIPE, text=True)
        lines = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.strip() == "ready":
                return p, sip, aip
        stop_fake(p)
    raise RuntimeError("fake consul did not start: " + "".join(lines))


def stop_fake(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run(sip, aip):
    c = consul.Consul(host=aip, port=8500)
    check(c.agent.self()["Config"]["Datacenter"] == "dc1", "agent self")
    check(c.status.leader() == sip + ":8300", "leader")

    # A service with a TTL check: critical until passed.
    check(c.agent.service.register("web", service_id="web-1", port=8080,
                                   tags=["v1"],
                                   check=consul.Check.ttl("30s")),
          "register web")
    _, nodes = c.health.service("web", passing=True)
    check(nodes == [], "web not passing before ttl_pass")
    check(c.agent.check.ttl_pass("service:web-1", "ok"), "ttl_pass")
    index, nodes = c.health.service("web", passing=True)
    check(len(nodes) == 1 and nodes[0]["Service"]["ID"] == "web-1",
          "web passing after ttl_pass: %r" % nodes)
    check(nodes[0]["Service"]["Tags"] == ["v1"], "tags")

    # A connect-proxy, through the client's raw HTTP layer (python-consul
    # 0.7 has no Kind/Proxy arguments).
    proxy = {
        "ID": "web-1-sidecar-proxy", "Name": "web-sidecar-proxy",
        "Kind": "connect-proxy", "Port": 20000,
        "Proxy": {"DestinationServiceName": "web",
                  "DestinationServiceID": "web-1", "LocalServicePort": 8080},
        "Checks": [{"Name": "Proxy Public Listener",
                    "TCP": "127.0.0.1:20000", "Interval": "10s",
                    "DeregisterCriticalServiceAfter": "10m"},
                   {"Name": "Destination Alias", "AliasService": "web-1"}],
    }
    check(c.http.put(consul.base.CB.bool(), "/v1/agent/service/register",
                     data=json.dumps(proxy)), "register proxy")
    services = c.agent.services()
    check(services["web-1-sidecar-proxy"]["Kind"] == "connect-proxy",
          "proxy listed")
    _, cat = c.catalog.service("web-sidecar-proxy")
    check(len(cat) == 1 and cat[0]["ServicePort"] == 20000, "catalog proxy")

    # Blocking query: returns once something changes after `index`.
    _, nodes = c.health.service("web")
    index, _ = c.health.service("web")
    result = {}

    def blocked():
        result["r"] = c.health.service("web", index=index, wait="30s")

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.2)
    # Consul lets a blocking query return early only on a change (the index
    # moved on: a check's first run, a sync); never with the same index.
    if not t.is_alive():
        check(int(result["r"][0]) > int(index),
              "blocking query returned before any change")
    check(c.agent.check.ttl_fail("service:web-1", "down"), "ttl_fail")
    t.join(timeout=30)
    check(not t.is_alive(), "blocking query did not return")
    new_index, nodes = result["r"]
    check(int(new_index) > int(index), "index moved")
    statuses = [ck["Status"] for ck in nodes[0]["Checks"]
                if ck["CheckID"] == "service:web-1"]
    check(statuses == ["critical"], "blocking result shows the change")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    p, sip, aip = start_fake(sys.argv[1])
    try:
        run(sip, aip)
    except Exception as e:  # report and fail, after stopping the fake
        print("FAIL: %s: %s" % (type(e).__name__, e))
        return 1
    finally:
        stop_fake(p)
    print("ok: python-consul %s against fake consul at %s"
          % (getattr(consul, "__version__", "?"), aip))
    return 0


if __name__ == "__main__":
    sys.exit(main())
