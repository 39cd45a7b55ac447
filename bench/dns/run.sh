#!/usr/bin/env bash
# Measures skiff's cluster DNS side by side with unbound and dnsmasq: dnsperf asks each server the
# same A name, one after the other, for a bounded time. One command:
#   bench/dns/run.sh [path/to/skiff]
# Loopback only; everything it starts is stopped on exit. Installs dnsperf, unbound and
# dnsmasq-base from Debian when missing (root). Results: bench/results/dns-YYYY-MM-DD.{md,png}.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SKIFF="${1:-${SKIFF:-$ROOT/build-lead/skiff}}"
SECS="${SECS:-10}"              # length of each throughput run
LAT_SECS="${LAT_SECS:-5}"       # length of each fixed-rate latency run
LAT_QPS="${LAT_QPS:-20000}"     # the fixed rate of the latency runs
OUTSTANDING="${OUTSTANDING:-200}" # dnsperf -q: queries in flight (closed loop)
CLIENTS="${CLIENTS:-8}"         # dnsperf -c: source ports, spread over SO_REUSEPORT sockets
DATE="$(date -u +%F)"
RESULTS="$ROOT/bench/results"
NAME="bench.default.svc.cluster.local"
ADDR="127.96.0.10"
mkdir -p "$RESULTS"

need() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >/dev/null
}
need dnsperf dnsperf
need unbound unbound
need dnsmasq dnsmasq-base
need dig bind9-dnsutils
need gnuplot gnuplot-nox
[ -x "$SKIFF" ] || { echo "skiff binary not found: $SKIFF" >&2; exit 1; }

TMP="$(mktemp -d /tmp/skiff-dnsbench.XXXXXX)"
PIDS=()
stop_pid() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# wait_dns PORT: up to 10 s for an A answer for $NAME.
wait_dns() {
  for _ in $(seq 100); do
    [ "$(dig +short +time=1 +tries=1 -p "$1" @127.0.0.1 "$NAME" A 2>/dev/null)" = "$ADDR" ] &&
      return 0
    sleep 0.1
  done
  echo "no answer for $NAME on port $1" >&2
  return 1
}

echo "$NAME A" >"$TMP/queries.txt"

# ---- unbound: 1 thread, the name as local-data, 127.0.0.1:15354 ------------------------------
cat >"$TMP/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: 15354
  num-threads: 1
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 0
  username: ""
  chroot: ""
  pidfile: ""
  directory: "$TMP"
  do-ip6: no
  so-reuseport: no
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  local-zone: "cluster.local." static
  local-data: "$NAME. 5 IN A $ADDR"
remote-control:
  control-enable: no
CONF
unbound -d -c "$TMP/unbound.conf" >"$TMP/unbound.log" 2>&1 &
PIDS+=($!)
UNBOUND_PID=$!

# ---- dnsmasq: address=, 127.0.0.1:15355 -----------------------------------------------------
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
  --port=15355 --listen-address=127.0.0.1 --bind-interfaces --user=root --pid-file= \
  --address="/$NAME/$ADDR" --log-facility="$TMP/dnsmasq.log" &
PIDS+=($!)
DNSMASQ_PID=$!

# ---- skiff: a selector-less ClusterIP Service, so the name has an A record ------------------
cat >"$TMP/skiff-bench.yaml" <<CONF
apiVersion: v1
kind: Service
metadata: {name: bench}
spec:
  clusterIP: $ADDR
  ports:
  - {name: dns, port: 53, protocol: UDP}
CONF
SKIFF_PID=""
start_skiff() { # workers
  mkdir -p "$TMP/skiff-$1"
  "$SKIFF" --log-level warn daemon --dns-workers "$1" --dns-addr 127.0.0.1:15353 \
    --proxy-workers 1 --api-addr 127.0.0.1:18901 --state-dir "$TMP/skiff-$1" \
    >"$TMP/skiff-$1.log" 2>&1 &
  SKIFF_PID=$!
  PIDS+=("$SKIFF_PID")
  for _ in $(seq 100); do
    "$SKIFF" apply -f "$TMP/skiff-bench.yaml" --server 127.0.0.1:18901 >/dev/null 2>&1 && break
    sleep 0.1
  done
  wait_dns 15353
}

wait_dns 15354
wait_dns 15355

# ---- measurement ---------------------------------------------------------------------------
RAW="$TMP/raw.tsv"
: >"$RAW"
# cpu_ticks PID: user + system clock ticks the process (all its threads) has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure NAME PORT PID: a closed-loop throughput run, then a fixed-rate run for latency
# percentiles. The server's CPU time over the throughput run gives queries per CPU-second, which
# a loaded machine's scheduling does not skew the way it skews queries per second.
measure() {
  local name="$1" port="$2" pid="$3"
  echo "== $name" >&2
  local before after
  before="$(cpu_ticks "$pid")"
  timeout $((SECS + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries.txt" -l "$SECS" \
    -c "$CLIENTS" -q "$OUTSTANDING" -t 2 >"$TMP/$name-qps.txt" 2>&1 ||
    echo "dnsperf failed for $name" >&2
  after="$(cpu_ticks "$pid")"
  echo "$(((after - before) * 1000 / $(getconf CLK_TCK)))" >"$TMP/$name-cpu-ms.txt"
  sleep 1
  timeout $((LAT_SECS + 30)) dnsperf -s 127.0.0.1 -p "$port" -d "$TMP/queries.txt" \
    -l "$LAT_SECS" -c "$CLIENTS" -Q "$LAT_QPS" -t 2 -v >"$TMP/$name-lat.txt" 2>&1 ||
    echo "dnsperf (latency) failed for $name" >&2
  sleep 1
  python3 "$HERE/parse.py" "$name" "$TMP/$name-qps.txt" "$TMP/$name-lat.txt" \
    "$(cat "$TMP/$name-cpu-ms.txt")" >>"$RAW"
}

start_skiff 1
measure skiff-1w 15353 "$SKIFF_PID"
stop_pid "$SKIFF_PID"
measure unbound 15354 "$UNBOUND_PID"
measure dnsmasq 15355 "$DNSMASQ_PID"
stop_pid "$UNBOUND_PID"
stop_pid "$DNSMASQ_PID"
start_skiff 0
measure skiff-all 15353 "$SKIFF_PID"
curl -fsS --max-time 5 http://127.0.0.1:18901/metrics 2>/dev/null | grep '^skiff_dns_' \
  >"$TMP/skiff-metrics.txt" || true
stop_pid "$SKIFF_PID"

RAWDIR="$RESULTS/dns-$DATE-raw"
mkdir -p "$RAWDIR"
cp "$TMP"/*-qps.txt "$RAW" "$RAWDIR"/
for f in "$TMP"/*-lat.txt; do tail -n 30 "$f" >"$RAWDIR/$(basename "$f")"; done
cp "$TMP"/skiff-*.log "$TMP/skiff-metrics.txt" "$RAWDIR"/ 2>/dev/null || true

python3 "$HERE/report.py" --raw "$RAW" --date "$DATE" --load "$LOAD_START" \
  --md "$RESULTS/dns-$DATE.md" --dat "$TMP/qps.dat" --secs "$SECS" --lat-secs "$LAT_SECS" \
  --lat-qps "$LAT_QPS" --outstanding "$OUTSTANDING" --clients "$CLIENTS" \
  --skiff "$("$SKIFF" --version 2>/dev/null | head -1) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes'))" \
  --unbound "$(unbound -V 2>/dev/null | head -1)" \
  --dnsmasq "$(dnsmasq --version 2>/dev/null | head -1)" \
  --dnsperf "$(dnsperf -h 2>&1 | grep -m1 Version || true)"
gnuplot -e "datafile='$TMP/qps.dat'; outfile='$RESULTS/dns-$DATE.png'; title='cluster DNS: queries/s, one A name ($DATE)'" \
  "$HERE/chart.gp"
echo "wrote $RESULTS/dns-$DATE.md and $RESULTS/dns-$DATE.png" >&2
