#!/bin/bash
# What closed-loop share control costs, judged over repeated pairs: each row
# runs PAIRS pairs of `blkprio bench effect` (share control off and on, the order
# alternating from pair to pair so that a drift of this VM's device does not
# favour one side), and reports the median of the pairs' total-throughput
# ratios (on / off) and of the lone container's rate after contention vs on the
# idle device, with control on. A single pair swings by tens of percent here.
# At queue depth 1 it also prints the most any loop can keep: the favoured
# container cannot go faster than it does alone (L), so keeping its promised
# share s caps the total at L / s.
# Needs root. Env: PAIRS (5), ROWS ("SCHED:DEPTH:PRIOS:WORKLOAD ..."), RUNTIME
# (20), WARMUP (8), LONE (10), KEEP (a folder for the JSON reports).
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench share_cost: needs root, skipped"; exit 0; }
PAIRS=${PAIRS:-5}
ROWS=${ROWS:-"bfq:8:7,0:randread mq-deadline:8:7,4,0:randwrite bfq:1:7,0:randread mq-deadline:1:7,4,0:randwrite"}
RUNTIME=${RUNTIME:-20}
WARMUP=${WARMUP:-8}
LONE=${LONE:-10}
out=$(mktemp -d /tmp/blkprio-bench-share-cost.XXXXXX)
trap 'rm -rf "$out"' EXIT

effect() {	# effect CONTROL SCHED DEPTH PRIOS WORKLOAD FILE
	local engine=psync
	[ "$3" -gt 1 ] && engine=io_uring
	"$BLKPRIO" bench effect --prio "$4" --rw "$(share_rw_list "$5" "$4")" \
		--scheduler "$2" --runtime "$RUNTIME" --warmup "$WARMUP" --lone "$LONE" \
		--iodepth "$3" --ioengine "$engine" --tolerance 10 --control "$1" \
		--no-probes --json >"$6" 2>"$out/err" ||
		[ -s "$6" ]	# a miss still leaves its report
}

echo "| scheduler | depth | IOPRIO | workload | shares on (median) | total on/off: median (each pair) | most a loop can keep at depth 1 | alone after/idle, on: median (each) |"
echo "|---|---|---|---|---|---|---|---|"
for row in $ROWS; do
	IFS=: read -r sched qd prios w <<<"$row"
	if ! has_sched "$sched"; then
		echo "| $sched | $qd | $prios | $w | skipped: no $sched in this kernel | | | |"
		continue
	fi
	files=
	for ((k = 0; k < PAIRS; k++)); do
		if ((k % 2)); then order="on off"; else order="off on"; fi
		for c in $order; do
			effect "$c" "$sched" "$qd" "$prios" "$w" "$out/$k-$c.json" ||
				echo "share_cost: $row pair $k control $c: $(tail -1 "$out/err")" >&2
		done
		files="$files $out/$k-off.json $out/$k-on.json"
		if [ -n "${KEEP:-}" ]; then
			for c in off on; do
				cp "$out/$k-$c.json" "$KEEP/$sched-qd$qd-$prios-$w-$k-$c.json" 2>/dev/null
			done
		fi
	done
	python3 - "$sched" "$qd" "$prios" "$w" $files <<'PY'
import json, statistics, sys
sched, qd, prios, w = sys.argv[1:5]
def load(f):
    try:
        r = json.load(open(f))
    except (OSError, ValueError):
        return None
    return r[0] if isinstance(r, list) else r
def total(r):
    return sum(c["iops"] for c in r["phases"][0]["containers"])
ratios, lones, shares, bounds = [], [], [], []
files = sys.argv[5:]
for off, on in ((load(a), load(b)) for a, b in zip(files[::2], files[1::2])):
    if not off or not on or not total(off):
        continue
    ratios.append(total(on) / total(off))
    lone = on.get("lone", {})
    if lone.get("idle_iops"):
        lones.append(lone["after_iops"] / lone["idle_iops"])
    shares.append([c["measured_share"] for c in on["phases"][0]["containers"]])
    # the lone container runs the last workload; for one workload it is L
    s = max(c["expected_share"] for c in on["phases"][0]["containers"])
    if qd == "1" and w != "mixed" and lone.get("idle_iops"):
        bounds.append(lone["idle_iops"] / s / total(off))
def pct(v):
    return f"{v * 100:.0f}%"
def med(v):
    return pct(statistics.median(v)) if v else "-"
sh = ":".join(f"{statistics.median(col) * 100:.1f}" for col in zip(*shares)) if shares else "-"
print(f"| {sched} | {qd} | {prios.replace(',', ':')} | {w} | {sh} "
      f"| {med(ratios)} ({', '.join(pct(r) for r in ratios)}) "
      f"| {med(bounds) if qd == '1' else 'n/a'} "
      f"| {med(lones)} ({', '.join(pct(r) for r in lones)}) |")
PY
done
