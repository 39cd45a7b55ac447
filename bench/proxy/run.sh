#!/usr/bin/env bash
# Measures skiff's TCP proxy side by side with HAProxy, nginx stream and a direct connection.
# One command: bench/proxy/run.sh [path/to/skiff]. Loopback only; everything it starts is stopped
# on exit; every load is bounded in time. Results: bench/results/proxy-YYYY-MM-DD.{md,png}.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SKIFF="${1:-${SKIFF:-$ROOT/build-lead/skiff}}"
KA_SECS="${KA_SECS:-10}"       # keep-alive run length
CLOSE_SECS="${CLOSE_SECS:-10}" # connection-per-request run length
BULK_SECS="${BULK_SECS:-5}"    # iperf3 run length
DATE="$(date -u +%F)"
RESULTS="$ROOT/bench/results"
mkdir -p "$RESULTS"

need() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2" >&2
  apt-get install -y --no-install-recommends "$2" >/dev/null
}
need wrk wrk
need haproxy haproxy
need nginx nginx
need iperf3 iperf3
need gnuplot gnuplot-nox
need curl curl
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] ||
  apt-get install -y --no-install-recommends libnginx-mod-stream >/dev/null
[ -x "$SKIFF" ] || { echo "skiff binary not found: $SKIFF" >&2; exit 1; }

TMP="$(mktemp -d /tmp/skiff-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# wait_http URL: up to 10 s for a 200.
wait_http() {
  for _ in $(seq 100); do
    curl -fsS --max-time 1 "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "not answering: $1" >&2
  return 1
}
# wait_tcp HOST PORT: up to 10 s for a listener.
wait_tcp() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "not listening: $1:$2" >&2
  return 1
}

# ---- backends: nginx on 127.0.0.11-14:8081, iperf3 on 127.0.0.11:5201 ---------------------
cat >"$TMP/backend.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/backend.pid;
error_log $TMP/backend-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.11:8081 reuseport backlog=4096;
    listen 127.0.0.12:8081 reuseport backlog=4096;
    listen 127.0.0.13:8081 reuseport backlog=4096;
    listen 127.0.0.14:8081 reuseport backlog=4096;
    location / { default_type text/plain; return 200 "hello\n"; }
  }
}
CONF
nginx -c "$TMP/backend.conf" -p "$TMP" -e "$TMP/backend-error.log" &
PIDS+=($!)
iperf3 -s -B 127.0.0.11 -p 5201 >"$TMP/iperf3-server.log" 2>&1 &
PIDS+=($!)
for a in 11 12 13 14; do wait_http "http://127.0.0.$a:8081/"; done
wait_tcp 127.0.0.11 5201

# ---- HAProxy: 127.0.0.1:9001 (http backends), 127.0.0.1:9011 (iperf3) ------------------------
cat >"$TMP/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend http_in
  bind 127.0.0.1:9001
  default_backend http_out
backend http_out
  balance roundrobin
  server b1 127.0.0.11:8081
  server b2 127.0.0.12:8081
  server b3 127.0.0.13:8081
  server b4 127.0.0.14:8081
frontend bulk_in
  bind 127.0.0.1:9011
  default_backend bulk_out
backend bulk_out
  server i1 127.0.0.11:5201
CONF
haproxy -f "$TMP/haproxy.cfg" -db >"$TMP/haproxy.log" 2>&1 &
PIDS+=($!)

# ---- nginx stream: 127.0.0.1:9002 (http backends), 127.0.0.1:9012 (iperf3) -------------------
cat >"$TMP/stream.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid $TMP/stream.pid;
error_log $TMP/stream-error.log warn;
events { worker_connections 8000; }
stream {
  upstream http_out {
    server 127.0.0.11:8081; server 127.0.0.12:8081;
    server 127.0.0.13:8081; server 127.0.0.14:8081;
  }
  server { listen 127.0.0.1:9002 backlog=4096; proxy_pass http_out; }
  server { listen 127.0.0.1:9012; proxy_pass 127.0.0.11:5201; }
}
CONF
nginx -c "$TMP/stream.conf" -p "$TMP" -e "$TMP/stream-error.log" &
PIDS+=($!)
wait_http "http://127.0.0.1:9001/"
wait_http "http://127.0.0.1:9002/"

# ---- skiff: selector-less LoadBalancer Service on 127.0.0.1:9000 (http) and :9010 (iperf3) ----
cat >"$TMP/skiff-bench.yaml" <<'CONF'
apiVersion: v1
kind: Service
metadata: {name: bench}
spec:
  type: LoadBalancer
  ports:
  - {name: http, port: 9000, targetPort: 8081}
  - {name: bulk, port: 9010, targetPort: 5201}
---
apiVersion: v1
kind: Endpoints
metadata: {name: bench}
subsets:
- addresses: [{ip: 127.0.0.11}, {ip: 127.0.0.12}, {ip: 127.0.0.13}, {ip: 127.0.0.14}]
  ports: [{name: http, port: 8081}]
- addresses: [{ip: 127.0.0.11}]
  ports: [{name: bulk, port: 5201}]
CONF
SKIFF_PID=""
start_skiff() { # workers
  mkdir -p "$TMP/skiff-$1"
  "$SKIFF" --log-level warn daemon --proxy-workers "$1" --api-addr 127.0.0.1:18900 \
    --state-dir "$TMP/skiff-$1" --dns-addr '' >"$TMP/skiff-$1.log" 2>&1 &
  SKIFF_PID=$!
  PIDS+=("$SKIFF_PID")
  wait_tcp 127.0.0.1 18900
  "$SKIFF" apply -f "$TMP/skiff-bench.yaml" --server 127.0.0.1:18900 >/dev/null
  wait_http "http://127.0.0.1:9000/"
  wait_tcp 127.0.0.1 9010
}
stop_skiff() {
  kill "$SKIFF_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SKIFF_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SKIFF_PID" 2>/dev/null || true
  wait "$SKIFF_PID" 2>/dev/null || true
}

# ---- measurement -------------------------------------------------------------------------
RAW="$TMP/raw.tsv"
: >"$RAW"
# measure NAME HTTP_HOSTPORT BULK_HOST BULK_PORT
measure() {
  local name="$1" http="$2" bhost="$3" bport="$4"
  echo "== $name" >&2
  timeout $((KA_SECS + 20)) wrk -t1 -c50 -d"${KA_SECS}s" --latency "http://$http/" \
    >"$TMP/$name-ka.txt" 2>&1 || echo "wrk keep-alive failed for $name" >&2
  sleep 1
  timeout $((CLOSE_SECS + 20)) wrk -t1 -c50 -d"${CLOSE_SECS}s" -H 'Connection: close' \
    "http://$http/" >"$TMP/$name-close.txt" 2>&1 || echo "wrk close failed for $name" >&2
  sleep 1
  timeout $((BULK_SECS + 20)) iperf3 -c "$bhost" -p "$bport" -t "$BULK_SECS" -J \
    >"$TMP/$name-bulk.json" 2>&1 || echo "iperf3 failed for $name" >&2
  sleep 1
  python3 "$HERE/parse.py" "$name" "$TMP/$name-ka.txt" "$TMP/$name-close.txt" \
    "$TMP/$name-bulk.json" >>"$RAW"
  cat "$TMP/$name-ka.txt" "$TMP/$name-close.txt" >"$TMP/$name-wrk.txt"
}

measure direct 127.0.0.11:8081 127.0.0.11 5201
start_skiff 1
measure skiff-1w 127.0.0.1:9000 127.0.0.1 9010
stop_skiff
measure haproxy 127.0.0.1:9001 127.0.0.1 9011
measure nginx-stream 127.0.0.1:9002 127.0.0.1 9012
start_skiff 2
measure skiff-2w 127.0.0.1:9000 127.0.0.1 9010
stop_skiff

# Keep the raw tool output next to the results for anyone checking an odd figure.
RAWDIR="$RESULTS/proxy-$DATE-raw"
mkdir -p "$RAWDIR"
cp "$TMP"/*-ka.txt "$TMP"/*-close.txt "$TMP"/*-bulk.json "$RAW" "$RAWDIR"/
cp "$TMP"/skiff-*.log "$RAWDIR"/ 2>/dev/null || true

python3 "$HERE/report.py" --raw "$RAW" --date "$DATE" --load "$LOAD_START" \
  --md "$RESULTS/proxy-$DATE.md" --dat "$TMP/ratios.dat" --commands "$HERE/commands.txt" \
  --ka-secs "$KA_SECS" --close-secs "$CLOSE_SECS" --bulk-secs "$BULK_SECS"
gnuplot -e "datafile='$TMP/ratios.dat'; outfile='$RESULTS/proxy-$DATE.png'; title='skiff proxy vs HAProxy, nginx stream ($DATE, ratio to direct)'" \
  "$HERE/chart.gp"
echo "wrote $RESULTS/proxy-$DATE.md and $RESULTS/proxy-$DATE.png" >&2
