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

# rounds CMD...: RUNS rounds (default 3); each runs every command once, in a
# rotating order, with a sync before each, so that no tool always runs first or
# after another's writeback. Prints the median seconds of each command: the
# "Run completed in S seconds" line it prints (qemu-img bench, blkprio img
# bench), or with ROUNDS_WALL=1 its wall time. ROUNDS_PREP, when set, is run
# before each command (e.g. removing the last output).
rounds() {
	local n=$# r i k t t0 t1
	local -a cmds=("$@") times=()
	for ((i = 0; i < n; i++)); do
		times[i]=""
	done
	for ((r = 0; r < ${RUNS:-3}; r++)); do
		for ((i = 0; i < n; i++)); do
			k=$(((i + r) % n))
			[ -n "${ROUNDS_PREP:-}" ] && eval "$ROUNDS_PREP"
			sync
			if [ -n "${ROUNDS_WALL:-}" ]; then
				t0=$(date +%s.%N)
				eval "${cmds[$k]}" >/dev/null 2>&1
				t1=$(date +%s.%N)
				t=$(echo "$t1 - $t0" | bc -l)
			else
				t=$(eval "${cmds[$k]}" 2>/dev/null |
				    sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p')
			fi
			times[$k]="${times[$k]} ${t:-0}"
		done
	done
	for ((i = 0; i < n; i++)); do
		echo ${times[$i]} | tr ' ' '\n' | sort -n |
			awk '{ v[NR] = $1 } END { printf "%.4f ", v[int((NR + 1) / 2)] }'
	done
	echo
}

# ratio A B: A / B with two decimals; mbps BYTES SECONDS: MiB/s.
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
mbps() { echo "$1 / 1048576 / $2" | bc -l | xargs printf '%.0f'; }

# share_rw_list WORKLOAD PRIOS: the --rw list of `bench effect` for a share run:
# the workload for every container, or for "mixed" the first reads and the
# others write (random, 4 KiB).
share_rw_list() {
	local w=$1 prios=$2 n i list=
	n=$(echo "$prios" | tr ',' '\n' | wc -l)
	for ((i = 0; i < n; i++)); do
		if [ "$w" = mixed ]; then
			[ $i = 0 ] && list=randread || list="$list,randwrite"
		else
			list="$list${list:+,}$w"
		fi
	done
	echo "$list"
}

# has_sched NAME: loop devices here can run that scheduler (writing "bfq"
# loads its module where the kernel has one).
has_sched() {
	local f
	f=$(ls /sys/block/loop*/queue/scheduler 2>/dev/null | head -1)
	[ -n "$f" ] && { grep -qw "$1" "$f" || modprobe -q "$1" 2>/dev/null ||
		modprobe -q "$1-iosched" 2>/dev/null; }
}
