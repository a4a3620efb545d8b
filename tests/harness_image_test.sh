#!/usr/bin/env bash
# harness_image_test.sh SOURCE_DIR BUILD_DIR VERSION - builds the ecsboot
# harness image from this build (deploy/build-image.sh --harness) and runs
# it as CI would:
#   - its config: ENTRYPOINT /usr/local/bin/ecsboot, user 65532; it holds
#     the catalogue and examples/ci, and no compiler;
#   - a catalogue scenario (t0-t4, from the image) with the reports
#     written to a mounted folder;
#   - examples/ci/k8s-indexed-job.yaml's own command (read from the file),
#     for both pods of a 2-shard job, over a mounted scenario folder that
#     holds two scenarios and their task definition; then merge.sh in the
#     image: the merged JUnit has both scenarios, passed. The manifest's
#     image is this one (name ecsboot, tag VERSION).
# ECSB_TEST_TIME_SCALE (set for sanitized builds by tests/cli.cmake, as the
# catalogue's tests slow their scenarios) becomes every run's time scale.
# Exit 77 (skipped) when neither docker nor buildah can build or run it.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
version=$3
tmp=$(mktemp -d)
ctr=
export ECSB_BUILDAH_ROOT=$build/buildah
b=(buildah --storage-driver vfs --root "$ECSB_BUILDAH_ROOT/root"
  --runroot "$ECSB_BUILDAH_ROOT/run")
cleanup() {
  [ -n "$ctr" ] && "${b[@]}" rm "$ctr" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "harness_image_test: $*" >&2; exit 1; }
skip() { echo "harness_image_test: SKIPPED: $*" >&2; exit 77; }

if docker info >/dev/null 2>&1; then
  tool=docker
elif command -v buildah >/dev/null 2>&1 &&
  "${b[@]}" images >/dev/null 2>"$tmp/buildah.err"; then
  tool=buildah
else
  skip "no Docker daemon answers and buildah cannot run here" \
    "($(head -c 300 "$tmp/buildah.err" 2>/dev/null || echo "not installed"))"
fi

out=$tmp/ecsboot.oci.tar
"$src/deploy/build-image.sh" --harness "$build" "$out" 2>"$tmp/build.log" ||
  { cat "$tmp/build.log" >&2; fail "deploy/build-image.sh --harness failed"; }
tag=ecsboot:$version

mkdir "$tmp/oci"
tar -xf "$out" -C "$tmp/oci"
read -r user entry layer < <(python3 "$src/tests/oci_config.py" "$tmp/oci")
[ "$user" = "65532:65532" ] || fail "image user is '$user', expected 65532:65532"
[ "$entry" = "/usr/local/bin/ecsboot" ] ||
  fail "entrypoint is '$entry', expected /usr/local/bin/ecsboot"
tar -tzf "$layer" | sed 's|^\./||' | sort >"$tmp/files"
for f in usr/local/bin/ecsboot usr/local/bin/ecsboot-init \
  usr/local/bin/ecsboot-standin usr/local/bin/ecsboot-health usr/local/share/ecsboot/scenarios/catalog/t0-t4.json \
  usr/local/share/ecsboot/examples/mesh-task-taskdef.json \
  usr/local/share/ecsboot/examples/ci/shard.sh bin/sh usr/bin/curl; do
  grep -qx "$f" "$tmp/files" || fail "the image has no /$f"
done
if grep -Eq '(^|/)(cc|gcc|g\+\+|c\+\+|clang|cpp|ld|as|tcc|cc1)(-[0-9.]+)?$' "$tmp/files"; then
  fail "the image has a compiler or linker:" \
    "$(grep -E '(^|/)(cc|gcc|g\+\+|c\+\+|clang|cpp|ld|as|tcc|cc1)(-[0-9.]+)?$' "$tmp/files" | head -3)"
fi

# The Kubernetes example's image and command, as the manifest has them.
job=$src/examples/ci/k8s-indexed-job.yaml
image=$(awk '$1 == "image:" {print $2; exit}' "$job")
[ "${image##*/}" = "$tag" ] ||
  fail "$job names the image $image; the harness image is $tag"
script=$(python3 - "$job" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
i = next(n for n, l in enumerate(lines) if l.strip() == "- >-")
indent = len(lines[i + 1]) - len(lines[i + 1].lstrip())
words = []
for l in lines[i + 1:]:
    if not l.strip() or len(l) - len(l.lstrip()) < indent:
        break
    words.append(l.strip())
print(" ".join(words))  # a folded scalar: its lines joined by spaces
PY
)
case $script in *shard.sh*) ;; *) fail "no shard.sh command in $job: '$script'" ;; esac

# A user's scenario folder, as a ConfigMap holds it (one level, every
# file a scenario: the job runs /scenarios/*.json): two catalogue
# scenarios with their task definition inline.
mkdir -p "$tmp/scenarios" "$tmp/reports"
chmod 0777 "$tmp/reports"
for s in t0-t4 server-late; do
  python3 - "$src/scenarios/catalog/$s.json" "$tmp/scenarios/$s.json" <<'PY' ||
import json, os, sys
src, dst = sys.argv[1:3]
sc = json.load(open(src))
td = sc["task_definition"]
if not isinstance(td, str):
    sys.exit(f"{src}: task_definition is not a path")
sc["task_definition"] = json.load(open(os.path.join(os.path.dirname(src), td)))
if os.environ.get("ECSB_TEST_TIME_SCALE"):
    sc["time_scale"] = float(os.environ["ECSB_TEST_TIME_SCALE"])
json.dump(sc, open(dst, "w"), indent=1)
PY
    fail "could not inline $s.json's task definition"
done

run_in() { # ENV=VALUE... -- command...
  local envs=()
  while [ "$1" != -- ]; do
    envs+=(-e "$1")
    shift
  done
  shift
  case $tool in
  docker) docker run --rm -v "$tmp/scenarios:/scenarios:ro" \
    -v "$tmp/reports:/reports" "${envs[@]}" --entrypoint "$1" "$tag" "${@:2}" ;;
  # buildah's chroot isolation shares the host's network: the runs inside
  # must see the host's address block locks (/tmp/ecsboot-net-*.lock), or
  # they would take a block a run on the host is using.
  buildah) "${b[@]}" run --isolation chroot -v /tmp:/tmp \
    -v "$tmp/scenarios:/scenarios:ro" -v "$tmp/reports:/reports" \
    "${envs[@]}" "$ctr" -- "$@" ;;
  esac
}
case $tool in
docker) docker load -q -i "$out" >/dev/null ;;
buildah) ctr=$("${b[@]}" from -q "oci-archive:$out") || fail "buildah from the archive" ;;
esac

# Exit 0, or 4 (INCONCLUSIVE: no expectation failed, but this host's load
# left a deadline too close to call; the verdicts are not what this test
# is about). Anything else fails, with the log.
ok_or_inconclusive() { # RC LOG WHAT
  [ "$1" -eq 0 ] || [ "$1" -eq 4 ] || { cat "$2" >&2; fail "$3 exited $1"; }
}

# A catalogue scenario from the image, reports to the mounted folder.
rc=0
run_in -- /usr/local/bin/ecsboot run --no-progress -q --out /reports/catalog \
  ${ECSB_TEST_TIME_SCALE:+--time-scale "$ECSB_TEST_TIME_SCALE"} \
  /usr/local/share/ecsboot/scenarios/catalog/t0-t4.json >"$tmp/catalog.log" 2>&1 || rc=$?
ok_or_inconclusive $rc "$tmp/catalog.log" "t0-t4 from the image's catalogue"
for f in report.json junit.xml summary.txt events.jsonl; do
  [ -s "$tmp/reports/catalog/$f" ] || fail "no $f in the mounted reports folder"
done
grep -q "T4 " "$tmp/reports/catalog/summary.txt" || fail "t0-t4's summary has no T4"

# Both pods of a 2-shard Indexed Job, then the merge.
for i in 0 1; do
  rc=0
  run_in JOB_COMPLETION_INDEX=$i SHARDS=2 -- /bin/sh -c "$script" \
    >"$tmp/shard-$i.log" 2>&1 || rc=$?
  ok_or_inconclusive $rc "$tmp/shard-$i.log" "pod $i's command"
done
rc=0
run_in -- /bin/sh -c '/usr/local/share/ecsboot/examples/ci/merge.sh /reports/merged /reports/shard-*' \
  >"$tmp/merge.log" 2>&1 || rc=$?
ok_or_inconclusive $rc "$tmp/merge.log" "merge.sh"
python3 - "$tmp/reports/merged/junit.xml" <<'PY' || fail "the merged JUnit is wrong"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = {s.get("name"): s for s in root.iter("testsuite")}
if sorted(suites) != ["server-late", "t0-t4"]:
    sys.exit(f"testsuites {sorted(suites)}, expected server-late and t0-t4")
for name, s in suites.items():
    cases = list(s.iter("testcase"))
    # a skipped testcase is an INCONCLUSIVE verdict, not a failure
    bad = [c.get("name") for c in cases if c.find("failure") is not None
           or c.find("error") is not None]
    if not cases or bad:
        sys.exit(f"{name}: {len(cases)} testcases, failing: {bad}")
PY
owner=$(stat -c %u "$tmp/reports/merged/junit.xml")
[ "$owner" = 65532 ] || fail "the reports are owned by uid $owner, not the image's 65532"
size=$(stat -c %s "$out")
echo "harness_image_test: $tag built with $tool ($size bytes as an OCI archive);" \
  "t0-t4 from its catalogue, the Kubernetes Indexed Job's two pods over a" \
  "mounted scenario folder and merge.sh ran in it, reports in a mounted folder"
