#!/usr/bin/env python3
"""image_ecs.py ENDPOINT KEY SECRET REGION TASKDEF - the image test's ECS
side: through `ecsboot serve`'s fake-ecs API (SigV4-signed, as the AWS CLI
would, so the fake verifies every call), registers a Consul server task
definition and TASKDEF (the mesh task of examples/), runs one task of each,
waits (bounded) until both are RUNNING, and prints three words:
the server task's private IP, the mesh task's metadata container ID (its
mesh-init container's runtimeId) and its task ID. Exit 1 with the API's
answer on any failure."""
import datetime
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

endpoint, key, secret, region, taskdef = sys.argv[1:6]
host = urllib.parse.urlparse(endpoint).netloc


def sign(k, msg):
    return hmac.new(k, msg.encode(), hashlib.sha256).digest()


def call(op, body):
    data = json.dumps(body).encode()
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    target = "AmazonEC2ContainerServiceV20141113." + op
    headers = {"content-type": "application/x-amz-json-1.1", "host": host,
               "x-amz-date": amz, "x-amz-target": target}
    names = sorted(headers)
    canon = "\n".join(["POST", "/", "",
                       "".join(f"{n}:{headers[n]}\n" for n in names),
                       ";".join(names), hashlib.sha256(data).hexdigest()])
    scope = f"{day}/{region}/ecs/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope,
                         hashlib.sha256(canon.encode()).hexdigest()])
    k = sign(sign(sign(sign(("AWS4" + secret).encode(), day), region), "ecs"),
             "aws4_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={sig}")
    req = urllib.request.Request(endpoint + "/", data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit(f"image_ecs.py: {op}: HTTP {e.code}: {e.read().decode()[:300]}")


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
