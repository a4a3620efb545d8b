#!/usr/bin/env python3
"""image_ecs.py ENDPOINT KEY SECRET REGION TASKDEF - the image test's ECS
side: through `ecsboot serve`'s fake-ecs API with the real AWS CLI
(SigV4-signed, so the fake verifies every call), registers a Consul server task
definition and TASKDEF (the mesh task of examples/), runs one task of each,
waits (bounded) until both are RUNNING, and prints three words:
the server task's private IP, the mesh task's metadata container ID (its
mesh-init container's runtimeId) and its task ID. Exit 1 with the API's
answer on any failure."""
import json
import os
import re
import subprocess
import sys
import time

endpoint, key, secret, region, taskdef = sys.argv[1:6]
# The real AWS CLI signs every call (SigV4), and the fake verifies it.
env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
           AWS_DEFAULT_REGION=region, AWS_CONFIG_FILE="/dev/null",
           AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")


def call(op, body):
    cmd = ["aws", "ecs", re.sub(r"(?<!^)(?=[A-Z])", "-", op).lower(),
           "--cli-input-json", json.dumps(body), "--endpoint-url", endpoint,
           "--output", "json"]
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        sys.exit(f"image_ecs.py: {op}: aws: {e}")
    if r.returncode != 0:
        sys.exit(f"image_ecs.py: {op}: aws exited {r.returncode}: "
                 f"{r.stderr.strip()[:300]}")
    return json.loads(r.stdout)


server = {"family": "consul-server", "networkMode": "awsvpc",
          "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
          "containerDefinitions": [{"name": "consul-server",
                                    "image": "hashicorp/consul:1.15.11",
                                    "essential": True}]}
call("RegisterTaskDefinition", server)
call("RegisterTaskDefinition", json.load(open(taskdef)))
arns = []
for family in ("consul-server", json.load(open(taskdef))["family"]):
    out = call("RunTask", {"cluster": "default", "taskDefinition": family,
                           "launchType": "FARGATE"})
    if out.get("failures") or len(out.get("tasks", [])) != 1:
        sys.exit(f"image_ecs.py: RunTask {family}: {json.dumps(out)[:300]}")
    arns.append(out["tasks"][0]["taskArn"])

deadline = time.monotonic() + 20
while True:
    tasks = call("DescribeTasks", {"cluster": "default", "tasks": arns})["tasks"]
    if len(tasks) == 2 and all(t["lastStatus"] == "RUNNING" for t in tasks):
        break
    if time.monotonic() > deadline:
        sys.exit("image_ecs.py: the tasks are not RUNNING after 20 s: "
                 + ", ".join(t["lastStatus"] for t in tasks))
    time.sleep(0.1)
by_arn = {t["taskArn"]: t for t in tasks}
srv, mesh = by_arn[arns[0]], by_arn[arns[1]]
ip = srv["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
rid = next(c["runtimeId"] for c in mesh["containers"] if c["name"] == "mesh-init")
print(ip, rid, mesh["taskArn"].rsplit("/", 1)[1])
