#!/bin/bash
# `blkprio img convert -c` against `qemu-img convert -c` (and -c -W), measured
# in the same run on the same 1 GiB of mixed data (/work/shared/tools/mkmixed:
# zeros, random, binary-like, text): zlib, the issue's goal
#   >= 1.9x qemu-img convert -c, > 1.0x qemu-img convert -c -W,
#   output size within 2% of qemu-img's;
# and zstd (figures only). Rounds (RUNS, default 3) run every command once in
# a rotating order; the best time of each counts (other jobs share the
# machine). Ratios are qemu-img time / blkprio time (> 1 = blkprio faster).
# BENCH_DIR picks the folder (default /var/tmp).
set -eu
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || { echo "bench qcow2_compress: qemu-img missing, skipped"; exit 0; }
[ -x /usr/bin/time ] || { echo "bench qcow2_compress: /usr/bin/time missing, skipped"; exit 0; }
MKMIXED=${MKMIXED:-/work/shared/tools/mkmixed}
[ -x "$MKMIXED" ] || { echo "bench qcow2_compress: $MKMIXED missing, skipped"; exit 0; }
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/blkprio-bench-compress.XXXXXX")
trap 'rm -rf "$dir"' EXIT
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-1024}

"$MKMIXED" "$dir/mixed.raw" "$SIZE_MIB"
cat "$dir/mixed.raw" >/dev/null		# page-cache warm for every tool

names=(ours_zlib qemu_zlib qemu_zlib_W ours_zstd qemu_zstd qemu_zstd_W)
cmds=(
	"$BLKPRIO img convert -c -f raw -O qcow2 $dir/mixed.raw $dir/ours_zlib.qcow2"
	"qemu-img convert -c -f raw -O qcow2 $dir/mixed.raw $dir/qemu_zlib.qcow2"
	"qemu-img convert -c -W -f raw -O qcow2 $dir/mixed.raw $dir/qemu_zlib_W.qcow2"
	"$BLKPRIO img convert -c -f raw -O qcow2 -o compression_type=zstd $dir/mixed.raw $dir/ours_zstd.qcow2"
	"qemu-img convert -c -f raw -O qcow2 -o compression_type=zstd $dir/mixed.raw $dir/qemu_zstd.qcow2"
	"qemu-img convert -c -W -f raw -O qcow2 -o compression_type=zstd $dir/mixed.raw $dir/qemu_zstd_W.qcow2"
)
n=${#cmds[@]}
declare -A best cpu
for ((r = 0; r < RUNS; r++)); do
	for ((i = 0; i < n; i++)); do
		k=$(((i + r) % n))
		rm -f "$dir/${names[$k]}.qcow2"
		sync
		t0=$(date +%s%N)
		eval "/usr/bin/time -o $dir/cpu -f '%U %S' ${cmds[$k]}" >/dev/null
		t1=$(date +%s%N)
		t=$((t1 - t0))
		if [ -z "${best[${names[$k]}]:-}" ] || [ "$t" -lt "${best[${names[$k]}]}" ]; then
			best[${names[$k]}]=$t
			# CPU seconds (user + system) of that run
			cpu[${names[$k]}]=$(awk '{ printf "%.1f", $1 + $2 }' "$dir/cpu")
		fi
	done
done

sec() { echo "${best[$1]} / 1000000000" | bc -l | xargs printf '%.2f'; }
best_ratio() { echo "${best[$2]} / ${best[$1]}" | bc -l | xargs printf '%.2f'; }
size() { stat -c %s "$dir/$1.qcow2"; }
pct() { echo "($(size "$1") - $(size "$2")) * 100 / $(size "$2")" | bc -l | xargs printf '%+.2f'; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo met; else echo MISSED; fi; }

for f in ours_zlib ours_zstd; do
	if ! qemu-img check -q "$dir/$f.qcow2"; then
		echo "bench qcow2_compress: $f.qcow2 fails qemu-img check"
		exit 1
	fi
done

echo "bench qcow2_compress: $SIZE_MIB MiB mixed data, $(nproc) CPUs, best of $RUNS"
for c in zlib zstd; do
	printf 'bench qcow2_compress: %s: blkprio %ss (%s CPU s, %s B) | qemu-img -c %ss (%s CPU s, %s B) | qemu-img -c -W %ss (%s CPU s, %s B)\n' \
		$c "$(sec ours_$c)" "${cpu[ours_$c]}" "$(size ours_$c)" \
		"$(sec qemu_$c)" "${cpu[qemu_$c]}" "$(size qemu_$c)" \
		"$(sec qemu_${c}_W)" "${cpu[qemu_${c}_W]}" "$(size qemu_${c}_W)"
	printf 'bench qcow2_compress: %s: %sx qemu-img -c, %sx qemu-img -c -W, size %s%% vs qemu-img -c\n' \
		$c "$(best_ratio ours_$c qemu_$c)" "$(best_ratio ours_$c qemu_${c}_W)" "$(pct ours_$c qemu_$c)"
done
r1=$(best_ratio ours_zlib qemu_zlib)
r2=$(best_ratio ours_zlib qemu_zlib_W)
p=$(pct ours_zlib qemu_zlib)
echo "bench qcow2_compress: goal zlib >= 1.9x qemu-img -c: $(verdict "$r1 >= 1.9");" \
	"> 1.0x qemu-img -c -W: $(verdict "$r2 > 1.0");" \
	"size within 2%: $(verdict "${p#+} <= 2 && ${p#+} >= -2")"
