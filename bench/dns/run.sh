#!/usr/bin/env bash
# Measures skiff's cluster DNS side by side with unbound and dnsmasq: dnsperf asks each server the
# same A name, one server at a time, for a bounded time, in several interleaved rounds. One command:
#   bench/dns/run.sh [path/to/skiff]
# Loopback only; everything it starts is stopped on exit. Installs dnsperf, unbound, dnsmasq-base,
# g++ and linux-perf from Debian when missing (root). Results: bench/results/dns-YYYY-MM-DD.{md,png}
# for a run of the default length or longer; a shorter run (a smoke test) writes to RESULTS_DIR
# (default /tmp/skiff-bench-quick) so it never replaces a kept result.
#
# The floor: `floor` is bench/tools/dns_floor.cpp, the least a UDP DNS server can do per query
# (recvmmsg, check the question, answer in place, sendmmsg with UDP GSO), pinned like the others.
# After the rounds, one more throughput run of skiff-1w, unbound, dnsmasq and floor each is
# sampled with `perf record` for the share of the server's CPU spent in the kernel, which no
# server code can remove; the report turns both into what this machine allows per CPU-second.
#
# Fairness: every one-thread server (skiff with one worker, unbound num-threads 1, dnsmasq) runs
# pinned to CPU $SERVER_CPU and dnsperf to CPU $CLIENT_CPU, so each server has one core of its own
# and none competes with the load generator. The all-cores pair (skiff one worker per core, unbound
# one thread per core with so-reuseport) runs unpinned, dnsperf too. The machine is shared, so the
# rounds interleave the servers and the report takes each one's median.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SKIFF="${1:-${SKIFF:-$ROOT/build-lead/skiff}}"
SECS="${SECS:-10}"              # length of each throughput run
ROUNDS="${ROUNDS:-3}"           # throughput runs per server, interleaved
LAT_SECS="${LAT_SECS:-5}"       # length of each fixed-rate latency run
LAT_QPS="${LAT_QPS:-20000}"     # the fixed rate of the latency runs
OUTSTANDING="${OUTSTANDING:-200}" # dnsperf -q: queries in flight (closed loop)
CLIENTS="${CLIENTS:-8}"         # dnsperf -c: source ports, spread over SO_REUSEPORT sockets
CLIENT_CPU="${CLIENT_CPU:-0}"   # where dnsperf runs against the one-thread servers
SERVER_CPU="${SERVER_CPU:-1}"   # where the one-thread servers run
PROF_SECS="${PROF_SECS:-4}"     # length of each profiled run; perf samples 2 s from 1 s into it
DATE="$(date -u +%F)"
if [ "$SECS" -ge 10 ] && [ "$ROUNDS" -ge 3 ] && [ "$LAT_SECS" -ge 5 ]; then
  RESULTS="${RESULTS_DIR:-$ROOT/bench/results}"
else
  RESULTS="${RESULTS_DIR:-/tmp/skiff-bench-quick}" # a smoke run is no result to keep
fi
NAME="bench.default.svc.cluster.local"
ADDR="127.96.0.10"
NCPU="$(nproc)"
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
need taskset util-linux
need g++ g++
need perf linux-perf || echo "perf is not available: the kernel-share profile will say n/a" >&2
[ -x "$SKIFF" ] || { echo "skiff binary not found: $SKIFF" >&2; exit 1; }
if [ "$NCPU" -lt 2 ]; then CLIENT_CPU=0; SERVER_CPU=0; fi # one core: pinning separates nothing

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

# ---- unbound: the name as local-data; 1 thread on 127.0.0.1:15354, all cores on :15357 --------
start_unbound() { # name port threads cpus
  cat >"$TMP/$1.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $2
  num-threads: $3
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 0
  username: ""
  chroot: ""
  pidfile: ""
  directory: "$TMP"
  do-ip6: no
  so-reuseport: $([ "$3" -gt 1 ] && echo yes || echo no)
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  local-zone: "cluster.local." static
  local-data: "$NAME. 5 IN A $ADDR"
remote-control:
  control-enable: no
CONF
  taskset -c "$4" unbound -d -c "$TMP/$1.conf" >"$TMP/$1.log" 2>&1 &
  PIDS+=($!)
  eval "${1//-/_}_PID=$!"
}
start_unbound unbound 15354 1 "$SERVER_CPU"
start_unbound unbound-all 15357 "$NCPU" "0-$((NCPU - 1))"

# ---- dnsmasq: address=, 127.0.0.1:15355 -----------------------------------------------------
taskset -c "$SERVER_CPU" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv \
  --no-hosts --no-poll --port=15355 --listen-address=127.0.0.1 --bind-interfaces --user=root \
  --pid-file= --address="/$NAME/$ADDR" --log-facility="$TMP/dnsmasq.log" &
PIDS+=($!)
dnsmasq_PID=$!

# ---- floor: bench/tools/dns_floor.cpp, 127.0.0.1:15360 --------------------------------------
g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror -o "$TMP/dns_floor" \
  "$ROOT/bench/tools/dns_floor.cpp"
# It exits by itself after a bound on the whole run, should this script be killed outright.
FLOOR_BOUND=$((ROUNDS * 6 * (SECS + 5) + 6 * (LAT_SECS + 5) + 4 * (PROF_SECS + 15) + 300))
taskset -c "$SERVER_CPU" "$TMP/dns_floor" --addr 127.0.0.1:15360 --name "$NAME" --a "$ADDR" \
  --seconds "$FLOOR_BOUND" 2>"$TMP/floor.log" &
PIDS+=($!)
floor_PID=$!

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
start_skiff() { # workers cpus log-name
  rm -rf "$TMP/skiff-state"
  mkdir -p "$TMP/skiff-state"
  taskset -c "$2" "$SKIFF" --log-level warn daemon --dns-workers "$1" \
    --dns-addr 127.0.0.1:15353 --proxy-workers 1 --api-addr 127.0.0.1:18901 \
    --state-dir "$TMP/skiff-state" >>"$TMP/$3.log" 2>&1 &
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
wait_dns 15357
wait_dns 15360

# ---- measurement ---------------------------------------------------------------------------
RAW="$TMP/raw.tsv"
: >"$RAW"
# cpu_ticks PID: user + system clock ticks the process (all its threads) has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_ms() { echo "$((($2 - $1) * 1000 / $(getconf CLK_TCK)))"; }
# client CPUS: the taskset prefix for dnsperf ("" when unpinned).
client() { if [ "$1" = all ]; then echo ""; else echo "taskset -c $CLIENT_CPU"; fi; }
# throughput NAME PORT PID ROUND CLASS: a closed-loop run; the server's CPU time over it gives
# queries per CPU-second, which a loaded machine's scheduling does not skew the way it skews
# queries per second. CLASS is "one" (pinned) or "all".
throughput() {
  local name="$1" port="$2" pid="$3" round="$4" class="$5" before after
  echo "== $name round $round" >&2
  before="$(cpu_ticks "$pid")"
  timeout $((SECS + 30)) $(client "$class") dnsperf -s 127.0.0.1 -p "$port" \
    -d "$TMP/queries.txt" -l "$SECS" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 \
    >"$TMP/$name-qps-$round.txt" 2>&1 || echo "dnsperf failed for $name" >&2
  after="$(cpu_ticks "$pid")"
  python3 "$HERE/parse.py" qps "$name" "$round" "$class" "$TMP/$name-qps-$round.txt" \
    "$(cpu_ms "$before" "$after")" >>"$RAW"
  sleep 1
}
# latency NAME PORT PID CLASS: a run at a fixed rate, for percentiles and the server's CPU at the
# same offered load for every server.
latency() {
  local name="$1" port="$2" pid="$3" class="$4" before after
  echo "== $name latency" >&2
  before="$(cpu_ticks "$pid")"
  timeout $((LAT_SECS + 30)) $(client "$class") dnsperf -s 127.0.0.1 -p "$port" \
    -d "$TMP/queries.txt" -l "$LAT_SECS" -c "$CLIENTS" -Q "$LAT_QPS" -t 2 -v \
    >"$TMP/$name-lat.txt" 2>&1 || echo "dnsperf (latency) failed for $name" >&2
  after="$(cpu_ticks "$pid")"
  python3 "$HERE/parse.py" lat "$name" 0 "$class" "$TMP/$name-lat.txt" \
    "$(cpu_ms "$before" "$after")" >>"$RAW"
  sleep 1
}

for round in $(seq "$ROUNDS"); do
  start_skiff 1 "$SERVER_CPU" skiff-1w
  throughput skiff-1w 15353 "$SKIFF_PID" "$round" one
  [ "$round" = "$ROUNDS" ] && latency skiff-1w 15353 "$SKIFF_PID" one
  stop_pid "$SKIFF_PID"
  throughput unbound 15354 "$unbound_PID" "$round" one
  [ "$round" = "$ROUNDS" ] && latency unbound 15354 "$unbound_PID" one
  throughput dnsmasq 15355 "$dnsmasq_PID" "$round" one
  [ "$round" = "$ROUNDS" ] && latency dnsmasq 15355 "$dnsmasq_PID" one
  throughput floor 15360 "$floor_PID" "$round" one
  [ "$round" = "$ROUNDS" ] && latency floor 15360 "$floor_PID" one
  start_skiff 0 "0-$((NCPU - 1))" skiff-all
  throughput skiff-all 15353 "$SKIFF_PID" "$round" all
  if [ "$round" = "$ROUNDS" ]; then
    latency skiff-all 15353 "$SKIFF_PID" all
    curl -fsS --max-time 5 http://127.0.0.1:18901/metrics 2>/dev/null | grep '^skiff_dns_' \
      >"$TMP/skiff-metrics.txt" || true
  fi
  stop_pid "$SKIFF_PID"
  throughput unbound-all 15357 "$unbound_all_PID" "$round" all
  [ "$round" = "$ROUNDS" ] && latency unbound-all 15357 "$unbound_all_PID" all
done

# ---- kernel share: where each one-core server's CPU goes at saturation -----------------------
# profile NAME PORT PID: the throughput run's dnsperf line for PROF_SECS, with perf sampling the
# server for 2 s from 1 s in; keeps perf's table of samples per shared object (the kernel is
# "[kernel.kallsyms]"). A perf that cannot record leaves no table, and the report says n/a.
KERNEL="$TMP/kernel.tsv"
: >"$KERNEL"
profile() {
  local name="$1" port="$2" pid="$3" load
  echo "== $name profile" >&2
  taskset -c "$CLIENT_CPU" timeout $((PROF_SECS + 30)) dnsperf -s 127.0.0.1 -p "$port" \
    -d "$TMP/queries.txt" -l "$PROF_SECS" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 \
    >"$TMP/$name-prof.txt" 2>&1 &
  load=$!
  sleep 1
  if command -v perf >/dev/null 2>&1 &&
    timeout 30 perf record -q -p "$pid" -o "$TMP/$name.perf.data" -- sleep 2 \
      >"$TMP/$name-perf.log" 2>&1; then
    perf report -i "$TMP/$name.perf.data" --no-children --sort dso --stdio -n \
      2>>"$TMP/$name-perf.log" |
      grep -v '^# (Tip' >"$TMP/$name-perf-dso.txt" || true
  else
    echo "perf record failed for $name (see $name-perf.log)" >&2
  fi
  rm -f "$TMP/$name.perf.data"
  wait "$load" || echo "dnsperf failed for $name (profile)" >&2
  python3 "$HERE/parse.py" kernel "$name" "$TMP/$name-perf-dso.txt" >>"$KERNEL"
  sleep 1
}
start_skiff 1 "$SERVER_CPU" skiff-1w
profile skiff-1w 15353 "$SKIFF_PID"
stop_pid "$SKIFF_PID"
profile unbound 15354 "$unbound_PID"
profile dnsmasq 15355 "$dnsmasq_PID"
profile floor 15360 "$floor_PID"
stop_pid "$floor_PID" # it prints its counts on exit

RAWDIR="$RESULTS/dns-$DATE-raw"
rm -rf "$RAWDIR"
mkdir -p "$RAWDIR"
cp "$TMP"/*-qps-*.txt "$RAW" "$KERNEL" "$TMP/floor.log" "$RAWDIR"/
cp "$TMP"/*-perf-dso.txt "$TMP"/*-perf.log "$RAWDIR"/ 2>/dev/null || true
for f in "$TMP"/*-prof.txt; do tail -n 30 "$f" >"$RAWDIR/$(basename "$f")"; done
for f in "$TMP"/*-lat.txt; do tail -n 30 "$f" >"$RAWDIR/$(basename "$f")"; done
cp "$TMP"/skiff-*.log "$TMP/skiff-metrics.txt" "$RAWDIR"/ 2>/dev/null || true

python3 "$HERE/report.py" --raw "$RAW" --date "$DATE" --load "$LOAD_START" \
  --md "$RESULTS/dns-$DATE.md" --dat "$TMP/qps.dat" --secs "$SECS" --rounds "$ROUNDS" \
  --kernel "$KERNEL" --prof-secs "$PROF_SECS" \
  --lat-secs "$LAT_SECS" --lat-qps "$LAT_QPS" --outstanding "$OUTSTANDING" --clients "$CLIENTS" \
  --client-cpu "$CLIENT_CPU" --server-cpu "$SERVER_CPU" \
  --skiff "$("$SKIFF" --version 2>/dev/null | head -1) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes'))" \
  --unbound "$(unbound -V 2>/dev/null | head -1)" \
  --dnsmasq "$(dnsmasq --version 2>/dev/null | head -1)" \
  --dnsperf "$(dnsperf -h 2>&1 | grep -m1 Version || true)"
gnuplot -e "datafile='$TMP/qps.dat'; outfile='$RESULTS/dns-$DATE.png'; title='cluster DNS: queries/s, one A name, median of $ROUNDS ($DATE)'" \
  "$HERE/chart.gp"
echo "wrote $RESULTS/dns-$DATE.md and $RESULTS/dns-$DATE.png" >&2
