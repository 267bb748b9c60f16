#!/bin/bash
# Corrupt and broken images: our check finds what qemu-img check finds (same
# exit codes), reads fail with one clear line instead of crashing, `check -r`
# repairs what qemu-img would, and failing commands leave the file untouched.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	t_skip qcow2_corrupt "qemu-utils not installed"
	t_done
	exit
fi

# Layout of this image (64 KiB clusters): refcount block 0x20000, L1 0x30000,
# L2 0x40000, data clusters 5..8 at 0x50000..0x80000.
fresh() {
	rm -f "$T/c.qcow2"
	qemu-img create -q -f qcow2 "$T/c.qcow2" 8M
	qemu-io -f qcow2 -c 'write -P 0x5a 0 200k' "$T/c.qcow2" >/dev/null
}
poke() {	# poke OFFSET HEXBYTES
	printf "$(echo "$2" | sed 's/../\\x&/g')" |
		dd of="$T/c.qcow2" bs=1 seek=$(($1)) conv=notrunc status=none
}
rc_of() { "$@" >"$T/out" 2>"$T/err"; echo $?; }

expect_check() {	# NAME EXPECTED-RC MESSAGE-REGEX
	local ours theirs
	ours=$(rc_of "$BLKPRIO" img check "$T/c.qcow2")
	theirs=$(rc_of qemu-img check "$T/c.qcow2")
	if [ "$ours" = "$2" ] && [ "$theirs" = "$2" ] &&
	   "$BLKPRIO" img check "$T/c.qcow2" 2>&1 | grep -Eq "$3"; then
		t_ok "$1"
	else
		t_fail "$1" "ours $ours, qemu-img $theirs, want $2: $("$BLKPRIO" img check "$T/c.qcow2" 2>&1 | head -3)"
	fi
}

one_line_fail() {	# NAME CMD... : exit 1, one line on stderr, file unchanged
	local name=$1 before after rc
	shift
	before=$(md5sum < "$T/c.qcow2")
	"$@" >/dev/null 2>"$T/err"
	rc=$?
	after=$(md5sum < "$T/c.qcow2")
	if [ $rc = 1 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ "$before" = "$after" ]; then
		t_ok "$name"
	else
		t_fail "$name" "rc=$rc, changed=$([ "$before" = "$after" ] && echo no || echo yes): $(cat "$T/err")"
	fi
}

# refcount 0 for a used data cluster (cluster 5)
fresh
poke 0x2000a 0000
expect_check refcount_zero_detected 2 'ERROR cluster 5 refcount=0 reference=1'
qemu-img convert -O raw "$T/c.qcow2" "$T/before.raw"
"$BLKPRIO" img check -r all "$T/c.qcow2" >/dev/null 2>&1
if qemu-img check -q "$T/c.qcow2" && "$BLKPRIO" img compare -q "$T/c.qcow2" "$T/before.raw"; then
	t_ok refcount_zero_repaired
else
	t_fail refcount_zero_repaired "$(qemu-img check "$T/c.qcow2" 2>&1 | head -5)"
fi

# a leak: an L2 entry dropped, its cluster still counted
fresh
poke 0x40018 0000000000000000
expect_check leak_detected 3 'Leaked cluster 8 refcount=1 reference=0'
"$BLKPRIO" img check -r leaks "$T/c.qcow2" > "$T/out" 2>&1
if [ $? = 0 ] && qemu-img check -q "$T/c.qcow2" && grep -q '1 leaked clusters' "$T/out"; then
	t_ok leak_repaired
else
	t_fail leak_repaired "$(cat "$T/out")"
fi
"$BLKPRIO" img check --output=json "$T/c.qcow2" > "$T/out"
t_check check_json_after_repair grep -q '"check-errors": 0' "$T/out"

# the L2 table offset points past the end of the file
fresh
poke 0x30000 8000000010000000
expect_check l2_past_eof_detected 2 'exceeding the end of the file'
one_line_fail l2_past_eof_read_fails "$BLKPRIO" img convert -O raw "$T/c.qcow2" "$T/x.raw"

# an unaligned data cluster offset
fresh
poke 0x40000 8000000000050200
expect_check unaligned_data_detected 2 'not properly aligned'
one_line_fail unaligned_read_fails "$BLKPRIO" img convert -O raw "$T/c.qcow2" "$T/x.raw"

# a data cluster overlapping the L1 table
fresh
poke 0x40008 8000000000030000
expect_check overlap_detected 2 'cluster 3 refcount=1 reference=2'

# ... and a write there is refused instead of overwriting the L1 table
l1=$(dd if="$T/c.qcow2" bs=64k skip=3 count=1 status=none | md5sum)
"$BLKPRIO" img bench -q -w -d 1 -c 1 -s 4096 -o 65536 "$T/c.qcow2" >/dev/null 2>&1
rc=$?
if [ $rc = 1 ] && [ "$l1" = "$(dd if="$T/c.qcow2" bs=64k skip=3 count=1 status=none | md5sum)" ] &&
   qemu-img info "$T/c.qcow2" | grep -q 'corrupt: true'; then
	t_ok overlap_write_prevented
else
	t_fail overlap_write_prevented "rc=$rc"
fi

# reserved bits in an L2 entry
fresh
poke 0x40000 8000000000050002
expect_check l2_reserved_bits 2 'reserved bits set'

# check -r all repairs what qemu-img's repairs (and leaves what it leaves)
for c in "0x30000 8000000010000000" "0x40000 8000000000050200" \
	 "0x40008 8000000000030000" "0x40000 8000000000050002"; do
	fresh
	# shellcheck disable=SC2086
	poke $c
	cp "$T/c.qcow2" "$T/q.qcow2"
	qemu-img check -r all "$T/q.qcow2" >/dev/null 2>&1
	want=$(rc_of qemu-img check "$T/q.qcow2")
	"$BLKPRIO" img check -r all "$T/c.qcow2" >/dev/null 2>&1
	got=$(rc_of qemu-img check "$T/c.qcow2")
	if [ "$got" = "$want" ]; then
		t_ok "repair_like_qemu_${c// /_}"
	else
		t_fail "repair_like_qemu_${c// /_}" "qemu-img check after our repair: $got, after qemu's: $want"
	fi
done
rm -f "$T/q.qcow2"

# unknown incompatible feature: refused, nothing modified
fresh
poke 72 8000000000000000
one_line_fail unknown_incompat_info "$BLKPRIO" img info "$T/c.qcow2"
one_line_fail unknown_incompat_resize "$BLKPRIO" img resize "$T/c.qcow2" +1M
one_line_fail unknown_incompat_check "$BLKPRIO" img check "$T/c.qcow2"

# truncated images
fresh
truncate -s 100 "$T/c.qcow2"
one_line_fail truncated_header "$BLKPRIO" img info "$T/c.qcow2"
fresh
truncate -s $((0x30004)) "$T/c.qcow2"
one_line_fail truncated_map "$BLKPRIO" img map "$T/c.qcow2"

# not an image, missing file
head -c 100000 /dev/urandom > "$T/c.qcow2"
one_line_fail not_qcow2_map "$BLKPRIO" img map "$T/c.qcow2"
one_line_fail not_qcow2_resize "$BLKPRIO" img resize "$T/c.qcow2" +1M
rm -f "$T/c.qcow2"
"$BLKPRIO" img info "$T/c.qcow2" 2>"$T/err"
rc=$?
if [ $rc = 1 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ ! -e "$T/c.qcow2" ]; then
	t_ok missing_file
else
	t_fail missing_file "rc=$rc $(cat "$T/err")"
fi
"$BLKPRIO" img create -q -f qcow2 "$T/c.qcow2" 2>/dev/null
t_check usage_error_exit_2 test $? = 2
"$BLKPRIO" img create -q -f qcow2 -o cluster_size=1000 "$T/c.qcow2" 1G 2>/dev/null
rc=$?
t_check bad_cluster_size_refused test $rc = 1 -a ! -e "$T/c.qcow2"
t_done
