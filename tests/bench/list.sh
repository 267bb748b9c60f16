#!/bin/bash
# `blkprio list` over 10,000 container configs, against `grep -H IOPRIO` over
# the same folder in the same run. Aim: under 0.2 s.
set -eu
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d /tmp/blkprio-bench-list.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/conf" "$dir/run"
for ((i = 1000; i < 11000; i++)); do
	printf '# container %d\nONBOOT="yes"\nOSTEMPLATE="debian-12"\nIOPRIO="%d"\nIOLIMIT="%d"\n' \
		"$i" $((i % 8)) $((i * 1024)) > "$dir/conf/$i.conf"
done
sync
ours=$(median_time 5 "$BLKPRIO" --conf-dir "$dir/conf" --run-dir "$dir/run" list)
json=$(median_time 5 "$BLKPRIO" --conf-dir "$dir/conf" --run-dir "$dir/run" list --json)
anchor=$(median_time 5 sh -c "grep -H IOPRIO $dir/conf/*.conf")
rows=$("$BLKPRIO" --conf-dir "$dir/conf" --run-dir "$dir/run" list -n | wc -l)
printf 'bench list: %d containers: blkprio list %.3f s, list --json %.3f s, grep -H IOPRIO %.3f s (ratio %.2fx grep; aim < 0.2 s)\n' \
	"$rows" "$ours" "$json" "$anchor" "$(echo "$ours / $anchor" | bc -l)"
