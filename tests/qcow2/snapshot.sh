#!/bin/bash
# Internal snapshots against qemu-img/qemu-io, both directions: snapshots
# we make are listed, applied and deleted by qemu-img and theirs by us;
# writes after a snapshot (ours and qemu's) never change its data (apply,
# then compare with a raw mirror saved at snapshot time); delete frees what
# only the snapshot used; names vs ids and duplicate names as qemu-img
# does them; bad input leaves the image byte for byte unchanged; qemu-img
# check is clean after every step; SIGKILL during create, apply or delete
# leaves an image whose only faults are leaks (and COPIED flags that a leak
# repair or `check -r all` makes right).
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	t_skip qcow2_snapshot "qemu-utils not installed"
	t_done
	exit
fi

S() { "$BLKPRIO" img snapshot "$@"; }
qio() { qemu-io -f qcow2 "$@" >/dev/null; }
# clean: qemu-img check finds neither corruption nor leak
clean() { qemu-img check -q "$1" >/dev/null 2>&1; }
mirror() { qemu-img convert -O raw "$1" "$2"; }
same() { qemu-img compare -q -f qcow2 -F raw "$1" "$2"; }
# our writes (img bench), the same into a raw file
ourwrite() {	# IMG RAW COUNT SIZE STEP OFFSET [PATTERN]
	local p=--pattern=${7:-165}
	"$BLKPRIO" img bench -q -w -d 1 -c "$3" -s "$4" -S "$5" -o "$6" $p "$1" >/dev/null &&
	"$BLKPRIO" img bench -q -w -f raw -d 1 -c "$3" -s "$4" -S "$5" -o "$6" $p "$2" >/dev/null
}
ok_if() {	# NAME CMD... : ok when CMD succeeds and the image is clean
	local name=$1
	shift
	if "$@" && clean "$img"; then
		t_ok "$name"
	else
		t_fail "$name" "$(qemu-img check "$img" 2>&1 | head -5)"
	fi
}

for cs in 65536 4096 512; do
	img=$T/a.qcow2
	qemu-img create -q -f qcow2 -o cluster_size=$cs "$img" 24M
	qio -c 'write -P 0x11 0 1M' -c 'write -P 0x22 5M 100k' -c 'write -z 7M 64k' \
	    -c 'write -P 0x33 20M 3M' "$img"
	mirror "$img" "$T/m0.raw"

	# ---- ours made, qemu lists, applies, deletes ----------------------------
	S -c first "$img"
	ok_if "c${cs}_create_clean" true
	if diff <(S -l "$img") <(qemu-img snapshot -l "$img") >"$T/diff" &&
	   qemu-img snapshot -l "$img" | grep -q '^1 *first '; then
		t_ok "c${cs}_list_same_as_qemu"
	else
		t_fail "c${cs}_list_same_as_qemu" "$(cat "$T/diff")"
	fi
	# our writes and qemu's after the snapshot: only the active state changes
	cp "$T/m0.raw" "$T/m1.raw"
	ourwrite "$img" "$T/m1.raw" 40 5000 300000 1000 61
	qio -c 'write -P 0x44 5M 8k' -c 'discard 20M 1M' -c 'write -z 21M 4k' "$img"
	qio -f raw -c 'write -P 0x44 5M 8k' -c 'write -z 20M 1M' -c 'write -z 21M 4k' "$T/m1.raw"
	ok_if "c${cs}_writes_after_snapshot" same "$img" "$T/m1.raw"
	ok_if "c${cs}_qemu_applies_ours" sh -c "qemu-img snapshot -a first '$img' &&
		qemu-img compare -q -f qcow2 -F raw '$img' '$T/m0.raw'"
	cp "$T/m0.raw" "$T/m1.raw"
	ourwrite "$img" "$T/m1.raw" 20 70000 1000000 4096 62
	ok_if "c${cs}_we_apply_ours" sh -c "'$BLKPRIO' img snapshot -a first '$img' &&
		qemu-img compare -q -f qcow2 -F raw '$img' '$T/m0.raw'"
	ok_if "c${cs}_qemu_deletes_ours" qemu-img snapshot -d first "$img"
	ok_if "c${cs}_data_kept_after_delete" same "$img" "$T/m0.raw"

	# ---- qemu made, we apply and delete --------------------------------------
	qemu-img snapshot -c theirs "$img"
	cp "$T/m0.raw" "$T/m1.raw"
	ourwrite "$img" "$T/m1.raw" 30 9000 500000 777
	ok_if "c${cs}_our_writes_after_qemu_snapshot" same "$img" "$T/m1.raw"
	ok_if "c${cs}_we_apply_qemus" sh -c "'$BLKPRIO' img snapshot -a theirs '$img' &&
		qemu-img compare -q -f qcow2 -F raw '$img' '$T/m0.raw'"
	ourwrite "$img" "$T/m1.raw" 30 9000 500000 777
	ok_if "c${cs}_we_delete_qemus" sh -c "'$BLKPRIO' img snapshot -d theirs '$img' &&
		[ -z \"\$(qemu-img snapshot -l '$img')\" ]"
	rm -f "$img" "$T"/m*.raw
done

# ---- several snapshots, applied in any order, one deleted in the middle --------
img=$T/m.qcow2
qemu-img create -q -f qcow2 -o cluster_size=4k "$img" 16M
qemu-img create -q -f raw "$T/cur.raw" 16M
fail=
for i in 1 2 3 4; do
	ourwrite "$img" "$T/cur.raw" 25 $((3000 * i)) 600000 $((i * 1111)) $((i + 70))
	qio -c "write -P $i $((i * 3))M 64k" "$img"
	qio -f raw -c "write -P $i $((i * 3))M 64k" "$T/cur.raw"
	if [ $((i % 2)) = 1 ]; then S -c "s$i" "$img"; else qemu-img snapshot -c "s$i" "$img"; fi
	cp "$T/cur.raw" "$T/s$i.raw"
	clean "$img" || fail="$fail create-s$i"
done
for i in 3 1 4 2; do
	if [ $i = 1 ]; then qemu-img snapshot -a "s$i" "$img"; else S -a "s$i" "$img"; fi
	same "$img" "$T/s$i.raw" || fail="$fail apply-s$i"
	clean "$img" || fail="$fail check-after-apply-s$i"
	cp "$T/s$i.raw" "$T/cur.raw"
	ourwrite "$img" "$T/cur.raw" 5 4096 1000000 $((i * 512)) $((i + 80))
	same "$img" "$T/cur.raw" || fail="$fail write-after-apply-s$i"
done
S -d s2 "$img" || fail="$fail delete-s2"
clean "$img" || fail="$fail check-after-delete"
for i in 4 1 3; do
	S -a "s$i" "$img" && same "$img" "$T/s$i.raw" || fail="$fail reapply-s$i"
done
if [ -z "$fail" ]; then t_ok several_snapshots; else t_fail several_snapshots "$fail"; fi
rm -f "$img" "$T"/*.raw

# reapply correctness on its own: each snapshot still holds its data
img=$T/r.qcow2
qemu-img create -q -f qcow2 "$img" 8M
fail=
for i in 1 2 3; do
	qio -c "write -P $((i * 16)) 0 8M" "$img"
	S -c "v$i" "$img"
done
qio -c 'write -P 0xee 0 8M' "$img"
for i in 2 3 1 2; do
	S -a "v$i" "$img"
	qemu-io -f qcow2 -c "read -P $((i * 16)) 0 8M" "$img" | grep -q '^read 8388608/' ||
		fail="$fail v$i"
	qio -c 'write -P 0xdd 4M 64k' "$img"
done
S -d v2 "$img" && S -a v3 "$img" &&
	qemu-io -f qcow2 -c 'read -P 48 0 8M' "$img" | grep -q '^read 8388608/' || fail="$fail after-delete"
if [ -z "$fail" ] && clean "$img"; then t_ok snapshots_keep_their_data; else
	t_fail snapshots_keep_their_data "$fail $(qemu-img check "$img" 2>&1 | head -3)"; fi
rm -f "$img"

# ---- names and ids, duplicate names: as qemu-img does it ---------------------
img=$T/n.qcow2
qemu-img create -q -f qcow2 "$img" 8M
qio -c 'write -P 1 0 64k' "$img"
S -c 2 "$img"			# id 1, name "2"
qio -c 'write -P 2 0 64k' "$img"
S -c x "$img"			# id 2
S -c x "$img"			# id 3: names need not be unique
S -c '' "$img"			# id 4: an empty name
cp "$img" "$T/q.qcow2"
qio -c 'write -P 3 0 64k' "$img" "$T/q.qcow2"
# -a takes the id first: "2" is snapshot id 2 (data 2), not the one named "2"
S -a 2 "$img"; qemu-img snapshot -a 2 "$T/q.qcow2"
if qemu-io -f qcow2 -c 'read -P 2 0 64k' "$img" | grep -q '^read 65536/' &&
   qemu-img compare -q "$img" "$T/q.qcow2"; then
	t_ok apply_id_before_name
else
	t_fail apply_id_before_name "wrong snapshot applied"
fi
# -d takes a name only: "2" deletes id 1; "x" the first of the two
S -d 2 "$img"; qemu-img snapshot -d 2 "$T/q.qcow2"
S -d x "$img"; qemu-img snapshot -d x "$T/q.qcow2"
if diff <(qemu-img snapshot -l "$img") <(qemu-img snapshot -l "$T/q.qcow2") >"$T/diff" &&
   [ "$(qemu-img snapshot -l "$img" | awk 'NR > 2 { print $1 }' | tr '\n' ' ')" = "3 4 " ] &&
   clean "$img"; then
	t_ok delete_by_name_duplicates_like_qemu
else
	t_fail delete_by_name_duplicates_like_qemu "$(cat "$T/diff"; qemu-img snapshot -l "$img")"
fi
# a new id is one more than the largest
S -c y "$img"
t_check next_id_after_largest sh -c "qemu-img snapshot -l '$img' | grep -q '^5 *y '"
# JSON listing
t_check list_json sh -c "'$BLKPRIO' -j img snapshot -l '$img' | python3 -c '
import json, sys
l = json.load(sys.stdin)
assert [s[\"id\"] for s in l] == [\"3\", \"4\", \"5\"], l
assert l[2][\"name\"] == \"y\" and l[2][\"icount\"] == 0 and l[2][\"vm-state-size\"] == 0'"
t_check info_same_as_qemu diff <(cd "$T" && "$BLKPRIO" img info n.qcow2) <(cd "$T" && qemu-img info n.qcow2)
t_check info_json_same_as_qemu diff <(cd "$T" && "$BLKPRIO" img info --output=json n.qcow2) \
	<(cd "$T" && qemu-img info --output=json n.qcow2)

# ---- bad input: one clear line, exit code, the image unchanged -----------------
sum=$(md5sum <"$img")
unchanged() { [ "$(md5sum <"$img")" = "$sum" ]; }
bad() {		# NAME RC MESSAGE-REGEX ARGS...
	local name=$1 rc=$2 re=$3 out got
	shift 3
	out=$("$BLKPRIO" img snapshot "$@" 2>&1)
	got=$?
	if [ $got = "$rc" ] && printf '%s\n' "$out" | grep -Eq "$re" && unchanged; then
		t_ok "$name"
	else
		t_fail "$name" "rc $got (want $rc): $out"
	fi
}
bad apply_missing 1 "^blkprio: Could not apply snapshot 'nope': Failed to load snapshot: No such file or directory$" -a nope "$img"
bad delete_missing 1 "^blkprio: Could not delete snapshot 'nope': snapshot not found$" -d nope "$img"
bad delete_by_id_is_not_by_name 1 "snapshot not found" -d 3 "$img"
bad mixed_actions 2 "Cannot mix" -c a -d b "$img"
bad no_file 2 "Expecting one image file name" -l
bad two_files 2 "Expecting one image file name" -l "$img" "$img"
bad force_share_write 1 "force-share=on can only be used with read-only images" -U -c z "$img"
bad missing_file 1 "^blkprio: Could not open '.*nonexistent': " -c z "$T/nonexistent"
t_check list_force_share sh -c "'$BLKPRIO' img snapshot -U -l '$img' | grep -q '^5 *y '"
# a read-only file (immutable, so that root cannot write it either)
if chattr +i "$img" 2>/dev/null; then
	t_cleanup chattr -i "$img"
	bad read_only_file 1 "^blkprio: Could not open '.*n.qcow2': " -c z "$img"
	t_check read_only_file_lists sh -c "'$BLKPRIO' img snapshot -l '$img' | grep -q '^5 *y '"
	chattr -i "$img"
else
	t_skip read_only_file "chattr +i not supported here"
fi
# raw files have no snapshots
head -c 1M /dev/zero >"$T/r.raw"
rsum=$(md5sum <"$T/r.raw")
out=$(S -c z "$T/r.raw" 2>&1)
if [ $? = 1 ] && [ "$(md5sum <"$T/r.raw")" = "$rsum" ] &&
   [ "$out" = "blkprio: Could not create snapshot 'z': -95 (Operation not supported)" ]; then
	t_ok raw_file_refused
else
	t_fail raw_file_refused "$out"
fi
# 1-bit refcounts cannot share a cluster: refused before anything is written
qemu-img create -q -f qcow2 -o refcount_bits=1 "$T/one.qcow2" 8M
qio -c 'write -P 1 0 64k' "$T/one.qcow2"
osum=$(md5sum <"$T/one.qcow2")
out=$(S -c z "$T/one.qcow2" 2>&1)
if [ $? = 1 ] && [ "$(md5sum <"$T/one.qcow2")" = "$osum" ] && [[ $out == *overflow* ]]; then
	t_ok refcount_bits_1_refused_unchanged
else
	t_fail refcount_bits_1_refused_unchanged "$out"
fi
# extra data we do not know (a newer writer's) is kept when the table is rewritten
qemu-img create -q -f qcow2 "$T/x.qcow2" 8M
qemu-img snapshot -c old "$T/x.qcow2"
python3 - "$T/x.qcow2" rewrite <<'EOF'
import struct, sys
# rewrite the one-entry table with 8 more bytes of extra data (0xab...)
with open(sys.argv[1], 'r+b') as f:
    f.seek(64)
    off = struct.unpack('>Q', f.read(8))[0]
    f.seek(off)
    h = bytearray(f.read(40))
    extra = f.read(24)
    rest = f.read(4)                     # id "1" + name "old"
    struct.pack_into('>I', h, 36, 32)
    f.seek(off)
    f.write(bytes(h) + extra + b'\xab' * 8 + rest)
EOF
S -c new "$T/x.qcow2"
S -d new "$T/x.qcow2"
if python3 - "$T/x.qcow2" <<'EOF'
import struct, sys
with open(sys.argv[1], 'rb') as f:
    f.seek(60)
    n, off = struct.unpack('>IQ', f.read(12))
    f.seek(off)
    h = f.read(40)
    ex = struct.unpack('>I', h[36:40])[0]
    extra = f.read(ex)
    assert n == 1 and ex == 32 and extra[24:] == b'\xab' * 8, (n, ex, extra)
    assert f.read(4) == b'1old'
EOF
then
	t_check unknown_extra_data_kept qemu-img check -q "$T/x.qcow2"
else
	t_fail unknown_extra_data_kept "extra data lost"
fi

# a snapshot whose L1 table offset is garbage: refused, nothing written
qemu-img create -q -f qcow2 "$T/c.qcow2" 8M
qemu-img snapshot -c bad "$T/c.qcow2"
python3 - "$T/c.qcow2" <<'EOF'
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(64)
    off = struct.unpack('>Q', f.read(8))[0]
    f.seek(off)
    f.write(struct.pack('>Q', 0x12345000))
EOF
csum=$(md5sum <"$T/c.qcow2")
out=$(S -a bad "$T/c.qcow2" 2>&1; S -d bad "$T/c.qcow2" 2>&1)
if [ "$(md5sum <"$T/c.qcow2")" = "$csum" ] && [ "$(printf '%s\n' "$out" | grep -c 'Snapshot L1 table offset invalid')" = 2 ]; then
	t_ok bad_snapshot_l1_offset_refused_unchanged
else
	t_fail bad_snapshot_l1_offset_refused_unchanged "$out"
fi
rm -f "$T"/*.qcow2 "$T"/*.raw

# ---- delete frees what only the snapshot used -------------------------------
img=$T/f.qcow2
qemu-img create -q -f qcow2 "$img" 64M
qio -c 'write -P 7 0 8M' "$img"
fail=
for i in $(seq 1 12); do
	S -c "cycle" "$img" || fail="$fail create$i"
	qio -c "write -P $i 0 8M" "$img"		# every cluster copied
	S -d "cycle" "$img" || fail="$fail delete$i"
	qemu-img check -q "$img" >/dev/null 2>&1 || fail="$fail check$i"
	[ $i = 2 ] && size2=$(qemu-img check --output=json "$img" | sed -n 's/.*"image-end-offset": \([0-9]*\).*/\1/p')
done
size=$(qemu-img check --output=json "$img" | sed -n 's/.*"image-end-offset": \([0-9]*\).*/\1/p')
alloc=$(du -k "$img" | cut -f1)
if [ -z "$fail" ] && [ "$size" -le "$size2" ] && [ "$alloc" -lt 20000 ] &&
   qemu-io -f qcow2 -c 'read -P 12 0 8M' "$img" | grep -q '^read 8388608/'; then
	t_ok delete_frees_no_growth
else
	t_fail delete_frees_no_growth "$fail end $size (after 2 cycles $size2), du ${alloc}k"
fi
rm -f "$img"

# ---- other layouts: version 2, 8-bit and 64-bit refcounts, lazy refcounts,
# preallocated metadata and data,
# compressed clusters (refcounts per host cluster), an applied snapshot of
# another virtual size (qemu-img resizes with snapshots; apply restores it)
for opts in compat=0.10 refcount_bits=8 refcount_bits=64 lazy_refcounts=on preallocation=metadata \
	    preallocation=falloc; do
	img=$T/o.qcow2
	qemu-img create -q -f qcow2 -o cluster_size=4k,$opts "$img" 8M
	qio -c 'write -P 5 0 1M' "$img"
	mirror "$img" "$T/o0.raw"
	if S -c a "$img" && clean "$img" && qio -c 'write -P 6 512k 1M' "$img" &&
	   S -c b "$img" && S -a a "$img" && same "$img" "$T/o0.raw" && clean "$img" &&
	   S -d a "$img" && S -d b "$img" && clean "$img" && same "$img" "$T/o0.raw"; then
		t_ok "layout_$opts"
	else
		t_fail "layout_$opts" "$(qemu-img check "$img" 2>&1 | head -3)"
	fi
	rm -f "$img" "$T"/*.raw
done
img=$T/z.qcow2
qemu-img create -q -f qcow2 "$img" 8M
qio -c 'write -c -P 1 0 64k' -c 'write -c -P 2 64k 64k' -c 'write -c -P 3 128k 64k' \
    -c 'write -P 4 1M 64k' "$img"
if S -c z "$img" && clean "$img" && qemu-img snapshot -d z "$img" && clean "$img" &&
   qemu-img snapshot -c q "$img" && S -d q "$img" && clean "$img"; then
	t_ok compressed_clusters_counted
else
	t_fail compressed_clusters_counted "$(qemu-img check "$img" 2>&1 | head -5)"
fi
rm -f "$img"
img=$T/g.qcow2
qemu-img create -q -f qcow2 "$img" 8M
qio -c 'write -P 9 0 8M' "$img"
qemu-img snapshot -c small "$img"
mirror "$img" "$T/g0.raw"
qemu-img resize -q "$img" 3G
qio -c 'write -P 8 2G 1M' "$img"
if S -a small "$img" && [ "$(qemu-img info --output=json "$img" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')" = 8388608 ] &&
   same "$img" "$T/g0.raw" && clean "$img"; then
	t_ok apply_restores_disk_size
else
	t_fail apply_restores_disk_size "$(qemu-img info "$img" | head -4)"
fi
rm -f "$img" "$T"/*.raw

# ---- SIGKILL during create, apply, delete: leaks at worst ----------------------
# A 64 GiB image with 1,024 L2 tables (4 KiB written in each) makes each
# operation last long enough to be killed at random points.
img=$T/k.qcow2
qemu-img create -q -f qcow2 "$img" 64G
"$BLKPRIO" img bench -q -w -d 1 -c 1024 -s 4096 -S 64M --pattern=90 "$img" >/dev/null
mirror_sum=$(qemu-img map --output=json "$img" | md5sum)
fail=
for r in $(seq 1 12); do
	case $((r % 3)) in
	1) op=(-c "k$r") ;;
	2) op=(-a "$(qemu-img snapshot -l "$img" | awk 'NR == 3 { print $1 }')") ;;
	0) op=(-d "$(qemu-img snapshot -l "$img" | awk 'NR == 3 { print $2 }')") ;;
	esac
	[ "${op[1]}" ] || op=(-c "k$r")
	"$BLKPRIO" img snapshot "${op[@]}" "$img" & pid=$!
	sleep "0.0$((RANDOM % 9))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	out=$(qemu-img check "$img" 2>&1)
	rc=$?
	# a refcount below the references ("ERROR cluster N refcount=r
	# reference=R") would be damage; leaks and the COPIED flags that go
	# with them are not: a leak repair (or -r all) makes the image clean
	if [ $rc != 0 ] && printf '%s\n' "$out" | grep '^ERROR' | grep -qv 'OFLAG_COPIED'; then
		fail="$fail round $r (${op[*]}): $(printf '%s\n' "$out" | grep '^ERROR' | head -2)"
		break
	fi
	if [ $rc != 0 ] && ! qemu-img check -q -r leaks "$img" >/dev/null 2>&1 &&
	   ! { qemu-img check -q -r all "$img" >/dev/null 2>&1 && clean "$img"; }; then
		fail="$fail round $r (${op[*]}): not repairable"
		break
	fi
	[ "$(qemu-img map --output=json "$img" | md5sum)" = "$mirror_sum" ] ||
		{ fail="$fail round $r (${op[*]}): data changed"; break; }
done
if [ -z "$fail" ] && qemu-io -f qcow2 -c 'read -P 90 0 4k' -c 'read -P 90 63936M 4k' "$img" |
	grep -c '^read 4096/' | grep -q 2; then
	t_ok kill_during_create_apply_delete
else
	t_fail kill_during_create_apply_delete "$fail"
fi
rm -f "$img"

t_done
