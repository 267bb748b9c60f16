#!/bin/bash
# qcow2 library and `blkprio img` against qemu-img, measured in the same run
# on the same images (figures and ratios, not pass/fail):
#  - 1 GiB fully allocated image, O_DIRECT: sequential 1 MiB reads and writes,
#    4 KiB random reads; against a raw file (aim >= 0.95x) and against
#    `qemu-img bench` (aim >= 1.0x; qemu-img bench cannot do random I/O, so
#    random reads are compared with raw only)
#  - first 4 KiB O_DIRECT writes into a fresh image, against qemu-img bench
#  - convert of 1 GiB of mixed data raw -> qcow2, against qemu-img convert
#    (aim >= 1.0x, output size within 1%)
# Ratios are throughput ratios (> 1 = blkprio faster). BENCH_DIR picks the
# folder (default /var/tmp; it must support O_DIRECT); RUNS the rounds (5),
# each running every tool once in rotating order; figures are medians.
set -eu
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || { echo "bench qcow2: qemu-img missing, skipped"; exit 0; }
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/blkprio-bench-qcow2.XXXXXX")
trap 'rm -rf "$dir"' EXIT
RUNS=${RUNS:-5}

# pair_time "OURS-CMD" "QEMU-CMD": median wall times "ours qemu", runs
# interleaved with a sync before each, so neither pays for the other's writeback
pair_time() {
	local i t0 t1 a=() b=()
	for ((i = 0; i < RUNS; i++)); do
		sync
		t0=$(date +%s%N); eval "$1" >/dev/null 2>&1; t1=$(date +%s%N)
		a+=($((t1 - t0)))
		sync
		t0=$(date +%s%N); eval "$2" >/dev/null 2>&1; t1=$(date +%s%N)
		b+=($((t1 - t0)))
	done
	printf '%s\n' "${a[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.4f ", v[int((NR + 1) / 2)] / 1e9 }'
	printf '%s\n' "${b[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.4f\n", v[int((NR + 1) / 2)] / 1e9 }'
}

# ---- 1 GiB fully allocated: qcow2 (written by qemu-io) and raw ---------------
qemu-img create -q -f qcow2 "$dir/full.qcow2" 1G
qemu-io -f qcow2 -t none -c 'write -P 0xab 0 1G' "$dir/full.qcow2" >/dev/null
qemu-img convert -O raw "$dir/full.qcow2" "$dir/full.raw"
sync

report() {	# NAME BYTES OURS-S RAW-S QEMU-S
	local q="n/a" qr="n/a"
	if [ "$5" != - ]; then
		q="$(mbps "$2" "$5") MiB/s"
		qr="$(ratio "$5" "$3")x"
	fi
	printf 'bench qcow2: %-24s blkprio %6s MiB/s | raw %6s MiB/s (%sx raw) | qemu-img %s (%s qemu-img)\n' \
		"$1" "$(mbps "$2" "$3")" "$(mbps "$2" "$4")" "$(ratio "$4" "$3")" "$q" "$qr"
}

D=16
Q="$dir/full.qcow2" R="$dir/full.raw"
read -r o r q < <(rounds "'$BLKPRIO' img bench -q -t none -d $D -s 1M -c 1024 '$Q'" \
			 "'$BLKPRIO' img bench -q -f raw -t none -d $D -s 1M -c 1024 '$R'" \
			 "qemu-img bench -q -f qcow2 -t none -d $D -s 1M -c 1024 '$Q'")
report "seq read 1M (O_DIRECT)" $((1 << 30)) "$o" "$r" "$q"
read -r o r q < <(rounds "'$BLKPRIO' img bench -q -w -t none -d $D -s 1M -c 1024 '$Q'" \
			 "'$BLKPRIO' img bench -q -w -f raw -t none -d $D -s 1M -c 1024 '$R'" \
			 "qemu-img bench -q -w -f qcow2 -t none -d $D -s 1M -c 1024 --pattern=0xa5 '$Q'")
report "seq write 1M (O_DIRECT)" $((1 << 30)) "$o" "$r" "$q"
# 4 KiB random reads (qemu-img bench is sequential only: raw is the anchor)
read -r o r < <(rounds "'$BLKPRIO' img bench -q --random -t none -d $D -s 4k -c 65536 '$Q'" \
		       "'$BLKPRIO' img bench -q --random -f raw -t none -d $D -s 4k -c 65536 '$R'")
report "rand read 4k (O_DIRECT)" $((65536 * 4096)) "$o" "$r" -
# 4 KiB sequential reads, where qemu-img bench can take part
read -r o r q < <(rounds "'$BLKPRIO' img bench -q -t none -d $D -s 4k -c 65536 '$Q'" \
			 "'$BLKPRIO' img bench -q -f raw -t none -d $D -s 4k -c 65536 '$R'" \
			 "qemu-img bench -q -f qcow2 -t none -d $D -s 4k -c 65536 '$Q'")
report "seq read 4k (O_DIRECT)" $((65536 * 4096)) "$o" "$r" "$q"
rm -f "$dir/full.raw"

# ---- first writes into a fresh image: 4 KiB, O_DIRECT -------------------------
fresh() {	# TOOL: run one fresh-image write pass, print seconds
	rm -f "$dir/fresh.qcow2"
	if [ "$1" = qemu ]; then
		qemu-img create -q -f qcow2 "$dir/fresh.qcow2" 1G
		qemu-img bench -q -w -f qcow2 -t none -d $D -s 4k -c 65536 "$dir/fresh.qcow2"
	else
		"$BLKPRIO" img create -q -f qcow2 "$dir/fresh.qcow2" 1G
		"$BLKPRIO" img bench -q -w -t none -d $D -s 4k -c 65536 "$dir/fresh.qcow2"
	fi
}
read -r o q < <(rounds 'fresh ours' 'fresh qemu')
qemu-img check -q "$dir/fresh.qcow2"
printf 'bench qcow2: %-24s blkprio %6s MiB/s | qemu-img %s MiB/s (%sx qemu-img)\n' \
	"fresh write 4k (O_DIRECT)" "$(mbps $((65536 * 4096)) "$o")" \
	"$(mbps $((65536 * 4096)) "$q")" "$(ratio "$q" "$o")"
rm -f "$dir/fresh.qcow2" "$dir/full.qcow2"

# ---- convert 1 GiB of mixed data -------------------------------------------------
python3 - "$dir/mixed.raw" <<'EOF'
import glob, os, random, sys
MB = 1 << 20
rnd = random.Random(12345)
def pool(pattern):
    data = b""
    for f in sorted(glob.glob(pattern)):
        try:
            data += open(f, "rb").read(4 * MB)
        except OSError:
            pass
        if len(data) >= 64 * MB:
            break
    return data or rnd.randbytes(64 * MB)
bins = pool("/usr/lib/x86_64-linux-gnu/*.so*")
text = pool("/usr/share/perl/*/*.pm") + pool("/usr/share/doc/*/*")
with open(sys.argv[1], "wb") as out:
    for i in range(1024):
        kind = i % 4
        if kind == 0:
            out.write(bytes(MB))
        elif kind == 1:
            out.write(rnd.randbytes(MB))
        elif kind == 2:
            o = (i * MB) % (len(bins) - MB)
            out.write(bins[o:o + MB])
        else:
            o = (i * 7919) % max(1, len(text) - MB)
            chunk = text[o:o + MB]
            out.write(chunk + bytes(MB - len(chunk)))
EOF
cat "$dir/mixed.raw" >/dev/null
read -r o q < <(pair_time "'$BLKPRIO' img convert -f raw -O qcow2 '$dir/mixed.raw' '$dir/ours.qcow2'" \
			  "qemu-img convert -f raw -O qcow2 '$dir/mixed.raw' '$dir/qemu.qcow2'")
os=$(stat -c %s "$dir/ours.qcow2") qs=$(stat -c %s "$dir/qemu.qcow2")
same=no
qemu-img compare -q "$dir/ours.qcow2" "$dir/qemu.qcow2" && same=yes
printf 'bench qcow2: %-24s blkprio %.3f s | qemu-img %.3f s (%sx qemu-img) | size %d vs %d (%s%%) | identical: %s\n' \
	"convert raw->qcow2 1G" "$o" "$q" "$(ratio "$q" "$o")" "$os" "$qs" \
	"$(echo "($os - $qs) * 100 / $qs" | bc -l | xargs printf '%+.2f')" "$same"
read -r o q < <(pair_time "'$BLKPRIO' img convert -O raw '$dir/ours.qcow2' '$dir/back.raw'" \
			  "qemu-img convert -O raw '$dir/ours.qcow2' '$dir/back.raw'")
printf 'bench qcow2: %-24s blkprio %.3f s | qemu-img %.3f s (%sx qemu-img)\n' \
	"convert qcow2->raw 1G" "$o" "$q" "$(ratio "$q" "$o")"
