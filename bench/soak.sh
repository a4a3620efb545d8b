#!/usr/bin/env bash
# soak.sh - the two fakes under load mixed with malformed requests: for
# each of the fake Consul agent and fake-ecs's API, a 10 s warm-up of the
# same mix, then SECONDS of wrk with CONNECTIONS connections of valid
# requests whose every answer is checked (wrk Lua), while bench_malformed
# sends broken HTTP from another process. Prints one table: throughput, wrong answers,
# what the malformed requests got, RSS after the warm-up and at the end,
# and whether the server survived. Prints only; asserts nothing.
#
#   bench/soak.sh BUILD_DIR [SECONDS=60] [CONNECTIONS=64]
#
# Needs the targets fcon_serve_main, bench_ecs_serve and bench_malformed.
# fake-ecs's requests are signed once at its start and it accepts a
# signature for 5 minutes: SECONDS above 280 turn them into 403s.
# Exit 0 after printing; 2 when it could not run; 77 without wrk.
# Everything runs on random 127.x addresses and is stopped on every exit.
set -euo pipefail
B=${1:?usage: soak.sh BUILD_DIR [SECONDS] [CONNECTIONS]}
SECS=${2:-60}
CONNS=${3:-64}
WARM=10
command -v wrk >/dev/null || { echo "wrk not installed"; exit 77; }
B=$(cd "$B" && pwd) || exit 2
cd "$(dirname "$0")/.."
for bin in tests/fcon_serve_main bench/bench_ecs_serve bench/bench_malformed; do
  [ -x "$B/$bin" ] || {
    echo "missing $B/$bin: cmake --build $B --target fcon_serve_main bench_ecs_serve bench_malformed"
    exit 2
  }
done

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do
    { kill "$p" && wait "$p"; } 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "soak.sh: line $LINENO failed: $BASH_COMMAND"; exit 2' ERR
trap 'echo "soak.sh: interrupted"; exit 2' INT TERM

NET="127.$(shuf -i 20-250 -n1).$(shuf -i 1-250 -n1)"
SIP=$NET.10
AIP=$NET.11
EIP=$NET.13

wait_ready() { # name out pid
  local i=0
  until grep -qx ready "$2" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$3" 2>/dev/null; then
      echo "$1 did not start:"
      cat "$2" "$2.err"
      exit 2
    fi
    sleep 0.1
  done
}

# alive when the process exists and is not a zombie
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Every answer goes through ok(status, body), which the server's script
# defines; each thread counts its wrong answers and done() sums them.
cat >"$TMP/check.lua" <<'LUA'
local threads = {}
wrong = 0
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function response(status, headers, body)
  if not ok(status, body) then
    wrong = wrong + 1
  end
end
function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do
    w = w + t:get("wrong")
  end
  io.write(string.format("wrong %d\n", w))
end
LUA

# Consul: odd threads GET the services, even threads register, so each
# thread knows what its answers answer (wrk's response() does not say
# which request it belongs to).
cat "$TMP/check.lua" - >"$TMP/consul.lua" <<'LUA'
local get, put
function init(args)
  get = wrk.format("GET", "/v1/agent/services")
  put = wrk.format("PUT", "/v1/agent/service/register",
    { ["Content-Type"] = "application/json" },
    '{"ID":"soak-1","Name":"soak","Port":8080,"Tags":["a"],' ..
    '"Meta":{"k":"v"},"Check":{"TTL":"1h","Status":"passing"}}')
end
function request()
  if id % 2 == 1 then return get end
  return put
end
function ok(status, body)
  if id % 2 == 0 then return status == 200 end
  return status == 200 and body:find('"svc1"', 1, true) ~= nil
end
LUA

# runs wrk; prints "req/s requests wrong" (socket errors count as wrong:
# a valid request that got no answer was not answered right)
run_wrk() { # seconds lua url
  wrk -t2 -c"$CONNS" -d"$1s" -s "$2" "$3" >"$TMP/wrk.out" 2>&1 || true
  awk '/Requests\/sec:/ {rps = $2} / requests in / {n = $1}
       /^wrong / {w += $2}
       /Socket errors:/ {gsub(",", ""); w += $4 + $6 + $8 + $10}
       END {printf "%.0f %d %d\n", rps, n, w}' "$TMP/wrk.out"
}

# soak NAME PID LUA URL HOST PORT KIND: one server's row in $TMP/rows
soak() {
  # The warm-up is the same mix as the measurement, so that the RSS it
  # leaves already holds what each kind of request needs (the allocator's
  # per-thread arenas grow to a plateau on the first oversized bodies):
  # what follows measures growth under load, not the first touch.
  "$B/bench/bench_malformed" "$5" "$6" "$7" "$WARM" >/dev/null 2>&1 &
  local wpid=$!
  PIDS+=("$wpid")
  run_wrk "$WARM" "$3" "$4" >/dev/null
  wait "$wpid" || true
  local rss0 rss1
  rss0=$(rss_kb "$2")
  "$B/bench/bench_malformed" "$5" "$6" "$7" "$SECS" >"$TMP/$7.mal" \
    2>"$TMP/$7.mal.err" &
  local mpid=$!
  PIDS+=("$mpid")
  local valid
  valid=$(run_wrk "$SECS" "$3" "$4")
  wait "$mpid" || true
  rss1=$(rss_kb "$2")
  echo "$1 $2 $valid $rss0 $rss1 $(tr ' ' '\n' <"$TMP/$7.mal" |
    awk -F= '{v[$1] = $2} END {print v["sent"] + 0, v["answered_4xx_5xx"] + 0,
      v["closed_no_answer"] + v["timeout"], v["answered_2xx"] + 0}')" \
    >>"$TMP/rows"
  grep "2xx to" "$TMP/$7.mal.err" || true
}

# fake Consul; its logs are many (a line per refused request): keep the tail
"$B/tests/fcon_serve_main" "$SIP:8500" "$AIP:8500" >"$TMP/consul.out" \
  2> >(tail -n 50 >"$TMP/consul.out.err") &
CPID=$!
PIDS+=("$CPID")
wait_ready "fake consul" "$TMP/consul.out" "$CPID"
for n in 1 2 3 4 5; do
  curl -s -X PUT -d "{\"Name\":\"svc$n\",\"Port\":80$n,\"Tags\":[\"t\"]}" \
    "http://$AIP:8500/v1/agent/service/register" >/dev/null
done
soak fake-consul "$CPID" "$TMP/consul.lua" "http://$AIP:8500" "$AIP" 8500 consul

# fake-ecs, started late so its signature is young
"$B/bench/bench_ecs_serve" "$EIP" examples/mesh-task-taskdef.json \
  "$TMP/describe.lua" 2 >"$TMP/ecs.out" 2> >(tail -n 50 >"$TMP/ecs.out.err") &
EPID=$!
PIDS+=("$EPID")
wait_ready fake-ecs "$TMP/ecs.out" "$EPID"
URL=$(head -1 "$TMP/ecs.out")
cat "$TMP/describe.lua" "$TMP/check.lua" - >"$TMP/ecs.lua" <<'LUA'
function ok(status, body)
  return status == 200 and body:find('"tasks"', 1, true) ~= nil and
    body:find('"failures"', 1, true) ~= nil
end
LUA
PORT=${URL##*:}
soak fake-ecs "$EPID" "$TMP/ecs.lua" "$URL/" "$EIP" "${PORT%/}" ecs

echo "wrk -t2 -c$CONNS -d${SECS}s of valid requests after a ${WARM}s warm-up," \
  "beside bench_malformed; loopback"
row() { printf '%-11s %8s %9s %6s %9s %8s %7s %5s %11s %10s %7s  %s\n' "$@"; }
row server "valid/s" "valid" wrong malformed "4xx/5xx" closed 2xx \
  "RSS warm KB" "RSS end KB" change verdict
while read -r name pid rps n wrong rss0 rss1 sent e4 closed ok2; do
  change=$(awk -v a="$rss0" -v b="$rss1" 'BEGIN {
    printf "%+.1f", (a > 0 ? (b - a) * 100 / a : 0) }')
  verdict=
  alive "$pid" || verdict="crashed"
  [ "$wrong" = 0 ] || verdict="${verdict:+$verdict, }$wrong wrong"
  awk -v c="$change" 'BEGIN { exit !(c > 10 || c < -10) }' &&
    verdict="${verdict:+$verdict, }RSS $change%"
  row "$name" "$rps" "$n" "$wrong" "$sent" "$e4" "$closed" "$ok2" \
    "$rss0" "$rss1" "$change%" "${verdict:-ok}"
done <"$TMP/rows"
echo "valid: answers checked (Consul GET holds \"svc1\", PUT is 200; ECS holds" \
  "\"tasks\" and \"failures\"); wrong includes wrk's socket errors"
echo "malformed: sent; answered 4xx/5xx; closed (or silent 2 s) without an" \
  "answer; answered 2xx (suspicious, listed above)"
