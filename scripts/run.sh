#!/bin/bash
# `make run`: the main job on an embedded default. As root: `blkprio demo`,
# the whole system (containers 101 at IOPRIO 7 and 102 at 0, blkpriod, a BFQ
# loop device, competing workloads, the live top view, a live `set` halfway,
# the measured shares). Without root: the bundled example config folder.
set -eu
O=${1:-build}
B=$O/blkprio
if [ "$(id -u)" = 0 ]; then
	exec "$B" demo --html "$O/demo-report.html"
fi
echo "(not root: no cgroups or loop devices; showing the example config folder instead)"
run=$(mktemp -d /tmp/blkprio-run.XXXXXX)
trap 'rm -rf "$run"' EXIT
export BLKPRIO_CONF_DIR=examples/conf BLKPRIO_RUN_DIR=$run
echo "\$ blkprio list   (config folder: examples/conf)"
"$B" list
echo
echo "\$ blkprio show 101"
"$B" show 101
