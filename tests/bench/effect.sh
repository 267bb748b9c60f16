#!/bin/bash
# The shares the defaults give, per workload, map and disk kind
# (docs/measurements.md). Each run: two containers, 15 s (2 s warm-up), 4 KiB,
# queue depth 1, direct I/O, on a loop device under the kernel's best lever (BFQ
# with low_latency=0 where the kernel has BFQ, else share control's caps). Needs root.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench effect: needs root, skipped"; exit 0; }
out=$(mktemp -d /tmp/blkprio-bench-effect.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "# $(date -u +%F), $(uname -r)"
echo "| lever | map | IOPRIO | workload | disk | promised | measured (IOPS) | error | result |"
echo "|---|---|---|---|---|---|---|---|---|"
for map in openvz:7,0 wide:6,4; do
	for rw in randread read write; do
		for disk in raw qcow2; do
			"$BLKPRIO" bench effect --prio "${map#*:}" --weight-map "${map%%:*}" --rw "$rw" \
				--disk "$disk" --runtime 15 --no-probes --json >"$out/r.json" 2>"$out/err"
			python3 - "$out/r.json" "${map%%:*}" "${map#*:}" "$rw" "$disk" <<'PY' ||
import json, sys
r = json.load(open(sys.argv[1]))
p = r["phases"][0]["containers"]
prom = ":".join(f"{c['expected_share'] * 100:.1f}%" for c in p)
meas = ":".join(f"{c['measured_share'] * 100:.1f}% ({c['iops']:.0f})" for c in p)
err = " ".join(f"{c['error'] * 100:+.1f}%" for c in p)
print(f"| {r['lever']} | {sys.argv[2]} | {sys.argv[3].replace(',', ':')} | {sys.argv[4]} | {sys.argv[5]} "
      f"| {prom} | {meas} | {err} | {'pass' if r['pass'] else 'FAIL'} |")
PY
			echo "| - | ${map%%:*} | ${map#*:} | $rw | $disk | - | - | - | error: $(tail -1 "$out/err") |"
		done
	done
done
