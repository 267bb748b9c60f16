#!/bin/bash
# The bench engine against fio, same jobs, same loop device, same run:
#   4 KiB random reads, direct: QD1 psync and QD32 io_uring.
#   Aims: IOPS within 5% of fio, p50/p99 latency within 10%; at QD32 IOPS >= 0.97x fio.
# The engine's own cost where the CPU is the limit: a cached tmpfs file, psync QD1 and
#   io_uring at QD 1, 8, 32, 128 and with numjobs=2; IOPS >= 0.97x fio, and CPU per I/O.
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
# At QD1 the engine must time I/Os as fio does. With more in flight, an engine
# that completes more I/Os per second sees each one wait less (Little's law), so
# the latencies may be lower than fio's by as much as its IOPS are higher.
if depth > 1:
    lat_ok = all(0.9 / ri <= x <= 1.1 for x in (r50, r99))
    lat_aim = f"{0.9 / ri:.2f}..1.1"
else:
    lat_ok = all(0.9 <= x <= 1.1 for x in (r50, r99))
    lat_aim = "0.9..1.1"
ok = (ri >= 0.97 if depth > 1 else 0.95 <= ri <= 1.05) and lat_ok
spread = lambda rows: (max(r[0] for r in rows) - min(r[0] for r in rows)) / med(rows, 0)
print(f"bench engine: {name}: median of {n} runs each: IOPS ours {oi:.0f} fio {fi:.0f} "
      f"(ratio {ri:.3f}, aim {aim}); p50 ours {op50/1e3:.1f} us fio {fp50/1e3:.1f} us "
      f"(ratio {r50:.3f}); p99 ours {op99/1e3:.1f} us fio {fp99/1e3:.1f} us (ratio {r99:.3f}; "
      f"aim {lat_aim}); run-to-run IOPS spread ours {spread(o):.0%} fio {spread(f):.0%} "
      f"[{'within aims' if ok else 'OUTSIDE aims'}]")
PY
}

# The engine's own overhead: the same jobs on a page-cached file in /dev/shm,
# where the CPU and not the disk is the limit.
shm=$(mktemp /dev/shm/blkprio-bench-engine.XXXXXX)
head -c 256M /dev/zero > "$shm"
# One run under perf stat (when it can count), so that both tools' CPU time is
# measured the same way, io_uring's worker threads included: prints
# "IOPS CPU-ns-per-I/O syscalls-per-I/O reported-CPU-ns-per-I/O" summed over the jobs.
perf_ok=0
perf stat -x, -e task-clock,raw_syscalls:sys_enter -o /dev/null -- true 2>/dev/null && perf_ok=1
counted() {	# JSON-OUT CMD...
	local out=$1
	shift
	if [ $perf_ok = 1 ]; then
		perf stat -x, -e task-clock,raw_syscalls:sys_enter -o "$dir/perf" -- "$@" >/dev/null 2>&1
	else
		: > "$dir/perf"
		"$@" >/dev/null 2>&1
	fi
	python3 - "$out" "$dir/perf" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
ios = sum(j["read"]["total_ios"] for j in jobs)
secs = [j.get("elapsed_ns", 0) / 1e9 or j["job_runtime"] / 1e3 for j in jobs]
told = sum((j["usr_cpu"] + j["sys_cpu"]) / 100 * s for j, s in zip(jobs, secs)) * 1e9 / ios
perf = {}
for line in open(sys.argv[2]):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        perf[f[2]] = float(f[0])
cpu = perf["task-clock"] * 1e6 / ios if "task-clock" in perf else told
calls = perf.get("raw_syscalls:sys_enter", 0) / ios
print(sum(j["read"]["iops"] for j in jobs), cpu, calls, told)
PY
}
overhead() {	# ENGINE DEPTH NUMJOBS
	local r f=() o=() a=(--rw=randread --bs=4k --ioengine="$1" --iodepth="$2" --numjobs="$3"
		--runtime="$RUNTIME" --time_based)
	for ((r = 0; r < ROUNDS; r++)); do
		f+=("$(counted "$dir/fio.json" fio --name=r --filename="$shm" "${a[@]}" \
			--output-format=json --output="$dir/fio.json")")
		o+=("$(counted "$dir/ours.json" sh -c '"$0" "$@" > "'"$dir"'/ours.json"' \
			"$BLKPRIO" bench run --no-progress "${a[@]}" -j "$shm")")
	done
	python3 - "$1" "$2" "$3" "$perf_ok" "${#f[@]}" "${f[@]}" "${o[@]}" <<'PY'
import statistics, sys
e, d, nj, perf, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", int(sys.argv[5])
f = [list(map(float, s.split())) for s in sys.argv[6:6 + n]]
o = [list(map(float, s.split())) for s in sys.argv[6 + n:6 + 2 * n]]
med = lambda rows, i: statistics.median(r[i] for r in rows)
fi, oi, fc, oc = med(f, 0), med(o, 0), med(f, 1), med(o, 1)
span = lambda rows: f"{min(r[0] for r in rows):.0f}..{max(r[0] for r in rows):.0f}"
jobs = f", numjobs={nj}" if nj != "1" else ""
how = "perf stat task-clock" if perf else "as each tool reports it"
calls = f"; syscalls per I/O ours {med(o, 2):.2f} fio {med(f, 2):.2f}" if perf else ""
told = f"; ours reports {med(o, 3):.0f} ns" if perf else ""
print(f"bench engine: overhead, 4k randread of a cached file, {e} QD{d}{jobs}: median of {n} "
      f"runs: IOPS ours {oi:.0f} fio {fi:.0f} (ratio {oi / fi:.3f}, aim >= 0.97; runs ours "
      f"{span(o)}, fio {span(f)}); CPU per I/O ({how}) ours {oc:.0f} ns fio {fc:.0f} ns "
      f"(ratio {oc / fc:.3f}){told}{calls} [{'within aim' if oi >= 0.97 * fi else 'OUTSIDE aim'}]")
PY
}
overhead psync 1 1
for qd in 1 8 32 128; do
	overhead io_uring "$qd" 1
done
overhead io_uring 32 2
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
