#!/bin/sh
# Builds the DNS codec libFuzzer target with clang and runs it for a bounded time on a copy of
# the seed corpus (libFuzzer adds to the corpus directory it is given; the checked-in seeds stay
# untouched). Exit status: 0 no crash, 77 skipped (no clang or no libFuzzer runtime; ctest maps
# it to "skipped" through SKIP_RETURN_CODE), anything else a build failure or a crash.
# Usage: run_fuzz.sh SOURCE_DIR WORK_DIR [SECONDS]
set -u
src=${1:?source dir}
work=${2:?work dir}
seconds=${3:-30}
skip=77

cxx=${SKIFF_FUZZ_CXX:-clang++}
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SKIP: $cxx not found; the libFuzzer target needs clang" >&2
  exit $skip
fi
mkdir -p "$work" || exit 1

# A bare probe tells "this toolchain has no libFuzzer runtime" (skip) apart from "the codec does
# not compile" (failure).
probe="$work/probe.cpp"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$probe"
if ! "$cxx" -fsanitize=fuzzer "$probe" -o "$work/probe" 2>"$work/probe.log"; then
  echo "SKIP: $cxx cannot link -fsanitize=fuzzer (libFuzzer runtime missing, e.g. the" \
    "libclang-rt-dev package):" >&2
  cat "$work/probe.log" >&2
  exit $skip
fi

binary="$work/codec_fuzz"
if ! "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$src" \
  "$src/dns/codec.cpp" "$src/tests/unit/dns/fuzz/codec_fuzz.cpp" -o "$binary"; then
  echo "FAIL: the fuzz target did not build" >&2
  exit 1
fi

corpus="$work/corpus"
rm -rf "$corpus" && mkdir -p "$corpus" && cp "$src"/tests/unit/dns/fuzz/corpus/* "$corpus"/ ||
  exit 1
# -timeout bounds one input (a hang counts as a failure); -max_total_time bounds the run.
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
  -artifact_prefix="$work/" "$corpus"
status=$?
if [ $status -ne 0 ]; then
  echo "FAIL: the fuzzer found a crash (status $status); reproducer in $work/" >&2
fi
exit $status
