#!/bin/bash
# Overhead of the latency probes at high IOPS: fio 4 KiB random reads, queue
# depth 32, io_uring, O_DIRECT, on a loop device over a tmpfs file. IOPS with
# no probes (the anchor), with our probes (kernel time stamps, one hook), and
# with the common tools' way (issue hook + start-time hash map), interleaved
# in rounds in the same run; then each probe's cost per request from the
# kernel's BPF run-time statistics. Aims: loss under 3 %, under 300 ns.
# Env: ROUNDS (default 5), SECS per fio run (default 3). The loss is also given
# as the median of each round's own ratio (back-to-back runs), which other load
# on the machine disturbs less than the medians of the IOPS.
set -eu
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-3}

if [ "$(id -u)" != 0 ]; then
	echo "bench latency: skipped (needs root)"
	exit 0
fi
for c in fio jq losetup; do
	command -v $c >/dev/null || { echo "bench latency: skipped ($c missing)"; exit 0; }
done

img=/dev/shm/blkprio-bench-lat-$$.img
loop=
cleanup() {
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -f "$img"
}
trap cleanup EXIT
truncate -s 1G "$img"
loop=$(losetup -f --show "$img")
# fill it, so that reads find pages (holes read faster than data)
dd if=/dev/zero of="$loop" bs=1M count=1024 oflag=direct status=none

fio_iops() {
	fio --name=lat --filename="$loop" --rw=randread --bs=4k --iodepth=32 \
		--ioengine=io_uring --direct=1 --runtime="$SECS" --time_based \
		--output-format=json 2>/dev/null | jq '.jobs[0].read.iops | floor'
}

# run fio while `blkprio top` holds the probes in a mode; prints IOPS,
# and leaves top's JSON in $out
out=$(mktemp /tmp/blkprio-bench-lat.XXXXXX)
trap 'cleanup; rm -f "$out"' EXIT
with_probe() {
	local mode=$1 stats=$2 pid
	"$BLKPRIO" --config /nonexistent top --json -n 1 -d $((SECS + 2)) \
		--probe-mode="$mode" $stats > "$out" &
	pid=$!
	sleep 1		# loaded and attached
	fio_iops
	wait $pid
}

if ! "$BLKPRIO" top -b -n 1 -d 0.1 > /dev/null 2>"$out"; then
	echo "bench latency: skipped (probes do not load: $(cat "$out"))"
	exit 0
fi

declare -a none ours base
for ((r = 0; r < ROUNDS; r++)); do
	none+=("$(fio_iops)")
	ours+=("$(with_probe stamps "")")
	base+=("$(with_probe hashmap "")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
n=$(median "${none[@]}")
o=$(median "${ours[@]}")
b=$(median "${base[@]}")
# each round's loss against its own anchor run, in percent
declare -a lo lb
for ((r = 0; r < ROUNDS; r++)); do
	lo+=("$(echo "(1 - ${ours[r]} / ${none[r]}) * 100" | bc -l)")
	lb+=("$(echo "(1 - ${base[r]} / ${none[r]}) * 100" | bc -l)")
done

# cost per request, BPF run-time statistics on (they add two clock reads)
with_probe stamps --stats > /dev/null
ours_ns=$(jq '.probe.ns_per_io | floor' "$out")
ours_runs=$(jq '.probe.runs' "$out")
with_probe hashmap --stats > /dev/null
base_ns=$(jq '.probe.ns_per_io | floor' "$out")

printf 'bench latency: fio randread 4k qd32 io_uring on a tmpfs loop, median of %d x %d s\n' \
	"$ROUNDS" "$SECS"
printf '  no probes        %8d IOPS  (anchor; runs: %s)\n' "$n" "${none[*]}"
printf '  blkprio probes   %8d IOPS  loss %5.1f%% (per round %5.1f%%)  %4d ns/request  (aim < 3%%, < 300 ns; runs: %s)\n' \
	"$o" "$(echo "(1 - $o / $n) * 100" | bc -l)" "$(median "${lo[@]}")" "$ours_ns" "${ours[*]}"
printf '  hash-map baseline%8d IOPS  loss %5.1f%% (per round %5.1f%%)  %4d ns/request  (issue + complete hooks; runs: %s)\n' \
	"$b" "$(echo "(1 - $b / $n) * 100" | bc -l)" "$(median "${lb[@]}")" "$base_ns" "${base[*]}"
printf '  probe runs counted with statistics on: %s\n' "$ours_runs"
# a figure other load disturbs little: the probes' CPU time at this rate
printf '  probe CPU time at %d IOPS: %.2f%% of one CPU (hash-map baseline: %.2f%%)\n' \
	"$n" "$(echo "$ours_ns * $n / 10000000" | bc -l)" "$(echo "$base_ns * $n / 10000000" | bc -l)"
