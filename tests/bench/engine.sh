#!/bin/bash
# The bench engine against fio, same jobs, same loop device, same run:
#   4 KiB random reads, direct: QD1 psync and QD32 io_uring.
#   Aims: IOPS within 5% of fio, p50/p99 latency within 10%; at QD32 IOPS >= 0.97x fio.
# And blkprio dd bs=1M copying 1 GiB against GNU dd (aim: at least as fast).
# Rounds alternate fio / ours / ours / fio so drift hits both alike.
set -u
. "$(dirname "$0")/lib.sh"
case "$BLKPRIO" in /*) ;; *) BLKPRIO="$PWD/$BLKPRIO" ;; esac
RUNTIME=${RUNTIME:-3}
ROUNDS=${ROUNDS:-3}	# each round: fio, ours, ours, fio; medians are compared
SIZE_MB=${SIZE_MB:-1024}

if [ "$(id -u)" != 0 ] || ! command -v fio >/dev/null; then
	echo "bench engine: skipped (needs root for a loop device, and fio)"
	exit 0
fi
dir=$(mktemp -d /var/tmp/blkprio-bench-engine.XXXXXX)
dev=
shm=
cleanup() { [ -n "$dev" ] && losetup -d "$dev"; rm -rf "$dir" $shm; }
trap cleanup EXIT

# A loop device over a file with real data (holes would not be read).
"$BLKPRIO" dd if=/dev/urandom of="$dir/disk" bs=1M count="$SIZE_MB" iflag=fullblock status=none
sync
dev=$(losetup -f --show --direct-io=on "$dir/disk") || exit 1

fio_job() {	# ENGINE DEPTH -> "iops p50_ns p99_ns"
	fio --name=r --filename="$dev" --rw=randread --bs=4k --direct=1 --ioengine="$1" \
		--iodepth="$2" --runtime="$RUNTIME" --time_based --lat_percentiles=1 \
		--output-format=json --output="$dir/fio.json" >/dev/null 2>&1 || return 1
	python3 - "$dir/fio.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["jobs"][0]["read"]
p = r["lat_ns"]["percentile"]
print(r["iops"], p["50.000000"], p["99.000000"])
PY
}

ours_job() {
	"$BLKPRIO" bench run --no-progress --rw=randread --bs=4k --direct --ioengine="$1" \
		--iodepth="$2" --runtime="$RUNTIME" --time_based --output-format=json "$dev" \
		> "$dir/ours.json" 2>/dev/null || return 1
	python3 - "$dir/ours.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["jobs"][0]["read"]
p = r["lat_ns"]["percentile"]
print(r["iops"], p["50.000000"], p["99.000000"])
PY
}

compare() {	# NAME ENGINE DEPTH
	local name=$1 r f=() o=()
	for ((r = 0; r < ROUNDS; r++)); do
		f+=("$(fio_job "$2" "$3")"); o+=("$(ours_job "$2" "$3")")
		o+=("$(ours_job "$2" "$3")"); f+=("$(fio_job "$2" "$3")")
	done
	python3 - "$name" "$3" "${#f[@]}" "${f[@]}" "${o[@]}" <<'PY'
import statistics, sys
name, depth, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = [list(map(float, s.split())) for s in sys.argv[4:4 + n]]
o = [list(map(float, s.split())) for s in sys.argv[4 + n:4 + 2 * n]]
med = lambda rows, i: statistics.median(r[i] for r in rows)
fi, oi = med(f, 0), med(o, 0)
fp50, op50, fp99, op99 = med(f, 1), med(o, 1), med(f, 2), med(o, 2)
ri, r50, r99 = oi / fi, op50 / fp50, op99 / fp99
aim = ">= 0.97" if depth > 1 else "0.95..1.05"
ok = (ri >= 0.97 if depth > 1 else 0.95 <= ri <= 1.05) and 0.9 <= r50 <= 1.1 and 0.9 <= r99 <= 1.1
spread = lambda rows: (max(r[0] for r in rows) - min(r[0] for r in rows)) / med(rows, 0)
print(f"bench engine: {name}: median of {n} runs each: IOPS ours {oi:.0f} fio {fi:.0f} "
      f"(ratio {ri:.3f}, aim {aim}); p50 ours {op50/1e3:.1f} us fio {fp50/1e3:.1f} us "
      f"(ratio {r50:.3f}); p99 ours {op99/1e3:.1f} us fio {fp99/1e3:.1f} us (ratio {r99:.3f}; "
      f"aim 0.9..1.1); run-to-run IOPS spread ours {spread(o):.0%} fio {spread(f):.0%} "
      f"[{'within aims' if ok else 'OUTSIDE aims'}]")
PY
}

# The engine's own overhead: the same jobs on a page-cached file in /dev/shm,
# where the CPU and not the disk is the limit.
shm=$(mktemp /dev/shm/blkprio-bench-engine.XXXXXX)
head -c 256M /dev/zero > "$shm"
overhead() {	# ENGINE DEPTH
	local r f=() o=()
	for ((r = 0; r < ROUNDS; r++)); do
		fio --name=r --filename="$shm" --rw=randread --bs=4k --ioengine="$1" --iodepth="$2" \
			--runtime="$RUNTIME" --time_based --output-format=json --output="$dir/fio.json" \
			>/dev/null 2>&1
		f+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["read"]["iops"])' "$dir/fio.json")")
		o+=("$("$BLKPRIO" bench run --no-progress --rw=randread --bs=4k --ioengine="$1" --iodepth="$2" \
			--runtime="$RUNTIME" --time_based -j "$shm" |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["read"]["iops"])')")
	done
	python3 - "$1" "$2" "${#f[@]}" "${f[@]}" "${o[@]}" <<'PY'
import statistics, sys
e, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = statistics.median(map(float, sys.argv[4:4 + n]))
o = statistics.median(map(float, sys.argv[4 + n:4 + 2 * n]))
print(f"bench engine: overhead, 4k randread of a cached file, {e} QD{d}: IOPS ours {o:.0f} "
      f"fio {f:.0f} (ratio {o / f:.3f}, aim >= 0.97) [{'within aim' if o >= 0.97 * f else 'OUTSIDE aim'}]")
PY
}
overhead psync 1
overhead io_uring 32
rm -f "$shm"

compare "4k randread direct QD1 psync on $dev" psync 1
compare "4k randread direct QD32 io_uring on $dev" io_uring 32

# dd: copy 1 GiB with bs=1M, flushed (conv=fdatasync); best of 3 each, alternating.
dd_time() {
	local t0 t1
	rm -f "$dir/copy"
	t0=$(date +%s%N)
	"$@" if="$dir/disk" of="$dir/copy" bs=1M conv=fdatasync status=none
	t1=$(date +%s%N)
	echo $((t1 - t0))
}
g=() o=()
for i in 1 2 3; do
	g+=("$(dd_time /usr/bin/dd)")
	o+=("$(dd_time "$BLKPRIO" dd)")
done
python3 - "$SIZE_MB" "${g[@]}" "${o[@]}" <<'PY'
import sys
mb = int(sys.argv[1])
g, o = min(map(int, sys.argv[2:5])) / 1e9, min(map(int, sys.argv[5:8])) / 1e9
print(f"bench dd: bs=1M copy of {mb} MiB with conv=fdatasync: GNU dd {g:.3f} s "
      f"({mb / g:.0f} MiB/s), blkprio dd {o:.3f} s ({mb / o:.0f} MiB/s); "
      f"time ratio {o / g:.3f} (aim <= 1.0) [{'within aim' if o <= g else 'OUTSIDE aim'}]")
PY
