#!/bin/sh
# docs.sh SRC_DIR: the documentation cannot silently rot.
#  1. No file of the project cites the interop notes that live outside it (INTEROP + .md): the
#     project's own guide is docs/clients.md.
#  2. Every log phrase quoted (as a `code span`) in the second column of docs/clients.md's error
#     table still occurs in a string of the daemon's C sources (tests, fuzz targets and benchmarks
#     do not count), so the table tells users the lines rampart really prints.
set -eu
src=${1:?usage: docs.sh SRC_DIR}
doc=$src/docs/clients.md
fail=0
for f in "$doc" "$src/docs/operating.md"; do
	[ -f "$f" ] || { echo "docs.sh: missing $f"; exit 1; }
done

# 1. (the name is spelled so that this script does not match itself)
name=INTEROP'.md'
hits=$(grep -rIl --exclude-dir=.git --exclude-dir='build*' -e 'INTEROP[.]md' "$src" |
	grep -v '/tests/data/SOURCES\.md$' || true)
if [ -n "$hits" ]; then
	echo "docs.sh: these files cite $name; point them at docs/clients.md instead:"
	echo "$hits"
	fail=1
fi

# 2. the table's rows sit between <!-- error-table ... --> and <!-- /error-table -->
phrases=$(awk '/<!-- error-table/ {on = 1; next} /<!-- \/error-table -->/ {on = 0} on && /^\|/' "$doc" |
	awk -F'|' '{print $3}' | grep -o '`[^`]*`' | tr -d '`' || true)
n=0
tab=$(printf '\t')
old_ifs=$IFS
IFS='
'
for p in $phrases; do
	n=$((n + 1))
	# a " in the log line is \" in the C string
	esc=$(printf '%s' "$p" | sed 's/"/\\"/g')
	if ! grep -rqF --include='*.c' --include='*.h' --exclude='test_*' --exclude='fuzz_*' \
		--exclude='bench_*' --exclude='*_cli.*' --exclude='lac.c' --exclude='load*.c' --exclude-dir=tests --exclude-dir=interop \
		--exclude-dir='build*' --exclude-dir=.git -e "$p" -e "$esc" "$src"; then
		echo "docs.sh: docs/clients.md quotes a log phrase no source prints:${tab}$p"
		fail=1
	fi
done
IFS=$old_ifs
# a table that lost its markers or its quotes must not pass as "nothing to check"
if [ "$n" -lt 20 ]; then
	echo "docs.sh: only $n log phrases found in docs/clients.md's error table (markers lost?)"
	fail=1
fi
[ "$fail" = 0 ] && echo "docs.sh: no $name references; $n quoted log phrases all found in the sources"
exit "$fail"
