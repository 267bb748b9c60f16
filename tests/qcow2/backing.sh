#!/bin/bash
# Backing files (linked and chained images), qemu-img/qemu-io as the oracle,
# both directions: overlays on bases made by either tool, random writes
# (partial clusters into unallocated clusters too) against a raw mirror,
# relative names, a 3-deep chain (map depth as qemu-img prints it), loops,
# the base never changing, commit and rebase (safe, -u, flatten), crashes
# during commit, and bad input.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	t_skip qcow2_backing "qemu-utils not installed"
	t_done
	exit
fi

SIZE=$((8 << 20))
head -c $((2 << 20)) /dev/urandom >"$T/rand"

# ours_write IMG MIRROR N: N random writes (any offset and length, often
# inside one cluster) of random bytes through our library and into the mirror
ours_write() {
	local img=$1 mirror=$2 n=$3 i off len src
	for ((i = 0; i < n; i++)); do
		len=$(((RANDOM * 32768 + RANDOM) % (i % 3 ? 9000 : 300000) + 1))
		off=$(((RANDOM * 32768 + RANDOM) % (SIZE - len)))
		src=$(((RANDOM * 32768 + RANDOM) % ((2 << 20) - len)))
		"$BLKPRIO" dd if="$T/rand" of="img:$img" bs=$len count=1 skip=$src seek=$off \
			iflag=skip_bytes oflag=seek_bytes conv=notrunc status=none || return 1
		dd if="$T/rand" of="$mirror" bs=$len count=1 skip=$src seek=$off \
			iflag=skip_bytes oflag=seek_bytes conv=notrunc status=none || return 1
	done
}

# qemu_write IMG MIRROR N: the same through qemu-io (patterns)
qemu_write() {
	local img=$1 mirror=$2 n=$3 i off len cmds=()
	for ((i = 0; i < n; i++)); do
		len=$(((RANDOM * 32768 + RANDOM) % (i % 3 ? 9000 : 300000) + 1))
		off=$(((RANDOM * 32768 + RANDOM) % (SIZE - len)))
		cmds+=(-c "write -P $((RANDOM % 255 + 1)) $off $len")
	done
	qemu-io -f qcow2 "${cmds[@]}" "$img" >/dev/null &&
		qemu-io -f raw "${cmds[@]}" "$mirror" >/dev/null
}

# same NAME IMG MIRROR: both tools read IMG (through its chain) as MIRROR,
# and qemu-img check finds nothing wrong
same() {
	local out
	if ! out=$(qemu-img compare "$2" "$3" 2>&1); then
		t_fail "$1" "qemu-img compare: $out"
	elif ! out=$("$BLKPRIO" img compare "$2" "$3" 2>&1); then
		t_fail "$1" "blkprio img compare: $out"
	elif ! out=$(qemu-img check "$2" 2>&1); then
		t_fail "$1" "qemu-img check: $out"
	else
		t_ok "$1"
	fi
}

# a base with data written by qemu-io (fmt FILE)
mkbase() {
	qemu-img create -q -f "$1" "$2" $SIZE
	qemu-io -f "$1" -c 'write -P 0x11 0 3M' -c 'write -P 0x12 5M 100k' \
		-c 'write -P 0x13 7340000 9000' "$2" >/dev/null
}

# ---- bad input ------------------------------------------------------------------
mkbase qcow2 "$T/b.qcow2"
out=$("$BLKPRIO" img create -q -f qcow2 -b "$T/b.qcow2" "$T/nofmt.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && [ ! -e "$T/nofmt.qcow2" ] &&
   [ "$out" = "blkprio: cannot create '$T/nofmt.qcow2': Backing file specified without backing format" ]; then
	t_ok create_b_without_F_refused
else
	t_fail create_b_without_F_refused "rc $rc: $out"
fi
out=$("$BLKPRIO" img create -q -f qcow2 -b "$T/none.qcow2" -F qcow2 "$T/x.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && [ ! -e "$T/x.qcow2" ] && [ "$(echo "$out" | wc -l)" = 1 ] &&
   echo "$out" | grep -q "none.qcow2.*No such file"; then
	t_ok create_missing_base_refused
else
	t_fail create_missing_base_refused "rc $rc: $out"
fi
out=$("$BLKPRIO" img create -q -f qcow2 -b "$T/b.qcow2" -F vmdk "$T/x.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && [ ! -e "$T/x.qcow2" ]; then
	t_ok create_unknown_backing_format_refused
else
	t_fail create_unknown_backing_format_refused "rc $rc: $out"
fi
sum=$(md5sum <"$T/b.qcow2")
out=$("$BLKPRIO" img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/b.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && [ "$(md5sum <"$T/b.qcow2")" = "$sum" ]; then
	t_ok create_over_own_backing_file_refused
else
	t_fail create_over_own_backing_file_refused "rc $rc: $out"
fi
out=$("$BLKPRIO" img create -q -f qcow2 -o preallocation=metadata -b b.qcow2 -F qcow2 \
	"$T/x.qcow2" 2>&1)
[ $? = 1 ] && [ ! -e "$T/x.qcow2" ] && t_ok create_backing_with_prealloc_refused ||
	t_fail create_backing_with_prealloc_refused "$out"

# ---- our overlay on qemu's base: what create writes ------------------------------
sum=$(md5sum <"$T/b.qcow2")
"$BLKPRIO" img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/o.qcow2"
qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/qo.qcow2"
if cmp -s "$T/o.qcow2" "$T/qo.qcow2"; then
	t_ok create_overlay_same_bytes_as_qemu_img
else
	t_fail create_overlay_same_bytes_as_qemu_img "$(cmp -l "$T/o.qcow2" "$T/qo.qcow2" | head -5)"
fi
# other layouts: no feature table with small clusters, version 2 extensions
for opt in compat=0.10 cluster_size=512 cluster_size=4096 cluster_size=2M refcount_bits=1; do
	"$BLKPRIO" img create -q -f qcow2 -o $opt -b b.qcow2 -F qcow2 "$T/x.qcow2"
	qemu-img create -q -f qcow2 -o $opt -b b.qcow2 -F qcow2 "$T/qx.qcow2"
	t_check "create_overlay_same_bytes_$opt" cmp "$T/x.qcow2" "$T/qx.qcow2"
	rm -f "$T/x.qcow2" "$T/qx.qcow2"
done
for fmtout in human json; do
	if diff <("$BLKPRIO" img info --output=$fmtout "$T/o.qcow2" | grep -v actual-size | grep -v 'disk size') \
		<(qemu-img info --output=$fmtout "$T/o.qcow2" | grep -v actual-size | grep -v 'disk size') >"$T/d"; then
		t_ok "info_overlay_$fmtout"
	else
		t_fail "info_overlay_$fmtout" "$(cat "$T/d")"
	fi
done

# we write random data (partial clusters over the base's data), qemu reads
qemu-img convert -O raw "$T/b.qcow2" "$T/m.raw"
ours_write "$T/o.qcow2" "$T/m.raw" 40 && same ours_write_qemu_base "$T/o.qcow2" "$T/m.raw" ||
	t_fail ours_write_qemu_base "writes failed"
# qemu writes into our overlay too, we read
qemu_write "$T/o.qcow2" "$T/m.raw" 40 && same qemu_write_our_overlay "$T/o.qcow2" "$T/m.raw"
"$BLKPRIO" img convert -O raw "$T/o.qcow2" "$T/got.raw"
t_check overlay_convert_sees_chain cmp "$T/got.raw" "$T/m.raw"
if [ "$(md5sum <"$T/b.qcow2")" = "$sum" ]; then
	t_ok base_unchanged_by_overlay_writes
else
	t_fail base_unchanged_by_overlay_writes "base.qcow2 changed"
fi
# write zeroes and discard over the base's data read as zeros
"$BLKPRIO" dd if=/dev/zero of="img:$T/o.qcow2" bs=70000 count=1 seek=1000 \
	oflag=seek_bytes conv=notrunc status=none
dd if=/dev/zero of="$T/m.raw" bs=70000 count=1 seek=1000 oflag=seek_bytes conv=notrunc status=none
same zero_bytes_over_base "$T/o.qcow2" "$T/m.raw"

# convert -B: the output holds what differs from its backing file (-F required)
"$BLKPRIO" img convert -O qcow2 -B b.qcow2 -F qcow2 "$T/o.qcow2" "$T/cvb.qcow2" &&
	same convert_B_output "$T/cvb.qcow2" "$T/m.raw" || t_fail convert_B_output "convert failed"
qemu-img convert -O qcow2 -B b.qcow2 -F qcow2 "$T/o.qcow2" "$T/qcvb.qcow2"
[ "$(stat -c %s "$T/cvb.qcow2")" -le "$(stat -c %s "$T/qcvb.qcow2")" ] &&
	t_ok convert_B_no_bigger_than_qemu ||
	t_fail convert_B_no_bigger_than_qemu "$(stat -c %s "$T/cvb.qcow2") > $(stat -c %s "$T/qcvb.qcow2")"
out=$("$BLKPRIO" img convert -O qcow2 -B b.qcow2 "$T/o.qcow2" "$T/x.qcow2" 2>&1)
[ $? = 1 ] && [ ! -e "$T/x.qcow2" ] && echo "$out" | grep -q "requires explicit backing format" &&
	t_ok convert_B_without_F_refused || t_fail convert_B_without_F_refused "$out"

# growing an overlay over a longer base: the new space reads zeros (as qemu)
"$BLKPRIO" img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/rz.qcow2" 1M
qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/qrz.qcow2" 1M
"$BLKPRIO" img resize -q "$T/rz.qcow2" 3000k
qemu-img resize -q "$T/qrz.qcow2" 3000k
same resize_overlay_grown_reads_zeros "$T/rz.qcow2" "$T/qrz.qcow2"

# ---- qemu's overlay on our base ---------------------------------------------------
"$BLKPRIO" img create -q -f qcow2 "$T/ob.qcow2" $SIZE
"$BLKPRIO" img convert -O qcow2 "$T/b.qcow2" "$T/ob.qcow2"
sum=$(md5sum <"$T/ob.qcow2")
qemu-img create -q -f qcow2 -b ob.qcow2 -F qcow2 "$T/qov.qcow2"
qemu-img convert -O raw "$T/ob.qcow2" "$T/m2.raw"
qemu_write "$T/qov.qcow2" "$T/m2.raw" 40 && same qemu_overlay_our_base "$T/qov.qcow2" "$T/m2.raw"
ours_write "$T/qov.qcow2" "$T/m2.raw" 30 && same ours_write_qemu_overlay "$T/qov.qcow2" "$T/m2.raw"
if diff <("$BLKPRIO" img map --output=json "$T/qov.qcow2") \
	<(qemu-img map --output=json "$T/qov.qcow2") >"$T/d"; then
	t_ok map_json_depth_like_qemu
else
	t_fail map_json_depth_like_qemu "$(head -5 "$T/d")"
fi
[ "$(md5sum <"$T/ob.qcow2")" = "$sum" ] && t_ok our_base_unchanged ||
	t_fail our_base_unchanged "ob.qcow2 changed"
t_check check_overlay "$BLKPRIO" img check -q "$T/qov.qcow2"

# ---- raw base, larger overlay (beyond the base: zeros) ------------------------------
mkbase raw "$T/b.raw"
"$BLKPRIO" img create -q -f qcow2 -b b.raw -F raw "$T/or.qcow2" $((SIZE * 2))
cp "$T/b.raw" "$T/m3.raw"
truncate -s $((SIZE * 2)) "$T/m3.raw"
ours_write "$T/or.qcow2" "$T/m3.raw" 20 && same raw_base_overlay "$T/or.qcow2" "$T/m3.raw"
for fmtout in human json; do
	if diff <("$BLKPRIO" img map --output=$fmtout "$T/or.qcow2") \
		<(qemu-img map --output=$fmtout "$T/or.qcow2") >"$T/d"; then
		t_ok "map_raw_base_$fmtout"
	else
		t_fail "map_raw_base_$fmtout" "$(head -6 "$T/d")"
	fi
done

# ---- relative names resolve against the overlay's folder ---------------------------
mkdir -p "$T/sub/deeper"
"$BLKPRIO" img create -q -f qcow2 -b ../b.qcow2 -F qcow2 "$T/sub/rel.qcow2"
"$BLKPRIO" img create -q -f qcow2 -b ../rel.qcow2 -F qcow2 "$T/sub/deeper/rel2.qcow2"
qemu-img convert -O raw "$T/sub/deeper/rel2.qcow2" "$T/m4.raw"
(cd / && "$BLKPRIO" img compare "$T/sub/deeper/rel2.qcow2" "$T/b.qcow2" >/dev/null) &&
	(cd "$T/sub" && "$BLKPRIO" img compare deeper/rel2.qcow2 ../m4.raw >/dev/null) &&
	t_ok relative_backing_names || t_fail relative_backing_names "compare failed"
if diff <(cd "$T" && "$BLKPRIO" img info --backing-chain sub/deeper/rel2.qcow2 | grep -v 'disk size') \
	<(cd "$T" && qemu-img info --backing-chain sub/deeper/rel2.qcow2 | grep -v 'disk size') >"$T/d"; then
	t_ok info_backing_chain_like_qemu
else
	t_fail info_backing_chain_like_qemu "$(head -8 "$T/d")"
fi
# the JSON arrays are equal to qemu-img's (but for actual-size)
jnorm='import json, sys
a = json.load(sys.stdin)
for i in a: i.pop("actual-size", None)
print(json.dumps(a, sort_keys=True, indent=1))'
if diff <(cd "$T" && "$BLKPRIO" img info --backing-chain --output=json sub/deeper/rel2.qcow2 | python3 -c "$jnorm") \
	<(cd "$T" && qemu-img info --backing-chain --output=json sub/deeper/rel2.qcow2 | python3 -c "$jnorm") >"$T/d"; then
	t_ok info_backing_chain_json_like_qemu
else
	t_fail info_backing_chain_json_like_qemu "$(head -8 "$T/d")"
fi
if diff <("$BLKPRIO" img check "$T/sub/deeper/rel2.qcow2" 2>&1) <(qemu-img check "$T/sub/deeper/rel2.qcow2" 2>&1) >"$T/d"; then
	t_ok check_overlay_like_qemu
else
	t_fail check_overlay_like_qemu "$(head -8 "$T/d")"
fi
if "$BLKPRIO" img info --backing-chain --output=json "$T/sub/deeper/rel2.qcow2" |
	python3 -c 'import json, sys; a = json.load(sys.stdin); assert [i["filename"].split("/")[-1] for i in a] == ["rel2.qcow2", "rel.qcow2", "b.qcow2"], a' 2>"$T/d"; then
	t_ok info_backing_chain_json
else
	t_fail info_backing_chain_json "$(tail -3 "$T/d")"
fi

# ---- a 3-deep chain, each level written by a different tool --------------------------
"$BLKPRIO" img create -q -f qcow2 -b b.qcow2 -F qcow2 "$T/c1.qcow2"
qemu-img create -q -f qcow2 -b c1.qcow2 -F qcow2 "$T/c2.qcow2"
"$BLKPRIO" img create -q -f qcow2 -b c2.qcow2 -F qcow2 "$T/c3.qcow2"
qemu-img convert -O raw "$T/b.qcow2" "$T/mc.raw"
ours_write "$T/c1.qcow2" "$T/mc.raw" 10
qemu_write "$T/c2.qcow2" "$T/mc.raw" 10
ours_write "$T/c3.qcow2" "$T/mc.raw" 10
same chain_3_deep "$T/c3.qcow2" "$T/mc.raw"
if diff <("$BLKPRIO" img map --output=json "$T/c3.qcow2") \
	<(qemu-img map --output=json "$T/c3.qcow2") >"$T/d" &&
   diff <(cd "$T" && "$BLKPRIO" img map c3.qcow2) <(cd "$T" && qemu-img map c3.qcow2) >>"$T/d"; then
	t_ok chain_3_deep_map_like_qemu
else
	t_fail chain_3_deep_map_like_qemu "$(head -5 "$T/d")"
fi

# ---- loops are errors, not hangs ------------------------------------------------------
qemu-img create -q -f qcow2 -b l2.qcow2 -F qcow2 -u "$T/l1.qcow2" 1M
qemu-img create -q -f qcow2 -b l1.qcow2 -F qcow2 -u "$T/l2.qcow2" 1M
out=$(timeout 20 "$BLKPRIO" img convert -O raw "$T/l1.qcow2" "$T/x.raw" 2>&1)
rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q "creates an infinite loop" && [ ! -e "$T/x.raw" ]; then
	t_ok loop_in_chain_is_an_error
else
	t_fail loop_in_chain_is_an_error "rc $rc: $out"
fi
qemu-img create -q -f qcow2 -b self.qcow2 -F qcow2 -u "$T/self.qcow2" 1M
out=$(timeout 20 "$BLKPRIO" img info --backing-chain "$T/self.qcow2" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "infinite loop" && t_ok self_loop_is_an_error ||
	t_fail self_loop_is_an_error "$out"
# a backing "file" that is a FIFO: an error, not a blocked read
mkfifo "$T/fifo"
qemu-img create -q -f qcow2 -b fifo -F raw -u "$T/ff.qcow2" 1M
out=$(timeout 20 "$BLKPRIO" img convert -O raw "$T/ff.qcow2" "$T/x.raw" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "not a regular file" && t_ok fifo_backing_is_an_error ||
	t_fail fifo_backing_is_an_error "$out"
# info of one image works without its chain (as qemu-img info)
t_check info_without_chain "$BLKPRIO" img info "$T/l1.qcow2"
# an absurdly deep chain
prev=b.qcow2
for i in $(seq 1 70); do
	qemu-img create -q -f qcow2 -b $prev -F qcow2 -u "$T/d$i.qcow2" 1M
	prev=d$i.qcow2
done
out=$(timeout 20 "$BLKPRIO" img compare "$T/d70.qcow2" "$T/d70.qcow2" 2>&1)
[ $? = 2 ] && echo "$out" | grep -q "deeper than 64" && t_ok chain_too_deep_is_an_error ||
	t_fail chain_too_deep_is_an_error "$out"
rm -f "$T"/d[0-9]*.qcow2

# ---- commit -------------------------------------------------------------------------
cp "$T/b.qcow2" "$T/cb.qcow2"
"$BLKPRIO" img create -q -f qcow2 -b cb.qcow2 -F qcow2 "$T/co.qcow2"
qemu-img convert -O raw "$T/cb.qcow2" "$T/mco.raw"
ours_write "$T/co.qcow2" "$T/mco.raw" 20
qemu-io -f qcow2 -c 'write -z 64k 192k' -c 'write -z 5M 64k' "$T/co.qcow2" >/dev/null
qemu-io -f raw -c 'write -z 64k 192k' -c 'write -z 5M 64k' "$T/mco.raw" >/dev/null
out=$("$BLKPRIO" img commit "$T/co.qcow2" 2>&1)
if [ "$out" = "Image committed." ]; then
	same commit_base_has_the_data "$T/cb.qcow2" "$T/mco.raw"
	same commit_overlay_reads_the_same "$T/co.qcow2" "$T/mco.raw"
	if qemu-img map --output=json "$T/co.qcow2" | grep -q '"depth": 0'; then
		t_fail commit_empties_overlay "$(qemu-img map --output=json "$T/co.qcow2")"
	else
		t_ok commit_empties_overlay
	fi
else
	t_fail commit "$out"
fi
# -d keeps the overlay's data
cp "$T/b.qcow2" "$T/cb.qcow2"
"$BLKPRIO" img create -q -f qcow2 -b cb.qcow2 -F qcow2 "$T/co.qcow2"
qemu-img convert -O raw "$T/cb.qcow2" "$T/mco.raw"
ours_write "$T/co.qcow2" "$T/mco.raw" 10
"$BLKPRIO" img commit -q -d "$T/co.qcow2"
same commit_d_base "$T/cb.qcow2" "$T/mco.raw"
qemu-img map --output=json "$T/co.qcow2" | grep -q '"depth": 0, "present": true' &&
	t_ok commit_d_keeps_overlay || t_fail commit_d_keeps_overlay "overlay emptied"
# into a raw base; into a smaller base (grown)
cp "$T/b.raw" "$T/cbr.raw"
"$BLKPRIO" img create -q -f qcow2 -b cbr.raw -F raw "$T/cor.qcow2" $((SIZE + (1 << 20)))
cp "$T/b.raw" "$T/mcor.raw"
truncate -s $((SIZE + (1 << 20))) "$T/mcor.raw"
ours_write "$T/cor.qcow2" "$T/mcor.raw" 10
qemu-io -f qcow2 -c "write -P 0x77 $SIZE 4k" "$T/cor.qcow2" >/dev/null
qemu-io -f raw -c "write -P 0x77 $SIZE 4k" "$T/mcor.raw" >/dev/null
"$BLKPRIO" img commit -q "$T/cor.qcow2" &&
	t_check commit_into_raw_base_grown cmp "$T/cbr.raw" "$T/mcor.raw" ||
	t_fail commit_into_raw_base_grown "commit failed"
# the middle of a chain into its base; qemu's overlay into our base
cp "$T/b.qcow2" "$T/cb.qcow2"
qemu-img create -q -f qcow2 -b cb.qcow2 -F qcow2 "$T/cm.qcow2"
qemu-img create -q -f qcow2 -b cm.qcow2 -F qcow2 "$T/ct.qcow2"
qemu-img convert -O raw "$T/cb.qcow2" "$T/mct.raw"
qemu_write "$T/cm.qcow2" "$T/mct.raw" 20
qemu_write "$T/ct.qcow2" "$T/mct.raw" 20
"$BLKPRIO" img commit -q "$T/cm.qcow2" && same commit_middle_of_chain "$T/ct.qcow2" "$T/mct.raw" ||
	t_fail commit_middle_of_chain "commit failed"
# -b: two levels down at once (implies -d), as qemu-img commit -b
cp "$T/b.qcow2" "$T/cb.qcow2"
qemu-img create -q -f qcow2 -b cb.qcow2 -F qcow2 "$T/cm.qcow2"
"$BLKPRIO" img create -q -f qcow2 -b cm.qcow2 -F qcow2 "$T/ct.qcow2"
qemu-img convert -O raw "$T/cb.qcow2" "$T/mct.raw"
qemu_write "$T/cm.qcow2" "$T/mct.raw" 15
ours_write "$T/ct.qcow2" "$T/mct.raw" 15
if "$BLKPRIO" img commit -q -b "$T/cb.qcow2" "$T/ct.qcow2"; then
	same commit_b_deeper_base "$T/cb.qcow2" "$T/mct.raw"
	same commit_b_top_unchanged "$T/ct.qcow2" "$T/mct.raw"
else
	t_fail commit_b_deeper_base "commit failed"
fi
out=$("$BLKPRIO" img commit -b "$T/b.raw" "$T/ct.qcow2" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "is not in the backing chain" &&
	t_ok commit_b_outside_chain_refused || t_fail commit_b_outside_chain_refused "$out"
out=$("$BLKPRIO" img commit "$T/b.qcow2" 2>&1)
[ $? = 1 ] && [ "$out" = "blkprio: commit '$T/b.qcow2': Image does not have a backing file" ] &&
	t_ok commit_without_backing_refused || t_fail commit_without_backing_refused "$out"

# ---- rebase ----------------------------------------------------------------------------
# T -> M -> B; safe rebase of T onto B keeps T's content
cp "$T/b.qcow2" "$T/rb.qcow2"
qemu-img create -q -f qcow2 -b rb.qcow2 -F qcow2 "$T/rm.qcow2"
"$BLKPRIO" img create -q -f qcow2 -b rm.qcow2 -F qcow2 "$T/rt.qcow2"
qemu-img convert -O raw "$T/rb.qcow2" "$T/mr.raw"
qemu_write "$T/rm.qcow2" "$T/mr.raw" 15
ours_write "$T/rt.qcow2" "$T/mr.raw" 15
sum=$(md5sum <"$T/rb.qcow2")
"$BLKPRIO" img rebase -q -b rb.qcow2 -F qcow2 "$T/rt.qcow2" &&
	same rebase_safe_keeps_content "$T/rt.qcow2" "$T/mr.raw" ||
	t_fail rebase_safe_keeps_content "rebase failed"
[ "$(qemu-img info --output=json "$T/rt.qcow2" | sed -n 's/.*"backing-filename": "\(.*\)".*/\1/p')" = rb.qcow2 ] &&
	t_ok rebase_header || t_fail rebase_header "$(qemu-img info "$T/rt.qcow2")"
[ "$(md5sum <"$T/rb.qcow2")" = "$sum" ] && t_ok rebase_leaves_base_alone ||
	t_fail rebase_leaves_base_alone "base changed"
# -u: header only (the same bytes as qemu-img rebase -u)
cp "$T/rt.qcow2" "$T/ru.qcow2"
cp "$T/rt.qcow2" "$T/qru.qcow2"
"$BLKPRIO" img rebase -u -b rm.qcow2 -F qcow2 "$T/ru.qcow2"
qemu-img rebase -u -b rm.qcow2 -F qcow2 "$T/qru.qcow2"
t_check rebase_unsafe_like_qemu cmp "$T/ru.qcow2" "$T/qru.qcow2"
# -b "": flatten
"$BLKPRIO" img rebase -b "" "$T/rt.qcow2" && same rebase_flatten "$T/rt.qcow2" "$T/mr.raw" ||
	t_fail rebase_flatten "rebase failed"
qemu-img info "$T/rt.qcow2" | grep -q "backing file" && t_fail rebase_flatten_header "still has a backing file" ||
	t_ok rebase_flatten_header
# safe rebase onto a raw base with other content
qemu-img create -q -f qcow2 -b rb.qcow2 -F qcow2 "$T/rs.qcow2"
qemu-img convert -O raw "$T/rb.qcow2" "$T/mrs.raw"
qemu_write "$T/rs.qcow2" "$T/mrs.raw" 10
head -c $SIZE /dev/urandom >"$T/other.raw"
"$BLKPRIO" img rebase -b other.raw -F raw "$T/rs.qcow2" && same rebase_onto_raw "$T/rs.qcow2" "$T/mrs.raw" ||
	t_fail rebase_onto_raw "rebase failed"
out=$("$BLKPRIO" img rebase -b rb.qcow2 "$T/rs.qcow2" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "backing format must be specified" &&
	t_ok rebase_without_F_refused || t_fail rebase_without_F_refused "$out"

# ---- crash during commit: SIGKILL at random times -----------------------------------------
# (a commit here takes ~0.1 s; most kills land inside it, during the copy
# into the base or while the overlay is being emptied: with 4 KiB clusters
# in every other round, that is one L2 table after the other)
killed=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	rm -f "$T"/k*.qcow2
	qemu-img create -q -f qcow2 "$T/kb.qcow2" 64M
	qemu-io -f qcow2 -c 'write -P 0x21 0 20M' "$T/kb.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -o cluster_size=$((round % 2 ? 65536 : 4096)) \
		-b kb.qcow2 -F qcow2 "$T/ko.qcow2"
	qemu-io -f qcow2 -c 'write -P 0x31 10M 40M' -c 'write -P 0x32 3000 70000' \
		-c 'write -z 60M 1M' "$T/ko.qcow2" >/dev/null
	qemu-img convert -O raw "$T/ko.qcow2" "$T/mk.raw"
	"$BLKPRIO" img commit -q "$T/ko.qcow2" &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 90 + 2)))"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && killed=$((killed + 1))
	ok=1
	for f in kb ko; do
		qemu-img check -q "$T/$f.qcow2" >/dev/null 2>&1
		rc=$?
		[ $rc = 0 ] || [ $rc = 3 ] || { ok=0; t_fail "commit_crash_round_$round" \
			"$f: $(qemu-img check "$T/$f.qcow2" 2>&1 | head -5)"; }
		[ $rc = 3 ] && qemu-img check -q -r leaks "$T/$f.qcow2" >/dev/null 2>&1
	done
	[ $ok = 1 ] || continue
	if ! qemu-img compare -q "$T/ko.qcow2" "$T/mk.raw"; then
		t_fail "commit_crash_round_$round" "overlay content changed by the crash"
	elif ! "$BLKPRIO" img commit -q "$T/ko.qcow2" || ! qemu-img compare -q "$T/kb.qcow2" "$T/mk.raw"; then
		t_fail "commit_crash_round_$round" "commit after the crash failed"
	else
		t_ok "commit_crash_round_$round"
	fi
done
echo "# $killed of 10 commits were killed while running"

t_done
