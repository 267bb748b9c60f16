#!/bin/bash
# Overhead of the latency probes at high IOPS: fio 4 KiB random reads, queue
# depth 32, io_uring, O_DIRECT, on a loop device over a tmpfs file. In each
# round, back to back: no probes (the anchor), our probes (kernel time stamps,
# one hook), the common tools' way (issue hook + start-time hash map), then each
# probe again with the kernel's BPF run-time statistics on. Figures: IOPS and
# the loss against the round's own anchor; the machine's busy CPU time per I/O
# (/proc/stat; this VM has no cycle counter for perf stat); ns per request from
# the run-time statistics (which include their own clock reads, about 30 ns
# here: a no-op program on the same hook measures them, and the net figure is
# without them). Medians over the rounds, with their range. Aim: under 100 ns net.
# Env: ROUNDS (default 5), SECS per fio run (default 3).
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

# fio's IOPS, and the machine's busy CPU time (all CPUs, /proc/stat: user,
# nice, system, irq, softirq) per I/O over the run: "IOPS busy-ns-per-I/O"
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
fio_iops() {
	local b0 b1
	b0=$(busy_ticks)
	fio --name=lat --filename="$loop" --rw=randread --bs=4k --iodepth=32 \
		--ioengine=io_uring --direct=1 --runtime="$SECS" --time_based \
		--output-format=json 2>/dev/null > "$out.fio"
	b1=$(busy_ticks)
	jq -r --argjson busy $((b1 - b0)) --argjson hz "$(getconf CLK_TCK)" \
		'.jobs[0].read | "\(.iops | floor) \($busy / $hz * 1e9 / .total_ios | floor)"' "$out.fio"
}

# run fio while `blkprio top` holds the probes in a mode; prints fio_iops's
# line, and leaves top's JSON in $out
out=$(mktemp /tmp/blkprio-bench-lat.XXXXXX)
trap 'cleanup; rm -f "$out" "$out.fio"' EXIT
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

# Each round: no probes, ours, the baseline (IOPS and busy CPU per I/O), then
# each probe once more with BPF run-time statistics on (ns per request).
declare -a none ours base ours_ns base_ns nop_ns
for ((r = 0; r < ROUNDS; r++)); do
	none+=("$(fio_iops)")
	ours+=("$(with_probe stamps "")")
	base+=("$(with_probe hashmap "")")
	with_probe stamps --stats > /dev/null
	ours_ns+=("$(jq '.probe.ns_per_io' "$out")")
	with_probe hashmap --stats > /dev/null
	base_ns+=("$(jq '.probe.ns_per_io' "$out")")
	# the no-op program counts no requests: it runs once per completion
	with_probe nop --stats > /dev/null
	nop_ns+=("$(jq '.probe.ns_per_run' "$out")")
done
python3 - "$ROUNDS" "$SECS" "${none[@]}" "${ours[@]}" "${base[@]}" "${ours_ns[@]}" "${base_ns[@]}" "${nop_ns[@]}" <<'PY'
import statistics as st, sys
n, secs = int(sys.argv[1]), sys.argv[2]
v = sys.argv[3:]
rows = lambda i: [list(map(float, x.split())) for x in v[i * n:(i + 1) * n]]
none, ours, base = rows(0), rows(1), rows(2)
ours_ns = list(map(float, v[3 * n:4 * n]))
base_ns = list(map(float, v[4 * n:5 * n]))
nop_ns = list(map(float, v[5 * n:6 * n]))
# what a program that does nothing costs on the hook, by the same statistics:
# their own clock reads, which the probes do not pay when statistics are off
net = lambda ns: [a - b for a, b in zip(ns, nop_ns)]
med = st.median
span = lambda xs: f"{min(xs):.0f}..{max(xs):.0f}"
print(f"bench latency: fio randread 4k qd32 io_uring on a tmpfs loop, {n} rounds of {secs} s, "
      f"interleaved")
def line(name, r, ns, aim):
    iops = [x[0] for x in r]
    loss = [(1 - a[0] / b[0]) * 100 for a, b in zip(r, none)]
    cpu = [a[1] - b[1] for a, b in zip(r, none)]
    s = (f"  {name:<17} {med(iops):8.0f} IOPS (runs {span(iops)}), loss per round median "
         f"{med(loss):5.1f}% ({min(loss):.1f}..{max(loss):.1f}%); busy CPU per I/O "
         f"{med([x[1] for x in r]):.0f} ns, {med(cpu):+.0f} ns against the round's run "
         f"without probes ({min(cpu):+.0f}..{max(cpu):+.0f})")
    if ns:
        s += (f"; BPF run-time statistics {med(ns):.0f} ns per request ({min(ns):.0f}.."
              f"{max(ns):.0f}), {med(net(ns)):.0f} net of the statistics' own cost "
              f"({min(net(ns)):.0f}..{max(net(ns)):.0f}){aim}")
    print(s)
nn = [x[0] for x in none]
print(f"  {'no probes':<17} {med(nn):8.0f} IOPS (runs {span(nn)}; the anchor); busy CPU per "
      f"I/O {med([x[1] for x in none]):.0f} ns")
ok = med(net(ours_ns)) < 100
line("blkprio probes", ours, ours_ns, f" (aim < 100 ns net) [{'within aim' if ok else 'OUTSIDE aim'}]")
line("hash-map baseline", base, base_ns, " (issue + complete hooks)")
print(f"  a no-op program on the same hook: {med(nop_ns):.0f} ns per request by the statistics "
      f"({min(nop_ns):.0f}..{max(nop_ns):.0f}): what measuring costs")
print(f"  probe CPU time at {med(nn):.0f} IOPS: {med(ours_ns) * med(nn) / 1e7:.2f}% of one CPU "
      f"(hash-map baseline: {med(base_ns) * med(nn) / 1e7:.2f}%), statistics' cost included")
PY
