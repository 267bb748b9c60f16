#!/bin/bash
# Reading through a backing chain: a base and three overlays (reads go up to
# 3 levels down), each holding a quarter of the data in 256 KiB stripes,
# against a flat qcow2 image with the same content; blkprio and qemu-img
# bench on the same files, O_DIRECT, sequential 1 MiB and 4 KiB reads (plus
# blkprio's random 4 KiB reads). Figures are throughputs; ratios are chain
# against flat (1.00 = no cost for the chain) and blkprio against qemu-img on
# the chain (> 1 = blkprio faster). Then first 4 KiB writes into an empty
# overlay (each copies the rest of its cluster from the base) against
# qemu-img bench. BENCH_DIR picks the folder (default
# /var/tmp; it must support O_DIRECT), RUNS the rounds (5; medians).
set -eu
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || { echo "bench qcow2_chain: qemu-img missing, skipped"; exit 0; }
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/blkprio-bench-chain.XXXXXX")
trap 'rm -rf "$dir"' EXIT
RUNS=${RUNS:-5}
SIZE_MB=512
D=16

# ---- the chain: c0 (base) <- c1 <- c2 <- c3 (top), stripes rotate over them ----
for i in 0 1 2 3; do
	if [ $i = 0 ]; then
		qemu-img create -q -f qcow2 "$dir/c0.qcow2" ${SIZE_MB}M
	else
		qemu-img create -q -f qcow2 -b c$((i - 1)).qcow2 -F qcow2 "$dir/c$i.qcow2"
	fi
	cmds=()
	for ((s = i; s < SIZE_MB * 4; s += 4)); do
		cmds+=(-c "write -P $((s % 250 + 1)) $((s * 256))k 256k")
	done
	qemu-io -f qcow2 -t none "${cmds[@]}" "$dir/c$i.qcow2" >/dev/null
done
"$BLKPRIO" img convert -O qcow2 "$dir/c3.qcow2" "$dir/flat.qcow2"
qemu-img compare -q "$dir/c3.qcow2" "$dir/flat.qcow2" || { echo "bench qcow2_chain: flat copy differs"; exit 1; }
sync


C="$dir/c3.qcow2" F="$dir/flat.qcow2"
bench_pair() {	# NAME SIZE COUNT [EXTRA-OUR-OPTS]
	local name=$1 s=$2 c=$3 extra=${4:-} bytes oc of qc qf
	bytes=$(($(numfmt --from=iec "${s^^}") * c))
	if [ -z "$extra" ]; then
		read -r oc of qc qf < <(rounds "'$BLKPRIO' img bench -q -t none -d $D -s $s -c $c '$C'" \
					      "'$BLKPRIO' img bench -q -t none -d $D -s $s -c $c '$F'" \
					      "qemu-img bench -q -f qcow2 -t none -d $D -s $s -c $c '$C'" \
					      "qemu-img bench -q -f qcow2 -t none -d $D -s $s -c $c '$F'")
		printf 'bench qcow2_chain: %-20s blkprio chain %5s MiB/s flat %5s MiB/s (chain/flat %sx) | qemu-img chain %5s MiB/s flat %5s MiB/s (chain/flat %sx) | blkprio/qemu-img on the chain %sx\n' \
			"$name" "$(mbps $bytes "$oc")" "$(mbps $bytes "$of")" "$(ratio "$of" "$oc")" \
			"$(mbps $bytes "$qc")" "$(mbps $bytes "$qf")" "$(ratio "$qf" "$qc")" \
			"$(ratio "$qc" "$oc")"
	else
		read -r oc of < <(rounds "'$BLKPRIO' img bench -q $extra -t none -d $D -s $s -c $c '$C'" \
				       "'$BLKPRIO' img bench -q $extra -t none -d $D -s $s -c $c '$F'")
		printf 'bench qcow2_chain: %-20s blkprio chain %5s MiB/s flat %5s MiB/s (chain/flat %sx) | qemu-img: n/a (sequential only)\n' \
			"$name" "$(mbps $bytes "$oc")" "$(mbps $bytes "$of")" "$(ratio "$of" "$oc")"
	fi
}
bench_pair "seq read 1M" 1M $SIZE_MB
bench_pair "seq read 4k" 4k 32768
bench_pair "rand read 4k" 4k 32768 --random

# ---- first writes into an empty overlay: 4 KiB into each 64 KiB cluster, so
# every write copies the other 60 KiB from the base first (copy-on-write)
cow() {	# TOOL: one pass on a fresh overlay of the flat image, prints seconds
	rm -f "$dir/ov.qcow2"
	qemu-img create -q -f qcow2 -b flat.qcow2 -F qcow2 "$dir/ov.qcow2"
	if [ "$1" = qemu ]; then
		qemu-img bench -q -w -f qcow2 -t none -d $D -s 4k -S 64k -c 4096 "$dir/ov.qcow2"
	else
		"$BLKPRIO" img bench -q -w -t none -d $D -s 4k -S 64k -c 4096 "$dir/ov.qcow2"
	fi
}
read -r o q < <(rounds 'cow ours' 'cow qemu')
qemu-img check -q "$dir/ov.qcow2"
printf 'bench qcow2_chain: %-20s blkprio %5s writes/s | qemu-img %5s writes/s (blkprio/qemu-img %sx)\n' \
	"overlay COW 4k" "$(echo "4096 / $o" | bc -l | xargs printf '%.0f')" \
	"$(echo "4096 / $q" | bc -l | xargs printf '%.0f')" "$(ratio "$q" "$o")"
