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
cp "$tmp"/*/tools/testing/selftests/kselftest_harness.h "$out/kselftest_harness.h.tmp"
mv "$out/kselftest_harness.h.tmp" "$out/kselftest_harness.h"
