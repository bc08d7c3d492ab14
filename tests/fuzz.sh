#!/usr/bin/env bash
# tests/fuzz.sh BUILD_DIR SECONDS: runs every libFuzzer target of a RAMPART_FUZZ=ON build for
# SECONDS each, starting from (and adding to a scratch copy of) its seed corpus. Exits non-zero on
# the first finding; the crashing input is left in BUILD_DIR/fuzz-findings/.
set -euo pipefail
build=${1:?usage: tests/fuzz.sh BUILD_DIR SECONDS}
secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/fuzz-findings"
while read -r t; do
	[ -n "$t" ] || continue
	bin=$(find "$build" -type f -name "$t" -perm -u+x | head -1)
	[ -n "$bin" ] || { echo "fuzz: $t not built" >&2; exit 1; }
	work=$(mktemp -d)
	cp -r "$root/tests/corpus/$t/." "$work/" 2>/dev/null || true
	echo "fuzz: $t for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/fuzz-findings/$t-" "$work" >"$build/fuzz-findings/$t.log" 2>&1; then
		tail -40 "$build/fuzz-findings/$t.log" >&2
		rm -rf "$work"
		echo "fuzz: $t FOUND A CRASH" >&2
		exit 1
	fi
	grep -E '^(#[0-9]+|Done)' "$build/fuzz-findings/$t.log" | tail -1
	rm -rf "$work"
done <"$build/fuzz-targets.txt"
