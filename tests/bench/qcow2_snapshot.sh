#!/bin/bash
# Internal snapshot create and delete on a 1 TiB image with 64 KiB clusters
# and 2,048 L2 tables (4 KiB written in each 512 MiB range): `blkprio img
# snapshot -c/-d` against `qemu-img snapshot -c/-d` (which reads every L2
# table in 4 KiB slices), each on its own copy of the same image, measured
# in the same run. Rounds alternate which tool goes first; the figures are
# the best and the median of RUNS rounds (default 5). Ratios are qemu-img
# time / blkprio time (> 1 = blkprio faster; the aim is > 1).
set -eu
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || { echo "bench qcow2_snapshot: qemu-img missing, skipped"; exit 0; }
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/blkprio-bench-snap.XXXXXX")
trap 'rm -rf "$dir"' EXIT
RUNS=${RUNS:-5}

qemu-img create -q -f qcow2 "$dir/ours.qcow2" 1T
"$BLKPRIO" img bench -q -w -d 1 -c 2048 -s 4096 -S 512M "$dir/ours.qcow2" >/dev/null
cp "$dir/ours.qcow2" "$dir/qemu.qcow2"
sync

now() { date +%s%N; }
# one timed command, nanoseconds; failure aborts the bench
timed() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	echo $((t1 - t0))
}
oc=() od=() qc=() qd=()
for ((r = 0; r < RUNS; r++)); do
	if ((r % 2)); then
		qc+=("$(timed qemu-img snapshot -c bench "$dir/qemu.qcow2")")
		oc+=("$(timed "$BLKPRIO" img snapshot -c bench "$dir/ours.qcow2")")
		qd+=("$(timed qemu-img snapshot -d bench "$dir/qemu.qcow2")")
		od+=("$(timed "$BLKPRIO" img snapshot -d bench "$dir/ours.qcow2")")
	else
		oc+=("$(timed "$BLKPRIO" img snapshot -c bench "$dir/ours.qcow2")")
		qc+=("$(timed qemu-img snapshot -c bench "$dir/qemu.qcow2")")
		od+=("$(timed "$BLKPRIO" img snapshot -d bench "$dir/ours.qcow2")")
		qd+=("$(timed qemu-img snapshot -d bench "$dir/qemu.qcow2")")
	fi
done
# both images must still be sound
qemu-img check -q "$dir/ours.qcow2"
qemu-img check -q "$dir/qemu.qcow2"

best() { printf '%s\n' "$@" | sort -n | head -1; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
sec() { echo "$1 / 1000000000" | bc -l | xargs printf '%.3f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.1f'; }
report() {	# NAME OURS-ARRAY-NAME QEMU-ARRAY-NAME
	local -n o=$2 q=$3
	local ob qb om qm
	ob=$(best "${o[@]}") qb=$(best "${q[@]}") om=$(median "${o[@]}") qm=$(median "${q[@]}")
	printf 'bench qcow2_snapshot: %-34s blkprio %ss (median %ss) | qemu-img %ss (median %ss) | %sx qemu-img (median %sx)\n' \
		"$1" "$(sec "$ob")" "$(sec "$om")" "$(sec "$qb")" "$(sec "$qm")" \
		"$(ratio "$qb" "$ob")" "$(ratio "$qm" "$om")"
}
report "snapshot -c (1 TiB, 2048 L2 tables)" oc qc
report "snapshot -d (1 TiB, 2048 L2 tables)" od qd
