#!/usr/bin/env bash
# Installs what the tests need, builds Debug with ASan+UBSan, runs every test through ctest.
# RAMPART_FUZZ_SECONDS=N (default 10) also runs each libFuzzer target for N seconds (0 skips).
set -euo pipefail
cd "$(dirname "$0")"
. tests/deps.sh
rp_deps build test $(cd tests/deps && ls | sed -n "s/^\(test-.*\)\.txt$/\1/p")

jobs=$(nproc)
cmake -S . -B build/debug -DCMAKE_BUILD_TYPE=Debug -DRAMPART_SANITIZE=ON >/dev/null
cmake --build build/debug -j "$jobs" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/debug && ctest --output-on-failure -j "$jobs")

fuzz_s=${RAMPART_FUZZ_SECONDS:-10}
if [ "$fuzz_s" -gt 0 ]; then
	CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMPART_FUZZ=ON >/dev/null
	cmake --build build/fuzz -j "$jobs" >/dev/null
	tests/fuzz.sh build/fuzz "$fuzz_s"
fi
echo "test.sh: all passed"
