#!/usr/bin/env bash
# Installs skiff's build and test dependencies (Debian 12 packages only) and builds it into
# build/. Safe to run again: packages already present are not fetched, the build is incremental.
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git
  # libraries (DESIGN.md: Boost.Asio/Beast, c-ares, yaml-cpp, nlohmann-json, spdlog/fmt, CLI11, Catch2)
  libboost-dev libboost-system-dev libc-ares-dev libyaml-cpp-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev catch2
  # the seed example runs on the host (python app.py) and tests talk to it as a user would
  python3 python3-flask python-is-python3 curl procps iproute2
)
# `./setup.sh test` also installs what the test suite drives as a user would: dig (DNS
# answers from a real client), unbound (the upstream the DNS forwarder is tested against),
# promtool (the metrics exposition checked by Prometheus) and clang with its libFuzzer runtime
# (ctest's fuzz/dns-codec; skipped without them).
if [ "${1:-}" = "test" ]; then
  packages+=(dnsutils unbound prometheus clang libclang-rt-14-dev)
  # kubectl, which the API's tests drive as a user would: Debian's kubernetes-client, unless a
  # kubectl (of any origin) is on PATH already.
  command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Release (-O2, no debug info) keeps a from-scratch build within CI's time on 2 cores;
# SKIFF_BUILD_TYPE=RelWithDebInfo for a build to debug.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${SKIFF_BUILD_TYPE:-Release}" >/dev/null
cmake --build build -j"$(nproc)"
