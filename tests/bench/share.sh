#!/bin/bash
# Closed-loop share control, the issue's proof matrix (README table): each
# workload, IOPRIO set and scheduler runs twice (share control off, then on) with
# `blkprio bench effect`; 4 KiB direct I/O on a loop device, queue depth 1 (psync)
# and 8 (io_uring): at depth 1 the loop device is not saturated by the containers,
# at 8 it is (see README, "Share control").
# The measured window starts after WARMUP s (the loop settles first; the report
# says when it did), and the last container also runs alone LONE s before and
# after the others. Needs root. Env: RUNTIME (25), WARMUP (10), LONE (10),
# IODEPTHS ("1 8"), SCHEDS ("bfq mq-deadline"), WORKLOADS, PRIOS, KEEP (a folder
# to keep the JSON reports in).
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench share: needs root, skipped"; exit 0; }
RUNTIME=${RUNTIME:-25}
WARMUP=${WARMUP:-10}
LONE=${LONE:-10}
IODEPTHS=${IODEPTHS:-"1 8"}
SCHEDS=${SCHEDS:-"bfq mq-deadline"}
WORKLOADS=${WORKLOADS:-"randread read randwrite mixed"}
PRIOS=${PRIOS:-"7,0 4,4 7,4,0"}
out=$(mktemp -d /tmp/blkprio-bench-share.XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "| scheduler | depth | IOPRIO | workload | promised | control off | control on | settled after | total IOPS off → on | alone idle → after (off; on) | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for qd in $IODEPTHS; do
	engine=psync
	[ "$qd" -gt 1 ] && engine=io_uring
for sched in $SCHEDS; do
	for prios in $PRIOS; do
		for w in $WORKLOADS; do
			"$BLKPRIO" bench effect --prio "$prios" --rw "$(share_rw_list "$w" "$prios")" \
				--scheduler "$sched" --runtime "$RUNTIME" --warmup "$WARMUP" \
				--iodepth "$qd" --ioengine "$engine" \
				--lone "$LONE" --tolerance 10 --control both --no-probes --json \
				>"$out/r.json" 2>"$out/err"
			[ -n "${KEEP:-}" ] && cp "$out/r.json" "$KEEP/qd$qd-$sched-$prios-$w.json"
			python3 - "$out/r.json" "$sched" "$qd" "$prios" "$w" <<'PY' ||
import json, sys
off, on = json.load(open(sys.argv[1]))
def shares(r):
    return ":".join(f"{c['measured_share'] * 100:.1f}" for c in r["phases"][0]["containers"])
def total(r):
    return sum(c["iops"] for c in r["phases"][0]["containers"])
prom = ":".join(f"{c['expected_share'] * 100:.1f}" for c in on["phases"][0]["containers"])
settle = on["phases"][0]["settle_s"]
ratio = total(on) / total(off) if total(off) else 0
lone, lone_off = on.get("lone", {}), off.get("lone", {})
ok = on["pass"] and ratio >= 0.90
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4].replace(',', ':')} | {sys.argv[5]} | {prom} "
      f"| {shares(off)}{'' if off['pass'] else ' (miss)'} | {shares(on)}{'' if on['pass'] else ' (miss)'} "
      f"| {'%.0f s' % settle if settle >= 0 else 'never'} "
      f"| {total(off):.0f} → {total(on):.0f} ({ratio * 100:.0f}%) "
      f"| {lone_off.get('idle_iops', 0):.0f} → {lone_off.get('after_iops', 0):.0f}; "
      f"{lone.get('idle_iops', 0):.0f} → {lone.get('after_iops', 0):.0f} "
      f"| {'pass' if ok else 'FAIL'} |")
PY
			echo "| $sched | $qd | $prios | $w | - | - | - | - | - | - | error: $(grep -v '^throughput' "$out/err" | tail -1) |"
		done
	done
done
done
