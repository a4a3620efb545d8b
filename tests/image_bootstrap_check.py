#!/usr/bin/env python3
"""image_bootstrap_check.py FILE SERVICE SERVICE_ID AGENT_URL - what the
image test asks of the Envoy bootstrap mesh-init wrote: valid JSON whose
node is the proxy of SERVICE_ID in cluster SERVICE, with the local_agent
cluster Envoy reaches Consul through; and the agent at AGENT_URL has the
service and its proxy registered. Exit 1 saying what differs."""
import json
import sys
import urllib.request

path, service, sid, agent = sys.argv[1:5]
try:
    with open(path) as f:
        boot = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"{path}: {e}")
node = boot.get("node", {})
if node.get("cluster") != service or node.get("id") != sid + "-sidecar-proxy":
    sys.exit(f"{path}: node is {node}, expected cluster {service} and id "
             f"{sid}-sidecar-proxy")
names = [c.get("name") for c in
         boot.get("static_resources", {}).get("clusters", [])]
if "local_agent" not in names:
    sys.exit(f"{path}: no local_agent cluster among {names}")
with urllib.request.urlopen(agent + "/v1/agent/services", timeout=10) as r:
    services = json.load(r)
for want in (sid, sid + "-sidecar-proxy"):
    if want not in services:
        sys.exit(f"{agent}: the agent has no service {want}: {sorted(services)}")
