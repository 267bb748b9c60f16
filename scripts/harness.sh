#!/bin/sh
# Extract the kselftest harness headers from Debian's linux-source tarball into
# the build folder. They are build inputs, never committed.
set -eu
tar=$1
out=$2
[ -r "$tar" ] || { echo "blkprio: $tar not found (package linux-source-6.12)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tar" -C "$tmp" --wildcards --no-anchored \
	'tools/testing/selftests/kselftest_harness.h' 'tools/testing/selftests/kselftest.h'
mkdir -p "$out"
cp "$tmp"/*/tools/testing/selftests/kselftest.h "$out/kselftest.h"
# One fix: the test wrapper sets `child` between setjmp() and the longjmp() of
# a failed ASSERT without declaring it volatile, so at -O2 the forked test
# sees its old value after the jump and skips FIXTURE_TEARDOWN (seen here: a
# failed cgroup test left its cgroup behind). Our tests clean up in teardowns.
sed 's/^\(\t*\)pid_t child = 1; \\$/\1volatile pid_t child = 1; \\/' \
	"$tmp"/*/tools/testing/selftests/kselftest_harness.h >"$out/kselftest_harness.h.tmp"
grep -q 'volatile pid_t child = 1;' "$out/kselftest_harness.h.tmp" ||
	{ echo "blkprio: kselftest_harness.h: the teardown fix does not apply" >&2; exit 1; }
mv "$out/kselftest_harness.h.tmp" "$out/kselftest_harness.h"
