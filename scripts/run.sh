#!/bin/bash
# `make run`: the main job on an embedded default: the bundled example
# config folder, listed and shown.
set -eu
O=${1:-build}
B=$O/blkprio
run=$(mktemp -d /tmp/blkprio-run.XXXXXX)
trap 'rm -rf "$run"' EXIT
export BLKPRIO_CONF_DIR=examples/conf BLKPRIO_RUN_DIR=$run
echo "\$ blkprio list   (config folder: examples/conf)"
"$B" list
echo
echo "\$ blkprio show 101"
"$B" show 101
echo
echo "\$ blkprio set 102 --ioprio 3   (runtime override in $run)"
"$B" set 102 --ioprio 3
"$B" list -o CTID,IOPRIO,SOURCE
