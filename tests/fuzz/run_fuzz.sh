#!/bin/sh
# Builds one libFuzzer target with clang and runs it for a bounded time on a copy of its seed
# corpus (libFuzzer adds to the corpus directory it is given; the checked-in seeds stay
# untouched). Exit status: 0 no crash, 77 skipped (no clang or no libFuzzer runtime; ctest maps
# it to "skipped" through SKIP_RETURN_CODE), anything else a build failure or a crash.
# Usage: run_fuzz.sh SOURCE_DIR WORK_DIR SECONDS CORPUS_DIR SOURCE.cpp... [-lLIB...]
#   SOURCE.cpp paths are relative to SOURCE_DIR (the first one holds LLVMFuzzerTestOneInput);
#   -l arguments are passed to the link.
set -u
src=${1:?source dir}
work=${2:?work dir}
seconds=${3:?seconds}
corpus_seeds=${4:?corpus dir}
shift 4
skip=77

cxx=${SKIFF_FUZZ_CXX:-clang++}
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SKIP: $cxx not found; the libFuzzer target needs clang" >&2
  exit $skip
fi
mkdir -p "$work" || exit 1

# A bare probe tells "this toolchain has no libFuzzer runtime" (skip) apart from "the code does
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

sources=""
libs=""
for arg in "$@"; do
  case "$arg" in
  -l*) libs="$libs $arg" ;;
  *) sources="$sources $src/$arg" ;;
  esac
done
binary="$work/fuzz_target"
# shellcheck disable=SC2086 # word splitting of the lists is intended
# -g1: line tables for the sanitizers' stack traces, without the full debug info's build time.
# -O0 by default: under ctest the build is most of the cost (config: 117 s of CPU at -O0 against
# 166 s at -O1) and the run is a short smoke over the corpus; SKIFF_FUZZ_OPT=-O1 for long runs.
if ! "$cxx" -std=c++20 -g1 "${SKIFF_FUZZ_OPT:--O0}" -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$src" $sources -o "$binary" $libs; then
  echo "FAIL: the fuzz target did not build" >&2
  exit 1
fi

corpus="$work/corpus"
rm -rf "$corpus" && mkdir -p "$corpus" && cp "$src/$corpus_seeds"/* "$corpus"/ || exit 1
# -timeout bounds one input (a hang counts as a failure); -max_total_time bounds the run.
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" "$corpus"
status=$?
if [ $status -ne 0 ]; then
  echo "FAIL: the fuzzer found a crash (status $status); reproducer in $work/" >&2
fi
exit $status
