#!/usr/bin/env python3
"""oci_config.py DIR - for the image tests: DIR is an OCI archive unpacked
(index.json, blobs/); prints the image's user, its Entrypoint joined by
commas, and the path of its last layer's blob, on one line."""
import json
import os
import sys

d = sys.argv[1]


def blob(digest):
    return os.path.join(d, "blobs", *digest.split(":"))


idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))["config"]
print(cfg.get("User", ""), ",".join(cfg.get("Entrypoint") or []),
      blob(man["layers"][-1]["digest"]))
