#!/bin/bash
# blkprio bench run: fio-named options, job files, outputs, errors.
. "$(dirname "$0")/../lib.sh"

F="$T/target"
B() { "$BLKPRIO" bench run --no-progress "$@"; }

# ---- bad jobs: one clear line, exit 2, nothing created ----
bad() {
	local name=$1 want=$2 out rc; shift 2
	out=$(B "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc = 2 ] && printf '%s' "$out" | grep -q -- "$want" && [ ! -e "${NEWF:-$F}" ]; then
		t_ok "bench run rejects $name"
	else
		t_fail "bench run rejects $name" "rc=$rc: $out"
	fi
}
bad "bad --rw" "invalid value for --rw: 'sideways'" --rw=sideways "$F"
bad "bad --bs" "invalid value for --bs: '4q'" --bs 4q "$F"
bad "zero --iodepth" "invalid value for --iodepth" --iodepth=0 "$F"
bad "unknown engine" "invalid value for --ioengine: 'windowsaio'" --ioengine=windowsaio "$F"
bad "unknown option" "unrecognized option" --frobnicate=1 "$F"
bad "no target" "no target" --rw=read
bad "unaligned direct" "direct I/O needs" --direct --bs=1000 "$F"
bad "time_based without runtime" "time_based needs a runtime" --time_based "$F"
bad "bad output format" "invalid --output-format" --output-format=xml "$F"
bad "two targets" "unexpected argument" "$F" "$F.2"
printf '[a]\nbs=4k\nnope=1\n' > "$T/bad.fio"
bad "unknown job file key" "bad.fio:3: unknown option 'nope'" --job "$T/bad.fio"
printf 'bs=4k\n' > "$T/bad2.fio"
bad "key outside a section" "bad2.fio:1: syntax error" --job "$T/bad2.fio"

out=$(B --rw=read "$T/missing" 2>&1); rc=$?
t_check "bench run on a missing file fails with exit 1" test $rc = 1
t_check "bench run names the failed job" grep -q "job failed 'job1'" <<<"$out"

out=$(B --rw=write "$T/new" 2>&1); rc=$?
t_check "bench run write without --size on a new file: exit 1" test $rc = 1
t_check "bench run says to give --size" grep -q "empty or smaller than one block (give --size)" <<<"$out"
t_check "bench run leaves no empty file behind" test ! -e "$T/new"

# ---- a write with verify, then a read job checking the same pattern ----
t_check "bench run write --verify" B --rw=randwrite --bs=4k --size=8M --verify --direct "$F"
t_check "bench run read --verify (io_uring, QD 16)" \
	B --rw=randread --bs=4k --verify --ioengine=io_uring --iodepth=16 --direct "$F"
printf 'X' | dd of="$F" bs=1 seek=12345 conv=notrunc status=none
out=$(B --rw=read --bs=4k --verify "$F" 2>&1); rc=$?
t_check "bench run read --verify finds a flipped byte (exit 1)" test $rc = 1
t_check "bench run verify error names the offset" grep -q "offset 12345" <<<"$out"

# ---- JSON, CSV, samples ----
B --rw=randrw --rwmixread=75 --bs=4k --size=8M --runtime=1200ms --time_based \
	--ioengine=io_uring --iodepth=8 --numjobs=2 --output-format=json --samples "$T/s.csv" \
	"$F" > "$T/out.json"
t_check "bench run JSON parses and has both jobs, percentiles and samples" python3 - "$T/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = d["jobs"]
assert len(jobs) == 2, jobs
for j in jobs:
    assert j["error"] == 0
    r, w = j["read"], j["write"]
    assert r["total_ios"] > w["total_ios"] > 0
    p = r["lat_ns"]["percentile"]
    assert 0 < r["lat_ns"]["min"] <= p["50.000000"] <= p["99.000000"] <= r["lat_ns"]["max"]
    assert len(j["samples"]) >= 2
    assert sum(s["read_bytes"] for s in j["samples"]) == r["io_bytes"]
PY
t_check "bench run samples CSV has a row per second per job" python3 - "$T/s.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert {r["index"] for r in rows} == {"0", "1"}
assert all(int(r["read_ios"]) >= 0 for r in rows) and len(rows) >= 4
PY
B --rw=read --bs=64k --output-format=csv "$F" > "$T/out.csv"
t_check "bench run CSV header and one row" python3 - "$T/out.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 1 and rows[0]["dir"] == "read" and int(rows[0]["bytes"]) == 8 << 20
PY
t_check "bench run -j is JSON" python3 -c 'import json,sys; json.load(sys.stdin)' \
	< <("$BLKPRIO" -j bench run --no-progress --rw=read --size=1M "$F")

# ---- an ini job file in fio's syntax, two jobs at once ----
cat > "$T/two.fio" <<JOB
; two jobs on one file
[global]
filename=$F
bs=4k
direct=1
size=4M

[reader]
rw=randread
ioengine=io_uring
iodepth=4

[writer]
rw=write
offset=4M
JOB
B --job "$T/two.fio" > "$T/two.txt"
t_check "bench run --job runs each section" grep -q "^reader: rw=randread bs=4096 ioengine=io_uring iodepth=4 direct=1" "$T/two.txt"
t_check "bench run --job second job" grep -q "^writer: rw=write" "$T/two.txt"
t_check "bench run text has percentiles" grep -q "p99=" "$T/two.txt"

# ---- a loop device, both engines, direct ----
if t_root && dev=$(losetup -f --show "$F" 2>/dev/null); then
	t_cleanup "losetup -d $dev"
	t_check "bench run on a block device (psync)" B --rw=randread --direct --size=4M "$dev"
	t_check "bench run on a block device (io_uring QD 32)" \
		B --rw=randread --direct --ioengine=io_uring --iodepth=32 --size=4M "$dev"
else
	t_skip "bench run on a block device" "needs root and a loop device"
fi

# ---- CPU time per I/O: the job's thread and the io_uring workers serving it ----
# A tmpfs file has every io_uring read done by a kernel worker thread; the time
# those threads spend is part of the engine's cost and must be in the figure.
shm=$(mktemp /dev/shm/blkprio-test-run.XXXXXX)
t_cleanup "rm -f $shm"
head -c 16M /dev/zero > "$shm"
cpu_args=(--rw=randread --bs=4k --ioengine=io_uring --iodepth=16 --runtime=1500ms --time_based)
if t_root && perf stat -x, -e task-clock -o /dev/null -- true 2>/dev/null; then
	perf stat -x, -e task-clock -o "$T/perf" -- "$BLKPRIO" bench run --no-progress \
		"${cpu_args[@]}" -j "$shm" > "$T/cpu.json"
	t_check "bench run CPU per I/O agrees with perf's count of the whole process (within 25%)" \
		python3 - "$T/cpu.json" "$T/perf" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
ios = j["read"]["total_ios"]
told = j["usr_ns_per_io"] + j["sys_ns_per_io"]
pct = (j["usr_cpu"] + j["sys_cpu"]) / 100 * j["elapsed_ns"] / ios
task = [float(l.split(",")[0]) for l in open(sys.argv[2]) if ",task-clock," in l][0]
perf = task * 1e6 / ios
assert ios > 1000, ios
assert abs(told - pct) <= 0.02 * told, (told, pct)
# startup (process, ring, buffers) is in perf's count and not in the job's
assert 0.75 * perf <= told <= 1.25 * perf, (told, perf)
# the workers' time is counted: the job thread alone sleeps while they read
assert j["usr_cpu"] + j["sys_cpu"] > 50, (j["usr_cpu"], j["sys_cpu"])
PY
else
	t_skip "bench run CPU per I/O against perf" "needs root and perf stat"
fi
B "${cpu_args[@]}" "$shm" > "$T/cpu.txt" 2>&1
t_check "bench run text shows CPU per I/O" grep -Eq "^  cpu: usr=[0-9.]+%, sys=[0-9.]+%; per I/O usr=[0-9.]+ us, sys=[0-9.]+ us$" "$T/cpu.txt"

# ---- img: targets ----
t_check "bench run on img: (creates the image, verify)" \
	B --rw=write --size=4M --verify "img:$T/disk.qcow2"
if command -v qemu-img >/dev/null; then
	t_check "bench run img: image is consistent" qemu-img check -q "$T/disk.qcow2"
fi
NEWF="$T/disk2.qcow2" bad "io_uring on img:" "io_uring needs a file or block device" --ioengine=io_uring "img:$T/disk2.qcow2"

# randrepeat: the same offsets every run by default, others with randrepeat=0
for rr in 1 0; do
	for k in a b; do
		rm -f "$T/rr.$k"
		B --rw=randwrite --size=1m --number_ios=16 --randrepeat=$rr "$T/rr.$k" > /dev/null 2>&1
	done
	cmp -s "$T/rr.a" "$T/rr.b" && echo same || echo differ
done > "$T/rr.out"
if [ "$(tr '\n' ' ' < "$T/rr.out")" = "same differ " ]; then t_ok "bench run randrepeat"; else
	t_fail "bench run randrepeat" "randrepeat=1, =0: $(tr '\n' ' ' < "$T/rr.out")"; fi
# a log that cannot be opened: exit 1, the message names the log, not the target
out=$(B --rw=write --size=64k --write_bw_log="$T/no/such/dir/x" "$T/logfail" 2>&1 >/dev/null); rc=$?
if [ $rc = 1 ] && [[ $out == *"$T/no/such/dir/x_bw.1.log: No such file or directory"* ]]; then
	t_ok "bench run names a log it cannot write"
else t_fail "bench run names a log it cannot write" "rc=$rc: $out"; fi
t_done
