#!/bin/sh
# standin_links.sh ECSBOOT_STANDIN - the program the runner starts for
# every app and Envoy container needs no shared library but libc and cJSON
# (its reason to exist: each library is dynamic-loader work at every
# process start). A sanitized build adds the sanitizers' runtimes.
set -eu
bin=${1:?usage: standin_links.sh ECSBOOT_STANDIN}
needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || { echo "standin_links: no NEEDED entries read from $bin"; exit 1; }
bad=0
for lib in $needed; do
  case $lib in
  libc.so.*|libcjson.so.*|libm.so.*|libasan.so.*|libubsan.so.*) ;;
  *) echo "standin_links: $bin needs $lib"; bad=1 ;;
  esac
done
[ $bad -eq 0 ] || exit 1
echo "standin_links: $bin needs only:" $needed
