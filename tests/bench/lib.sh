# Benchmark helpers: wall time of a command (median of N runs), in seconds.
O=${O:-build}
BLKPRIO=${BLKPRIO:-$O/blkprio}

# median_time N CMD... : prints the median wall time over N runs.
median_time() {
	local n=$1 i t0 t1
	shift
	for ((i = 0; i < n; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		echo $((t1 - t0))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.4f\n", v[int((NR + 1) / 2)] / 1e9 }'
}
