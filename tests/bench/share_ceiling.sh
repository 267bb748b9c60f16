#!/bin/bash
# The most any share controller can keep of the throughput, measured without
# one: two containers (cgroups) on a loop device of our own, the same fio
# workload in each, the second held by a fixed throttle cap (none, then CAPS
# operations/s), the first free. Where holding one back does not speed the other
# up, a promised 2:1 split costs throughput whatever does the holding; the row
# where the first gets about two thirds is that ceiling. Needs root, fio and
# cgroup v1 blkio. Env: RW (randwrite), SCHED (mq-deadline), DEPTH (8), CAPS
# ("24000 20000 16000 12000"), RUNTIME (15).
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench share_ceiling: needs root, skipped"; exit 0; }
command -v fio >/dev/null || { echo "bench share_ceiling: no fio, skipped"; exit 0; }
BLKIO=/sys/fs/cgroup/blkio
[ -e "$BLKIO/blkio.throttle.write_iops_device" ] ||
	{ echo "bench share_ceiling: no cgroup v1 blkio throttle, skipped"; exit 0; }
RW=${RW:-randwrite}
SCHED=${SCHED:-mq-deadline}
DEPTH=${DEPTH:-8}
CAPS=${CAPS:-"24000 20000 16000 12000"}
RUNTIME=${RUNTIME:-15}

dir=$(mktemp -d /var/tmp/blkprio-bench-ceiling.XXXXXX)
cg=$BLKIO/blkprio-bench-ceiling.$$
dev=
cleanup() {
	[ -n "$dev" ] && losetup -d "$dev"
	rmdir "$cg/a" "$cg/b" "$cg" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
head -c 1G /dev/urandom > "$dir/img"
dev=$(losetup --direct-io=on -f --show "$dir/img") || exit 1
echo "$SCHED" > "/sys/block/${dev#/dev/}/queue/scheduler" || exit 1
majmin=$(cat "/sys/block/${dev#/dev/}/dev")
mkdir -p "$cg/a" "$cg/b"

fio_in() {	# fio_in CGROUP: the workload inside the cgroup, its IOPS on stdout
	bash -c "echo \$\$ > '$cg/$1/cgroup.procs' && exec fio --name='$1' \
		--filename='$dev' --rw='$RW' --bs=4k --iodepth='$DEPTH' --ioengine=io_uring \
		--direct=1 --time_based --runtime='$RUNTIME' --output-format=json" |
		python3 -c 'import json, sys
j = json.load(sys.stdin)["jobs"][0]
print(int(j["read"]["iops"] + j["write"]["iops"]))'
}
cap_b() {
	local f
	for f in read_iops_device write_iops_device; do
		echo "$majmin $1" > "$cg/b/blkio.throttle.$f"
	done
}

echo "$SCHED, $RW, 4 KiB, depth $DEPTH, $RUNTIME s; the first container alone: $(fio_in a) IOPS"
echo "| cap on the second | first | second | total | first's share | total vs both free |"
echo "|---|---|---|---|---|---|"
free=
for cap in 0 $CAPS; do
	cap_b "$cap"
	fio_in a > "$dir/a" &
	fio_in b > "$dir/b"
	wait
	a=$(cat "$dir/a")
	b=$(cat "$dir/b")
	[ -z "$free" ] && free=$((a + b))
	python3 -c "a, b, free = $a, $b, $free
print(f'| ${cap/#0/none} | {a} | {b} | {a + b} | {a / (a + b) * 100:.1f}% | {(a + b) / free * 100:.0f}% |')"
done
