#!/bin/bash
# Closed-loop share control, the proof matrix (docs/measurements.md): each
# workload, IOPRIO set and scheduler runs twice with `blkprio bench effect`:
# share control off, then blkpriod's default (SHARE_CONTROL=auto: on where the
# device's lever is caps, off where BFQ's weights act), or on (SHARE_CONTROL=yes)
# with CONTROL=on. 4 KiB direct I/O on a loop device, queue depth 1 (psync) and
# 8 (io_uring): at depth 1 the loop device is not saturated by the containers,
# at 8 it is. The measured window starts after WARMUP s (the loop settles first;
# the report says when it did), and the last container also runs alone LONE s
# before and after the others. Needs root. Env: RUNTIME (25), WARMUP (10), LONE
# (10), IODEPTHS ("1 8"), SCHEDS (default: the kernel's best, as `bench effect`
# chooses; or names such as "bfq mq-deadline"), CONTROL (default or on),
# WORKLOADS, PRIOS, KEEP (a folder to keep the JSON reports in).
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench share: needs root, skipped"; exit 0; }
RUNTIME=${RUNTIME:-25}
WARMUP=${WARMUP:-10}
LONE=${LONE:-10}
IODEPTHS=${IODEPTHS:-"1 8"}
SCHEDS=${SCHEDS:-default}
CONTROL=${CONTROL:-default}
WORKLOADS=${WORKLOADS:-"randread read randwrite mixed"}
PRIOS=${PRIOS:-"7,0 4,4 7,4,0"}
out=$(mktemp -d /tmp/blkprio-bench-share.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "# $(date -u +%F), $(uname -r), blkprio $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null)"
echo "| scheduler | lever | depth | IOPRIO | workload | promised | control off | default | settled after | total IOPS off → default | alone idle → after (off; default) | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for qd in $IODEPTHS; do
	engine=psync
	[ "$qd" -gt 1 ] && engine=io_uring
for sched in $SCHEDS; do
	for prios in $PRIOS; do
		for w in $WORKLOADS; do
			args=(--prio "$prios" --rw "$(share_rw_list "$w" "$prios")"
			      --runtime "$RUNTIME" --warmup "$WARMUP" --iodepth "$qd"
			      --ioengine "$engine" --lone "$LONE" --tolerance 10 --no-probes --json)
			[ "$sched" = default ] || args+=(--scheduler "$sched")
			ctl=()
			[ "$CONTROL" = on ] && ctl=(--control on)
			# a miss is exit 1 and still a report; both runs always run
			rm -f "$out/off.json" "$out/on.json"
			"$BLKPRIO" bench effect "${args[@]}" --control off >"$out/off.json" 2>"$out/err"
			"$BLKPRIO" bench effect "${args[@]}" "${ctl[@]}" >"$out/on.json" 2>>"$out/err"
			[ -n "${KEEP:-}" ] &&
				cp "$out/off.json" "$KEEP/qd$qd-$sched-$prios-$w-off.json" &&
				cp "$out/on.json" "$KEEP/qd$qd-$sched-$prios-$w-on.json"
			python3 - "$out/off.json" "$out/on.json" "$qd" "$prios" "$w" <<'PY' ||
import json, sys
off, on = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def shares(r):
    return ":".join(f"{c['measured_share'] * 100:.1f}" for c in r["phases"][0]["containers"])
def total(r):
    return sum(c["iops"] for c in r["phases"][0]["containers"])
prom = ":".join(f"{c['expected_share'] * 100:.1f}" for c in on["phases"][0]["containers"])
settle = on["phases"][0]["settle_s"]
ratio = total(on) / total(off) if total(off) else 0
lone, lone_off = on.get("lone", {}), off.get("lone", {})
ok = on["pass"] and ratio >= 0.90
print(f"| {on['scheduler']['name']} | {on['lever']}, control {on['share_control']} | {sys.argv[3]} "
      f"| {sys.argv[4].replace(',', ':')} | {sys.argv[5]} | {prom} "
      f"| {shares(off)}{'' if off['pass'] else ' (miss)'} | {shares(on)}{'' if on['pass'] else ' (miss)'} "
      f"| {'%.0f s' % settle if settle >= 0 else 'never'} "
      f"| {total(off):.0f} → {total(on):.0f} ({ratio * 100:.0f}%) "
      f"| {lone_off.get('idle_iops', 0):.0f} → {lone_off.get('after_iops', 0):.0f}; "
      f"{lone.get('idle_iops', 0):.0f} → {lone.get('after_iops', 0):.0f} "
      f"| {'pass' if ok else 'FAIL'} |")
PY
			echo "| $sched | - | $qd | $prios | $w | - | - | - | - | - | - | error: $(grep -v '^throughput' "$out/err" | tail -1) |"
		done
	done
done
done
