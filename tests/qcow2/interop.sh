#!/bin/bash
# qcow2 interoperability with qemu-img/qemu-io as the oracle, both directions:
# images qemu writes read back through blkprio exactly as `qemu-img convert
# -O raw` gives them; images blkprio writes pass `qemu-img check` and compare
# identical; info/check/map print what qemu-img prints; preallocation modes
# do the same on disk (stat, du, map).
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	t_skip qcow2_interop "qemu-utils not installed"
	t_done
	exit
fi

qio() { qemu-io -f qcow2 "$@" >/dev/null; }

# ---- qemu writes, we read ---------------------------------------------------
for cs in 512 4096 65536 2097152; do
	for pre in off metadata falloc; do
		img=$T/q-$cs-$pre.qcow2
		qemu-img create -q -f qcow2 -o cluster_size=$cs,preallocation=$pre "$img" 40M
		qio -c 'write -P 0x11 0 100k' -c 'write -P 0x22 3M 5000' \
		    -c 'write -z 5M 1M' -c 'write -P 0x33 9000000 3M' \
		    -c 'discard 10M 1M' -c 'write -z 2M 4097' -c 'write -P 0x44 40894464 1M' \
		    -c 'discard 36M 3M' "$img"
		qemu-img convert -O raw "$img" "$T/expect.raw"
		if ! "$BLKPRIO" img convert -O raw "$img" "$T/got.raw"; then
			t_fail "qemu_to_ours_read_c${cs}_$pre" "convert failed"
		elif cmp -s "$T/expect.raw" "$T/got.raw"; then
			t_ok "qemu_to_ours_read_c${cs}_$pre"
		else
			t_fail "qemu_to_ours_read_c${cs}_$pre" "$(cmp "$T/expect.raw" "$T/got.raw")"
		fi
		# and we write into qemu's image: qemu still likes it
		if "$BLKPRIO" img resize -q "$img" +1M &&
		   "$BLKPRIO" img check -q "$img" && qemu-img check -q "$img"; then
			t_ok "qemu_image_we_resize_c${cs}_$pre"
		else
			t_fail "qemu_image_we_resize_c${cs}_$pre" "$(qemu-img check "$img" 2>&1 | head -5)"
		fi
		rm -f "$img" "$T"/*.raw
	done
done

# v2 (compat=0.10) images from qemu
qemu-img create -q -f qcow2 -o compat=0.10 "$T/v2.qcow2" 8M
qio -c 'write -P 0x55 1M 1M' -c 'write -z 1536k 4k' "$T/v2.qcow2"
qemu-img convert -O raw "$T/v2.qcow2" "$T/expect.raw"
"$BLKPRIO" img convert -O raw "$T/v2.qcow2" "$T/got.raw"
t_check qemu_v2_image_read cmp "$T/expect.raw" "$T/got.raw"
t_check qemu_v2_compare "$BLKPRIO" img compare -q "$T/v2.qcow2" "$T/expect.raw"

# refcount widths other than 16 bits, preallocation=full, lazy refcounts
for opts in refcount_bits=1 refcount_bits=8 refcount_bits=64 preallocation=full \
	    lazy_refcounts=on; do
	qemu-img create -q -f qcow2 -o cluster_size=4k,$opts "$T/w.qcow2" 16M
	qio -c 'write -P 0x12 100k 300k' -c 'write -z 200k 8k' -c 'discard 1M 64k' "$T/w.qcow2"
	qemu-img convert -O raw "$T/w.qcow2" "$T/expect.raw"
	# we write into it (allocations and refcount updates at that width),
	# and the same writes into the raw copy
	for f in "-f qcow2 $T/w.qcow2" "-f raw $T/expect.raw"; do
		# shellcheck disable=SC2086
		"$BLKPRIO" img bench -q -w -d 1 -c 60 -s 12288 -S 204800 -o 7168 $f >/dev/null
	done
	if qemu-img check -q "$T/w.qcow2" && "$BLKPRIO" img compare -q "$T/w.qcow2" "$T/expect.raw" &&
	   qemu-img compare -q "$T/w.qcow2" "$T/expect.raw"; then
		t_ok "qemu_image_$opts"
	else
		t_fail "qemu_image_$opts" "$(qemu-img check "$T/w.qcow2" 2>&1 | head -3)"
	fi
	rm -f "$T/w.qcow2" "$T"/*.raw
done

# internal snapshots (made by qemu-img): our writes copy shared clusters and
# L2 tables on write, the snapshot keeps its data
qemu-img create -q -f qcow2 -o cluster_size=4k "$T/s.qcow2" 16M
qio -c 'write -P 1 0 1M' -c 'write -P 2 8M 100k' "$T/s.qcow2"
qemu-img snapshot -c snap1 "$T/s.qcow2"
qemu-img snapshot -c "second one" "$T/s.qcow2"
for fmt in human json; do
	if diff <(cd "$T" && "$BLKPRIO" img info --output=$fmt s.qcow2) \
		<(cd "$T" && qemu-img info --output=$fmt s.qcow2) >"$T/diff"; then
		t_ok "snapshot_list_info_$fmt"
	else
		t_fail "snapshot_list_info_$fmt" "$(cat "$T/diff")"
	fi
done
qemu-img convert -O raw "$T/s.qcow2" "$T/expect.raw"
for f in "-f qcow2 $T/s.qcow2" "-f raw $T/expect.raw"; do
	# shellcheck disable=SC2086
	"$BLKPRIO" img bench -q -w -d 1 -c 30 -s 6000 -S 50000 -o 1000 $f >/dev/null
done
if qemu-img check -q "$T/s.qcow2" && qemu-img compare -q "$T/s.qcow2" "$T/expect.raw" &&
   diff <("$BLKPRIO" img check "$T/s.qcow2") <(qemu-img check "$T/s.qcow2") &&
   qemu-img snapshot -a snap1 "$T/s.qcow2" &&
   qemu-io -f qcow2 -c 'read -P 1 0 1M' -c 'read -P 2 8M 100k' "$T/s.qcow2" | grep -q 'read 102400/'; then
	t_ok snapshot_copy_on_write
else
	t_fail snapshot_copy_on_write "$(qemu-img check "$T/s.qcow2" 2>&1 | head -3)"
fi
rm -f "$T/s.qcow2" "$T/expect.raw"

# ---- we write, qemu reads ---------------------------------------------------
head -c 6M /dev/urandom > "$T/rand"
{ head -c 3M /dev/zero; head -c 2M "$T/rand"; head -c 1M /dev/zero;
  head -c 3M /usr/bin/qemu-img 2>/dev/null; head -c 1500000 "$T/rand"; } > "$T/mixed.raw"
for cs in 512 4096 65536 2097152; do
	out=$T/o-$cs.qcow2
	if "$BLKPRIO" img convert -f raw -O qcow2 -o cluster_size=$cs "$T/mixed.raw" "$out" &&
	   qemu-img check -q "$out" && qemu-img compare -q -f raw -F qcow2 "$T/mixed.raw" "$out"; then
		t_ok "ours_to_qemu_convert_c$cs"
	else
		t_fail "ours_to_qemu_convert_c$cs" "$(qemu-img check "$out" 2>&1 | head -5)"
	fi
	# qemu-io writes into our image; both of us read it back the same
	qio -c 'write -P 0x66 1M 70k' -c 'write -z 4M 64k' -c 'discard 6M 1M' "$out"
	qemu-img convert -O raw "$out" "$T/expect.raw"
	"$BLKPRIO" img convert -O raw "$out" "$T/got.raw"
	if qemu-img check -q "$out" && cmp -s "$T/expect.raw" "$T/got.raw"; then
		t_ok "ours_then_qemu_io_c$cs"
	else
		t_fail "ours_then_qemu_io_c$cs" "mismatch after qemu-io writes"
	fi
	rm -f "$out" "$T/expect.raw" "$T/got.raw"
done
# zero clusters are not allocated by convert (sparse output)
"$BLKPRIO" img convert -O qcow2 "$T/mixed.raw" "$T/s.qcow2"
qemu-img convert -O qcow2 "$T/mixed.raw" "$T/sq.qcow2"
ours=$(stat -c %s "$T/s.qcow2") theirs=$(stat -c %s "$T/sq.qcow2")
if [ $((ours * 100 / theirs)) -ge 99 ] && [ $((ours * 100 / theirs)) -le 101 ]; then
	t_ok convert_output_size_like_qemu
else
	t_fail convert_output_size_like_qemu "ours $ours, qemu-img $theirs"
fi
"$BLKPRIO" img convert -O raw "$T/s.qcow2" "$T/back.raw"
t_check convert_round_trip cmp "$T/mixed.raw" "$T/back.raw"
t_check compare_identical "$BLKPRIO" img compare -q "$T/s.qcow2" "$T/mixed.raw"
qio -c 'write -P 0x77 7M 512' "$T/s.qcow2"
"$BLKPRIO" img compare "$T/s.qcow2" "$T/mixed.raw" > "$T/cmp.out"
rc=$?
if [ $rc -eq 1 ] && grep -q 'Content mismatch at offset 7340032!' "$T/cmp.out"; then
	t_ok compare_reports_mismatch
else
	t_fail compare_reports_mismatch "rc=$rc $(cat "$T/cmp.out")"
fi
rm -f "$T"/*.qcow2 "$T"/*.raw

# ---- create: preallocation modes as qemu-img does them ----------------------
for pre in off metadata falloc full; do
	"$BLKPRIO" img create -q -f qcow2 -o preallocation=$pre "$T/b.qcow2" 64M
	qemu-img create -q -f qcow2 -o preallocation=$pre "$T/q.qcow2" 64M
	bs=$(stat -c %s "$T/b.qcow2") qs=$(stat -c %s "$T/q.qcow2")
	bd=$(du -k "$T/b.qcow2" | cut -f1) qd=$(du -k "$T/q.qcow2" | cut -f1)
	bm=$(qemu-img map --output=json "$T/b.qcow2" | sed 's/, "offset": [0-9]*//' | tr -d '\n')
	qm=$(qemu-img map --output=json "$T/q.qcow2" | sed 's/, "offset": [0-9]*//' | tr -d '\n')
	if [ "$bs" = "$qs" ] && [ $((bd - qd)) -le 128 ] && [ $((qd - bd)) -le 128 ] &&
	   [ "$bm" = "$qm" ] && qemu-img check -q "$T/b.qcow2"; then
		t_ok "create_preallocation_$pre"
	else
		t_fail "create_preallocation_$pre" "size $bs vs $qs, du $bd vs $qd, map $bm vs $qm"
	fi
	rm -f "$T/b.qcow2" "$T/q.qcow2"
done
# exactly as written in the issue
(cd "$T" && "$BLKPRIO" img create -f qcow2 -o preallocation=falloc image.qcow2 1G >/dev/null)
t_check create_falloc_1g_as_written qemu-img check -q "$T/image.qcow2"
rm -f "$T/image.qcow2"
qemu-img create -q -f qcow2 "$T/q.qcow2" 1G
"$BLKPRIO" img create -q -f qcow2 "$T/b.qcow2" 1G
t_check create_byte_identical_to_qemu cmp "$T/q.qcow2" "$T/b.qcow2"
"$BLKPRIO" img create -q -f qcow2 -o compat=0.10,cluster_size=4k "$T/b2.qcow2" 100M
t_check create_v2 sh -c "qemu-img info '$T/b2.qcow2' | grep -q 'compat: 0.10'"
"$BLKPRIO" img create -q -f qcow2 -o lazy_refcounts=on "$T/lz.qcow2" 1G
t_check create_lazy sh -c "qemu-img info '$T/lz.qcow2' | grep -q 'lazy refcounts: true'"
t_check create_o_help sh -c "'$BLKPRIO' img create -f qcow2 -o help x 1G | grep -q preallocation"

# big L1 tables and refcount table growth (many refcount blocks at once)
"$BLKPRIO" img create -q -f qcow2 -o cluster_size=512 "$T/big.qcow2" 100G
t_check create_100g_512b_clusters qemu-img check -q "$T/big.qcow2"
rm -f "$T/big.qcow2"
"$BLKPRIO" img create -q -f qcow2 -o cluster_size=512,refcount_bits=64 "$T/g.qcow2" 64M
qemu-img create -q -f raw "$T/g.raw" 64M
for f in "-f qcow2 $T/g.qcow2" "-f raw $T/g.raw"; do
	# shellcheck disable=SC2086
	"$BLKPRIO" img bench -q -w -d 4 -c 600 -s 20000 -S 70000 $f >/dev/null
done
if qemu-img check -q "$T/g.qcow2" && qemu-img compare -q "$T/g.qcow2" "$T/g.raw"; then
	t_ok refcount_table_growth_while_writing
else
	t_fail refcount_table_growth_while_writing "$(qemu-img check "$T/g.qcow2" 2>&1 | tail -3)"
fi
rm -f "$T/g.qcow2" "$T/g.raw"

# ---- info/check/map: same output as qemu-img --------------------------------
qio -c 'write -P 1 0 100k' -c 'write -z 1M 64k' -c 'discard 2M 128k' \
    -c 'write -P 3 5M 200k' -c 'write -z -u 5M 64k' "$T/q.qcow2"
for cmd in "info" "info --output=json" "check" "map" "map --output=json"; do
	# shellcheck disable=SC2086
	if diff <(cd "$T" && "$BLKPRIO" img $cmd q.qcow2 2>&1) \
		<(cd "$T" && qemu-img $cmd q.qcow2 2>&1) >"$T/diff"; then
		t_ok "output_like_qemu_img_${cmd// /_}"
	else
		t_fail "output_like_qemu_img_${cmd// /_}" "$(cat "$T/diff")"
	fi
done
"$BLKPRIO" img check --output=json "$T/q.qcow2" > "$T/c.json"
t_check check_json_fields grep -q '"allocated-clusters": 5' "$T/c.json"

# ---- resize ----------------------------------------------------------------------
"$BLKPRIO" img resize -q "$T/b.qcow2" +1G
t_check resize_grow sh -c "qemu-img info '$T/b.qcow2' | grep -q '(2147483648 bytes)'"
"$BLKPRIO" img resize -q "$T/b.qcow2" 1G 2>/dev/null
t_check resize_shrink_needs_flag test $? -eq 1
"$BLKPRIO" img resize -q --shrink "$T/b.qcow2" -512M
if qemu-img info "$T/b.qcow2" | grep -q '(1610612736 bytes)' && qemu-img check -q "$T/b.qcow2"; then
	t_ok resize_shrink
else
	t_fail resize_shrink "$(qemu-img info "$T/b.qcow2")"
fi
"$BLKPRIO" img resize -q --preallocation=falloc "$T/b.qcow2" +64M
t_check resize_grow_falloc qemu-img check -q "$T/b.qcow2"
t_done
