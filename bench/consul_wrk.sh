#!/bin/sh
# consul_wrk.sh - requests/s of the fake Consul agent under wrk, beside a
# throwaway nginx serving a static 1 KB JSON file on loopback. Prints only;
# asserts nothing.
#
#   bench/consul_wrk.sh PATH/TO/fcon_serve_main [SECONDS] [CONNECTIONS]
#                       [PATH/TO/bench_ecs_serve TASKDEF.json]
#
# With the last two, also fake-ecs's DescribeTasks (5 tasks, SigV4-signed,
# verified on every request) beside the same nginx.
#
# Everything runs on random 127.x addresses; the fake and nginx are stopped
# on every exit path.
set -eu
SERVE=${1:?usage: consul_wrk.sh SERVE_BIN [SECONDS] [CONNECTIONS]}
SECS=${2:-5}
CONNS=${3:-16}
THREADS=2
command -v wrk >/dev/null || { echo "wrk not installed"; exit 77; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

TMP=$(mktemp -d)
ECS_SERVE=${4:-}
TASKDEF=${5:-}
SERVE_PID=
NGINX_PID=
ECS_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [ -n "$ECS_PID" ] && kill "$ECS_PID" 2>/dev/null && wait "$ECS_PID" 2>/dev/null
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

NET="127.$(shuf -i 20-250 -n1).$(shuf -i 1-250 -n1)"
SIP=$NET.10
AIP=$NET.11
NIP=$NET.12

"$SERVE" "$SIP:8500" "$AIP:8500" >"$TMP/serve.out" 2>&1 &
SERVE_PID=$!
i=0
until grep -qx ready "$TMP/serve.out" 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 100 ] && { echo "fake consul did not start:"; cat "$TMP/serve.out"; exit 1; }
  sleep 0.1
done

cat >"$TMP/register.lua" <<'LUA'
wrk.method = "PUT"
wrk.body = '{"ID":"bench-1","Name":"bench","Port":8080,"Tags":["a"],"Meta":{"k":"v"},"Check":{"TTL":"1h","Status":"passing"}}'
wrk.headers["Content-Type"] = "application/json"
LUA

# The same service with its port alternating: every request is a change
# that the agent syncs to the server (the PUT above repeats one payload,
# which the agent, like Consul, treats as no change after the first).
cat >"$TMP/register_change.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("PUT", nil, { ["Content-Type"] = "application/json" },
    '{"ID":"bench-1","Name":"bench","Port":' .. (8080 + n % 2) ..
    ',"Tags":["a"],"Meta":{"k":"v"},"Check":{"TTL":"1h","Status":"passing"}}')
end
LUA

rps() { # url [lua]
  if [ -n "${2:-}" ]; then
    wrk -t$THREADS -c"$CONNS" -d"${SECS}s" -s "$2" "$1"
  else
    wrk -t$THREADS -c"$CONNS" -d"${SECS}s" "$1"
  fi | awk '/Requests\/sec:/ {print $2}'
}

# Fill the agent with a few services so GET has a realistic body.
for n in 1 2 3 4 5; do
  curl -s -X PUT -d "{\"Name\":\"svc$n\",\"Port\":80$n,\"Tags\":[\"t\"]}" \
    "http://$AIP:8500/v1/agent/service/register" >/dev/null
done
SIZE=$(curl -s "http://$AIP:8500/v1/agent/services" | wc -c)

FC_GET=$(rps "http://$AIP:8500/v1/agent/services")
FC_PUT=$(rps "http://$AIP:8500/v1/agent/service/register" "$TMP/register.lua")
FC_PUTC=$(rps "http://$AIP:8500/v1/agent/service/register" "$TMP/register_change.lua")

# nginx: static 1 KB JSON for GET; PUT answered by `return 200`.
mkdir -p "$TMP/www"
chmod 755 "$TMP" "$TMP/www"
awk 'BEGIN { s = "{\"data\":\""; while (length(s) < 1021) s = s "x"; print s "\"}" }' \
  >"$TMP/www/services.json"
cat >"$TMP/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/cbt;
  proxy_temp_path $TMP/pt;
  fastcgi_temp_path $TMP/ft;
  uwsgi_temp_path $TMP/ut;
  scgi_temp_path $TMP/st;
  server {
    listen $NIP:8080;
    root $TMP/www;
    location = /register { return 200 ""; }
  }
}
CONF
"$NGINX" -c "$TMP/nginx.conf" -p "$TMP" 2>"$TMP/nginx.start" &
NGINX_PID=$!
i=0
until curl -sf "http://$NIP:8080/services.json" >/dev/null; do
  i=$((i + 1))
  [ $i -gt 100 ] && { echo "nginx did not start:"; cat "$TMP/nginx.start" "$TMP/nginx.err"; exit 1; }
  sleep 0.1
done
NG_GET=$(rps "http://$NIP:8080/services.json")
NG_PUT=$(rps "http://$NIP:8080/register" "$TMP/register.lua")

EC_DESC=
if [ -n "$ECS_SERVE" ]; then
  EIP=$NET.13
  "$ECS_SERVE" "$EIP" "$TASKDEF" "$TMP/describe.lua" 2 >"$TMP/ecs.out" 2>&1 &
  ECS_PID=$!
  i=0
  until grep -qx ready "$TMP/ecs.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && { echo "fake-ecs did not start:"; cat "$TMP/ecs.out"; exit 1; }
    sleep 0.1
  done
  ECS_URL=$(head -1 "$TMP/ecs.out")
  # every answer must be a 200: a signature fake-ecs refuses would be
  # counted by wrk as a non-2xx response
  wrk -t$THREADS -c"$CONNS" -d"${SECS}s" -s "$TMP/describe.lua" "$ECS_URL/" >"$TMP/ecs.wrk"
  if grep -q "Non-2xx" "$TMP/ecs.wrk"; then
    echo "fake-ecs answered errors:"; cat "$TMP/ecs.wrk"; exit 1
  fi
  EC_DESC=$(awk '/Requests\/sec:/ {print $2}' "$TMP/ecs.wrk")
fi

echo "wrk -t$THREADS -c$CONNS -d${SECS}s, loopback; fake-consul GET body $SIZE bytes, nginx 1 KB static"
printf '%-44s %12s\n' "endpoint" "requests/s"
printf '%-44s %12s\n' "fake-consul GET /v1/agent/services" "$FC_GET"
printf '%-44s %12s\n' "fake-consul PUT /v1/agent/service/register" "$FC_PUT"
printf '%-44s %12s\n' "  the same, every request a change" "$FC_PUTC"
printf '%-44s %12s\n' "nginx GET /services.json (static 1 KB)" "$NG_GET"
printf '%-44s %12s\n' "nginx PUT /register (return 200)" "$NG_PUT"
awk -v a="$FC_GET" -v b="$NG_GET" -v c="$FC_PUT" -v d="$NG_PUT" -v e="$FC_PUTC" 'BEGIN {
  printf "ratio fake-consul/nginx: GET %.2f, PUT %.2f (changing PUT %.2f)\n", a / b, c / d, e / d }'
if [ -n "$EC_DESC" ]; then
  printf '%-44s %12s\n' "fake-ecs DescribeTasks (signed, 5 tasks)" "$EC_DESC"
  awk -v a="$EC_DESC" -v b="$NG_GET" 'BEGIN {
    printf "ratio fake-ecs DescribeTasks/nginx GET: %.2f\n", a / b }'
fi
