#!/usr/bin/env bash
# Measures skiff's proxy side by side with HAProxy, nginx stream, a floor relay (the least a
# user-space TCP proxy can do: bench/tools/tcp_relay.cpp) and a direct connection: HTTP keep-alive
# req/s and p99, a new connection per request, bulk TCP, UDP packets/s, and the memory of 10 000
# idle connections; then a perf profile of each one-thread proxy under keep-alive load gives the
# kernel's share of its CPU. One command: bench/proxy/run.sh [path/to/skiff]. Loopback only;
# everything it starts is stopped on exit; every load is bounded in count and time (about 6 min
# in all). Results: bench/results/proxy-YYYY-MM-DD.{md,png} and proxy-YYYY-MM-DD-raw/.
#
# For quick comparisons while working on the proxy (the results then go to RESULTS_DIR, default
# /tmp/skiff-bench-quick, not to bench/results; so do those of runs shorter than the defaults):
#   TESTS="ka close"          only these tests (of: ka close bulk udp hold)
#   SKIFF_BASE=path/to/skiff  adds target "skiff-base": that binary on one worker, so an old and
#                             a new build are measured side by side in the same run
#   ALL_CORES=0               leaves out the skiff-Nw (one worker per core) target
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SKIFF="${1:-${SKIFF:-$ROOT/build-lead/skiff}}"
ROUNDS="${ROUNDS:-5}"            # every test visits every target once per round
KA_SECS="${KA_SECS:-4}"          # keep-alive run length, per round
CLOSE_SECS="${CLOSE_SECS:-4}"    # connection-per-request run length, per round
BULK_SECS="${BULK_SECS:-2}"      # iperf3 run length, per round
UDP_SECS="${UDP_SECS:-2}"        # udp_blast run length, per round
HOLD_CONNS="${HOLD_CONNS:-10000}" # idle connections held through each proxy
HOLD_IDLE="${HOLD_IDLE:-3}"      # seconds they sit idle before memory is measured
DATE="$(date -u +%F)"
ALL_TESTS="ka close bulk udp hold"
TESTS="${TESTS:-$ALL_TESTS}"
SKIFF_BASE="${SKIFF_BASE:-}"
ALL_CORES="${ALL_CORES:-1}"
for test in $TESTS; do
  case " $ALL_TESTS " in *" $test "*) ;; *) echo "unknown test in TESTS: $test" >&2; exit 2 ;; esac
done
if [ "$TESTS" = "$ALL_TESTS" ] && [ -z "$SKIFF_BASE" ] && [ "$ALL_CORES" = 1 ] &&
  [ "$ROUNDS" -ge 5 ] && [ "$KA_SECS" -ge 4 ] && [ "$CLOSE_SECS" -ge 4 ] &&
  [ "$BULK_SECS" -ge 2 ] && [ "$UDP_SECS" -ge 2 ] && [ "$HOLD_CONNS" -ge 10000 ] &&
  [ "$HOLD_IDLE" -ge 3 ]; then
  RESULTS="${RESULTS_DIR:-$ROOT/bench/results}"
else
  RESULTS="${RESULTS_DIR:-/tmp/skiff-bench-quick}" # a partial run is no result to keep
fi
PY=/usr/bin/python3 # Debian's python, where python3-matplotlib lives
NPROC="$(nproc)"
mkdir -p "$RESULTS"

# ---- packages (Debian) ------------------------------------------------------------------------
MISSING=()
for pair in wrk:wrk haproxy:haproxy nginx:nginx iperf3:iperf3 curl:curl g++:g++; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || MISSING+=("${pair#*:}")
done
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || MISSING+=(libnginx-mod-stream)
[ -x "$PY" ] && "$PY" -c 'import matplotlib' 2>/dev/null || MISSING+=(python3 python3-matplotlib)
if [ "${#MISSING[@]}" -gt 0 ]; then
  echo "installing ${MISSING[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${MISSING[@]}" >/dev/null
fi
# perf only serves the kernel-share profile: without it the run goes on and the profile says n/a.
if ! command -v perf >/dev/null 2>&1; then
  echo "installing linux-perf" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends linux-perf \
    >/dev/null 2>&1 || echo "linux-perf not installed: no kernel-share profile" >&2
fi
[ -x "$SKIFF" ] || { echo "skiff binary not found: $SKIFF" >&2; exit 1; }

# ---- descriptors: a proxy holding N connections needs 2N of them --------------------------------
ulimit -Hn 1048576 2>/dev/null || true # needs CAP_SYS_RESOURCE; otherwise keep the hard limit
ulimit -Sn "$(ulimit -Hn)"
NOFILE="$(ulimit -n)"
HOLD_MAX=$(((NOFILE - 256) / 2))
if [ "$HOLD_CONNS" -gt "$HOLD_MAX" ]; then
  echo "descriptor limit $NOFILE: holding $HOLD_MAX idle connections instead of $HOLD_CONNS" >&2
  HOLD_CONNS="$HOLD_MAX"
fi

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

# ---- load tools and echo backends -------------------------------------------------------------
mkdir -p "$TMP/tools"
for tool in udp_echo udp_blast tcp_echo tcp_hold tcp_relay; do
  g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror -o "$TMP/tools/$tool" \
    "$ROOT/bench/tools/$tool.cpp"
done
T="$TMP/tools"

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
# wait_udp HOST:PORT: up to 10 s for echoes.
wait_udp() {
  for _ in $(seq 20); do
    "$T/udp_blast" --target "$1" --flows 1 --window 1 --count 3 --seconds 1 >/dev/null 2>&1 &&
      return 0
    sleep 0.2
  done
  echo "no UDP echo from $1" >&2
  return 1
}

# ---- backends: nginx on 127.0.0.11-14:8081, iperf3 on .11:5201, echoes (.15-19, .21) ----------
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
"$T/udp_echo" --seconds 1200 127.0.0.11:7001 127.0.0.12:7001 127.0.0.13:7001 127.0.0.14:7001 &
PIDS+=($!)
"$T/tcp_echo" --seconds 1200 127.0.0.15:7100 127.0.0.16:7100 127.0.0.17:7100 127.0.0.18:7100 \
  127.0.0.19:7100 127.0.0.21:7100 &
PIDS+=($!)
for a in 11 12 13 14; do wait_http "http://127.0.0.$a:8081/"; done
wait_tcp 127.0.0.11 5201
wait_tcp 127.0.0.15 7100
wait_udp 127.0.0.11:7001

# ---- HAProxy: 127.0.0.1:9001 (http), :9011 (iperf3), :9021 (idle connections) ------------------
cat >"$TMP/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn $((HOLD_CONNS + 100))
defaults
  mode tcp
  maxconn $((HOLD_CONNS + 100))
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
frontend hold_in
  bind 127.0.0.1:9021
  default_backend hold_out
backend hold_out
  server e1 127.0.0.16:7100
CONF
haproxy -f "$TMP/haproxy.cfg" -db >"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")

# ---- nginx stream: :9002 (http), :9012 (iperf3), :9022 (idle), :9032/udp -----------------------
cat >"$TMP/stream.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $TMP/stream.pid;
error_log $TMP/stream-error.log warn;
events { worker_connections $((2 * HOLD_CONNS + 200)); }
stream {
  upstream http_out {
    server 127.0.0.11:8081; server 127.0.0.12:8081;
    server 127.0.0.13:8081; server 127.0.0.14:8081;
  }
  upstream udp_out {
    server 127.0.0.11:7001; server 127.0.0.12:7001;
    server 127.0.0.13:7001; server 127.0.0.14:7001;
  }
  server { listen 127.0.0.1:9002 backlog=4096; proxy_pass http_out; }
  server { listen 127.0.0.1:9012; proxy_pass 127.0.0.11:5201; }
  server { listen 127.0.0.1:9022 backlog=4096; proxy_pass 127.0.0.17:7100; }
  server { listen 127.0.0.1:9032 udp; proxy_pass udp_out; proxy_timeout 30s; }
}
CONF
nginx -c "$TMP/stream.conf" -p "$TMP" -e "$TMP/stream-error.log" &
STREAM_PID=$!
PIDS+=("$STREAM_PID")

# ---- floor: tcp_relay, one process per listener, :9300 (http), :9310 (iperf3), :9320 (idle) ----
# The least a user-space TCP proxy can do (see bench/tools/tcp_relay.cpp): one thread, epoll,
# recv/send. Its CPU per request is what the kernel charges any such proxy on this machine.
FLOOR_PIDS=""
for spec in "9300 127.0.0.11:8081 127.0.0.12:8081 127.0.0.13:8081 127.0.0.14:8081" \
  "9310 127.0.0.11:5201" "9320 127.0.0.21:7100"; do
  read -r port backends <<<"$spec"
  # shellcheck disable=SC2086 # the backend list is meant to split
  "$T/tcp_relay" --seconds 1200 "127.0.0.1:$port" $backends >>"$TMP/floor.log" 2>&1 &
  PIDS+=($!)
  FLOOR_PIDS+="${FLOOR_PIDS:+,}$!"
done

wait_http "http://127.0.0.1:9001/"
wait_http "http://127.0.0.1:9002/"
wait_http "http://127.0.0.1:9300/"
wait_tcp 127.0.0.1 9310
wait_tcp 127.0.0.1 9320
wait_udp 127.0.0.1:9032
# nginx's memory is its master's plus its worker's.
STREAM_PIDS="$STREAM_PID,$(pgrep -P "$STREAM_PID" | paste -sd, -)"

# ---- skiff: selector-less LoadBalancer Service `bench` -----------------------------------------
# Two daemons run side by side so that every test can visit every target in turn: skiff-1w
# (--proxy-workers 1) on 127.0.0.1:9000/9010/9020 and :9030/udp, skiff-Nw (one worker per core) on
# :9100/9110/9120 and :9130/udp. NodePorts are explicit (port + 22000) so the two daemons do not
# both allocate 30000. Only the one being measured carries traffic.
skiff_yaml() { # BASE_PORT HOLD_BACKEND_IP
  cat <<CONF
apiVersion: v1
kind: Service
metadata: {name: bench}
spec:
  type: LoadBalancer
  ports:
  - {name: http, port: $1, targetPort: 8081, nodePort: $(($1 + 22000))}
  - {name: bulk, port: $(($1 + 10)), targetPort: 5201, nodePort: $(($1 + 22010))}
  - {name: hold, port: $(($1 + 20)), targetPort: 7100, nodePort: $(($1 + 22020))}
  - {name: udp, port: $(($1 + 30)), targetPort: 7001, protocol: UDP, nodePort: $(($1 + 22030))}
---
apiVersion: v1
kind: Endpoints
metadata: {name: bench}
subsets:
- addresses: [{ip: 127.0.0.11}, {ip: 127.0.0.12}, {ip: 127.0.0.13}, {ip: 127.0.0.14}]
  ports: [{name: http, port: 8081}, {name: udp, port: 7001, protocol: UDP}]
- addresses: [{ip: 127.0.0.11}]
  ports: [{name: bulk, port: 5201}]
- addresses: [{ip: $2}]
  ports: [{name: hold, port: 7100}]
CONF
}
SKIFF_PID=""
start_skiff() { # WORKERS API_PORT SERVICE_CIDR BASE_PORT HOLD_BACKEND_IP [BINARY NAME]
  local binary="${6:-$SKIFF}" name="${7:-skiff-$1w}"
  local dir="$TMP/$name"
  mkdir -p "$dir"
  skiff_yaml "$4" "$5" >"$dir/bench.yaml"
  "$binary" --log-level warn daemon --proxy-workers "$1" --api-addr "127.0.0.1:$2" \
    --service-cidr "$3" --state-dir "$dir" --dns-addr '' >"$TMP/$name.log" 2>&1 &
  SKIFF_PID=$!
  PIDS+=("$SKIFF_PID")
  wait_tcp 127.0.0.1 "$2"
  "$binary" apply -f "$dir/bench.yaml" --server "127.0.0.1:$2" >/dev/null
  wait_http "http://127.0.0.1:$4/"
  wait_tcp 127.0.0.1 $(($4 + 10))
  wait_tcp 127.0.0.1 $(($4 + 20))
  wait_udp "127.0.0.1:$(($4 + 30))"
}

# ---- targets -----------------------------------------------------------------------------------
# name -> "HTTP_HOSTPORT BULK_HOST BULK_PORT UDP_HOSTPORT|- HOLD_HOSTPORT|- PIDS|-"
declare -A TARGET
TARGETS=(direct skiff-1w haproxy nginx-stream floor)
TARGET[direct]="127.0.0.11:8081 127.0.0.11 5201 127.0.0.11:7001 - -"
start_skiff 1 18910 127.98.0.0/16 9000 127.0.0.15
TARGET[skiff-1w]="127.0.0.1:9000 127.0.0.1 9010 127.0.0.1:9030 127.0.0.1:9020 $SKIFF_PID"
TARGET[haproxy]="127.0.0.1:9001 127.0.0.1 9011 - 127.0.0.1:9021 $HAPROXY_PID"
TARGET[nginx-stream]="127.0.0.1:9002 127.0.0.1 9012 127.0.0.1:9032 127.0.0.1:9022 $STREAM_PIDS"
TARGET[floor]="127.0.0.1:9300 127.0.0.1 9310 - 127.0.0.1:9320 $FLOOR_PIDS"
SKIFF_ALL=""
if [ -n "$SKIFF_BASE" ]; then
  [ -x "$SKIFF_BASE" ] || { echo "SKIFF_BASE binary not found: $SKIFF_BASE" >&2; exit 1; }
  start_skiff 1 18912 127.97.0.0/16 9200 127.0.0.19 "$SKIFF_BASE" skiff-base
  TARGETS+=(skiff-base)
  TARGET[skiff-base]="127.0.0.1:9200 127.0.0.1 9210 127.0.0.1:9230 127.0.0.1:9220 $SKIFF_PID"
fi
if [ "$NPROC" -gt 1 ] && [ "$ALL_CORES" = 1 ]; then
  SKIFF_ALL="skiff-${NPROC}w"
  start_skiff "$NPROC" 18911 127.99.0.0/16 9100 127.0.0.18
  TARGETS+=("$SKIFF_ALL")
  TARGET[$SKIFF_ALL]="127.0.0.1:9100 127.0.0.1 9110 127.0.0.1:9130 127.0.0.1:9120 $SKIFF_PID"
fi

# ---- measurement -------------------------------------------------------------------------------
# Test by test, each test visiting every target in turn, for ROUNDS rounds (every other round in
# reverse order), so that a change in the machine's background load falls on all targets alike.
# cpu_ticks PIDS: user + system clock ticks used so far by the comma-separated processes.
cpu_ticks() {
  local total=0 pid stat f
  for pid in ${1//,/ }; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    read -r -a f <<<"${stat##*) }" # fields from the 3rd on: utime is the 14th, stime the 15th
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
CLK_TCK="$(getconf CLK_TCK)"

run_test() { # TEST NAME ROUND
  local test="$1" name="$2" round="$3" http bhost bport udp hold pids
  read -r http bhost bport udp hold pids <<<"${TARGET[$name]}"
  local out="$TMP/$name-$test-$round" ticks=""
  # The proxy's own CPU time per request is the figure the machine's noise disturbs least.
  [ "$pids" != "-" ] && ticks="$(cpu_ticks "$pids")"
  case "$test" in
  ka)
    timeout $((KA_SECS + 20)) wrk -t1 -c50 -d"${KA_SECS}s" --latency "http://$http/" \
      >"$out.txt" 2>&1 || echo "wrk keep-alive failed for $name" >&2 ;;
  close)
    timeout $((CLOSE_SECS + 20)) wrk -t1 -c50 -d"${CLOSE_SECS}s" -H 'Connection: close' \
      "http://$http/" >"$out.txt" 2>&1 || echo "wrk close failed for $name" >&2 ;;
  bulk)
    timeout $((BULK_SECS + 20)) iperf3 -c "$bhost" -p "$bport" -t "$BULK_SECS" -J \
      >"$out.json" 2>&1 || echo "iperf3 failed for $name" >&2 ;;
  udp)
    [ "$udp" = "-" ] && return 0
    timeout $((UDP_SECS + 20)) "$T/udp_blast" --target "$udp" --flows 8 --window 16 \
      --count 50000000 --seconds "$UDP_SECS" --size 64 >"$out.json" 2>&1 ||
      echo "udp_blast failed for $name" >&2 ;;
  hold)
    [ "$hold" = "-" ] && return 0
    timeout 120 "$T/tcp_hold" --target "$hold" --count "$HOLD_CONNS" --idle "$HOLD_IDLE" \
      --seconds 90 --pids "$pids" >"$out.json" 2>&1 ||
      echo "tcp_hold: not every connection worked through $name" >&2 ;;
  esac
  if [ -n "$ticks" ] && [ "$test" != hold ]; then
    echo "$(($(cpu_ticks "$pids") - ticks)) $CLK_TCK" >"$out.cpu" # ticks, ticks per second
  fi
  sleep 0.5
}

for round in $(seq "$ROUNDS"); do
  ORDER=("${TARGETS[@]}")
  if [ $((round % 2)) -eq 0 ]; then
    ORDER=()
    for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do ORDER+=("${TARGETS[$i]}"); done
  fi
  for test in $TESTS; do
    [ "$test" = hold ] && continue
    echo "== round $round/$ROUNDS: $test (${ORDER[*]})" >&2
    for name in "${ORDER[@]}"; do run_test "$test" "$name" "$round"; done
  done
done
if [[ " $TESTS " == *" hold "* ]]; then
  echo "== idle connections" >&2
  for name in "${TARGETS[@]}"; do run_test hold "$name" 1; done
fi

# ---- kernel share: where each one-thread proxy's CPU goes under keep-alive load ----------------
# One more keep-alive run per proxy (same wrk line, 3 s) with perf sampling the proxy's processes
# for 2 s from 0.5 s in; only the table of samples per DSO (kernel, the binary, libc...) is kept.
# Without perf, or where it may not record (no permission, no counters), the table says why and
# the report prints n/a.
if [[ " $TESTS " == *" ka "* ]]; then
  echo "== kernel share (perf)" >&2
  for name in skiff-1w haproxy nginx-stream floor; do
    read -r http _ _ _ _ pids <<<"${TARGET[$name]}"
    out="$TMP/$name-perf"
    timeout 30 wrk -t1 -c50 -d3s --latency "http://$http/" >"$out-wrk.txt" 2>&1 &
    wrk_pid=$!
    sleep 0.5
    if ! command -v perf >/dev/null 2>&1; then
      echo "perf: not installed" >"$out.txt"
    elif timeout 20 perf record -p "$pids" -o "$out.data" -- sleep 2 >"$out.log" 2>&1; then
      perf report -i "$out.data" --no-children --sort dso --stdio >"$out.txt" 2>>"$out.log" ||
        echo "perf report failed: $(tail -n 3 "$out.log" | tr '\n' ' ')" >"$out.txt"
    else
      echo "perf record failed: $(tail -n 3 "$out.log" | tr '\n' ' ')" >"$out.txt"
    fi
    rm -f "$out.data" "$out.data.old" "$out.log"
    wait "$wrk_pid" || echo "wrk failed during the profile of $name" >&2
    sleep 0.5
  done
fi

RAW="$TMP/raw.jsonl"
: >"$RAW"
for name in "${TARGETS[@]}"; do "$PY" "$HERE/parse.py" "$name" "$TMP" >>"$RAW"; done

# Keep the raw tool output next to the results for anyone checking an odd figure.
RAWDIR="$RESULTS/proxy-$DATE-raw"
rm -rf "$RAWDIR"
mkdir -p "$RAWDIR"
shopt -s nullglob # a run of only some tests has no files of the others
cp "$TMP"/*-ka-*.txt "$TMP"/*-close-*.txt "$TMP"/*-bulk-*.json "$TMP"/*-udp-*.json \
  "$TMP"/*-hold-*.json "$TMP"/*.cpu "$TMP"/*-perf.txt "$TMP"/*-perf-wrk.txt "$TMP"/skiff-*.log \
  "$RAW" "$RAWDIR"/
shopt -u nullglob

SETTINGS="rounds=$ROUNDS ka=$KA_SECS close=$CLOSE_SECS bulk=$BULK_SECS udp=$UDP_SECS hold=$HOLD_CONNS"
SETTINGS+=" idle=$HOLD_IDLE nproc=$NPROC"
SETTINGS+=" haproxy_version=$(haproxy -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p')"
SETTINGS+=" nginx_version=$(nginx -v 2>&1 | sed 's|.*nginx/||')"
"$PY" "$HERE/report.py" --raw "$RAW" --date "$DATE" --load "$LOAD_START" \
  --md "$RESULTS/proxy-$DATE.md" --commands "$HERE/commands.txt" --skiff-1w skiff-1w \
  --settings "$SETTINGS" --nofile "$NOFILE"
"$PY" "$HERE/chart.py" --raw "$RAW" --out "$RESULTS/proxy-$DATE.png" --skiff-1w skiff-1w \
  --title "skiff proxy vs HAProxy, nginx stream and a floor relay, one thread each — $DATE, \
$NPROC CPUs ($(uname -n))"
echo "wrote $RESULTS/proxy-$DATE.md and $RESULTS/proxy-$DATE.png" >&2
