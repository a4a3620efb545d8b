#!/usr/bin/env python3
"""deploy/oci-root.py ARCHIVE DIR - unpacks the image of an OCI archive (what
deploy/build-image.sh writes) into DIR, its layers in order: the image's
root as a container would see it, for running its programs from the host
(`ecsboot run --init-bin DIR`, docs/deploy.md) without docker or buildah. Prints the image config's
Entrypoint, one word a line. Refuses a layer with whiteouts (a file a
later layer deletes), which the images ecsboot builds never have."""
import json
import os
import sys
import tarfile

archive, root = sys.argv[1:3]
with tarfile.open(archive) as oci:
    def blob(digest):
        return json.load(oci.extractfile("blobs/" + digest.replace(":", "/")))
    index = json.load(oci.extractfile("index.json"))
    manifest = blob(index["manifests"][0]["digest"])
    config = blob(manifest["config"]["digest"])
    os.makedirs(root, exist_ok=True)
    for layer in manifest["layers"]:
        f = oci.extractfile("blobs/" + layer["digest"].replace(":", "/"))
        with tarfile.open(fileobj=f, mode="r:*") as t:
            members = t.getmembers()
            for m in members:
                if os.path.basename(m.name).startswith(".wh."):
                    sys.exit(f"oci-root.py: {archive}: layer {layer['digest']} "
                             f"deletes {m.name}: whiteouts are not handled")
            # the "tar" filter where Python has one (3.12 warns without)
            kw = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
            t.extractall(root, members=members, **kw)
for word in config.get("config", {}).get("Entrypoint") or []:
    print(word)
