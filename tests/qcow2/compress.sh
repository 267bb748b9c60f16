#!/bin/bash
# qcow2 compressed clusters with qemu-img/qemu-io as the oracle, both
# directions: images qemu-img compresses (zlib and zstd, every cluster size)
# read back by us exactly; images we compress read back by qemu-img exactly,
# checked clean, reported as compressed, about qemu's size; incompressible
# clusters stored uncompressed; writes into compressed clusters (ours and
# qemu-io's) read back by both tools; -c with encryption or preallocation
# refused with a reason; corrupt compressed data a clear error.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	t_skip qcow2_compress "qemu-utils not installed"
	t_done
	exit
fi
MKMIXED=${MKMIXED:-/work/shared/tools/mkmixed}
if [ ! -x "$MKMIXED" ]; then
	t_skip qcow2_compress "no mixed-data generator ($MKMIXED)"
	t_done
	exit
fi

"$MKMIXED" "$T/mixed.raw" 8
# an odd size: the last cluster is partial
head -c 3000000 "$T/mixed.raw" >"$T/odd.raw"
truncate -s 3000320 "$T/odd.raw"
want=$(sha256sum <"$T/mixed.raw")
want_odd=$(sha256sum <"$T/odd.raw")

sum_raw() { qemu-img convert -O raw "$1" "$T/back.raw" && sha256sum <"$T/back.raw"; }
ours_raw() { "$BLKPRIO" img convert -O raw "$1" "$T/back.raw" && sha256sum <"$T/back.raw"; }
be64() { echo "0x$(od -An -tx1 -j "$2" -N 8 "$1" | tr -d ' \n')"; }
compressed_count() {
	qemu-img check --output=json "$1" | sed -n 's/.*"compressed-clusters": \([0-9]*\).*/\1/p'
}

for ct in zlib zstd; do
	for cs in 512 4096 65536 2097152; do
		tag=${ct}_c$cs
		# ---- qemu compresses, we read --------------------------------
		qemu-img convert -q -c -f raw -O qcow2 -o cluster_size=$cs,compression_type=$ct \
			"$T/mixed.raw" "$T/q.qcow2"
		if [ "$(ours_raw "$T/q.qcow2")" = "$want" ]; then
			t_ok "qemu_compressed_we_read_$tag"
		else
			t_fail "qemu_compressed_we_read_$tag" "hash differs"
		fi
		if [ "$("$BLKPRIO" img check "$T/q.qcow2" 2>&1)" = "$(qemu-img check "$T/q.qcow2" 2>&1)" ]; then
			t_ok "check_counts_compressed_like_qemu_$tag"
		else
			t_fail "check_counts_compressed_like_qemu_$tag" \
				"$("$BLKPRIO" img check "$T/q.qcow2" 2>&1; qemu-img check "$T/q.qcow2" 2>&1)"
		fi
		# ---- we compress, qemu reads ---------------------------------
		rm -f "$T/o.qcow2"
		if ! out=$("$BLKPRIO" img convert -c -O qcow2 -o cluster_size=$cs,compression_type=$ct \
				"$T/mixed.raw" "$T/o.qcow2" 2>&1); then
			t_fail "we_compress_qemu_reads_$tag" "$out"
			continue
		fi
		if [ "$(sum_raw "$T/o.qcow2")" = "$want" ]; then
			t_ok "we_compress_qemu_reads_$tag"
		else
			t_fail "we_compress_qemu_reads_$tag" "hash differs"
		fi
		t_check "we_compress_qemu_check_clean_$tag" qemu-img check -q "$T/o.qcow2"
		n=$(compressed_count "$T/o.qcow2")
		if [ "${n:-0}" -gt 0 ] && [ "$n" = "$(compressed_count "$T/q.qcow2")" ]; then
			t_ok "we_compress_same_clusters_as_qemu_$tag"
		else
			t_fail "we_compress_same_clusters_as_qemu_$tag" "ours ${n:-0}, qemu's $(compressed_count "$T/q.qcow2")"
		fi
		ours=$(stat -c %s "$T/o.qcow2")
		theirs=$(stat -c %s "$T/q.qcow2")
		if [ $((ours * 100)) -le $((theirs * 102)) ]; then
			t_ok "we_compress_size_within_2pct_$tag"
		else
			t_fail "we_compress_size_within_2pct_$tag" "ours $ours, qemu's $theirs"
		fi
		t_check "info_reports_compression_type_$tag" \
			sh -c "'$BLKPRIO' img info '$T/o.qcow2' | grep -q 'compression type: $ct'"
	done

	# a partial last cluster
	rm -f "$T/o.qcow2"
	"$BLKPRIO" img convert -c -O qcow2 -o compression_type=$ct "$T/odd.raw" "$T/o.qcow2" &&
	[ "$(sum_raw "$T/o.qcow2")" = "$want_odd" ] && qemu-img check -q "$T/o.qcow2"
	t_check "partial_last_cluster_$ct" test $? = 0
done

# other refcount widths (1 bit: no packing, one compressed cluster per host
# cluster) and version 2 images
for opts in refcount_bits=1,cluster_size=4k refcount_bits=64,cluster_size=4k compat=0.10; do
	rm -f "$T/o.qcow2"
	"$BLKPRIO" img convert -c -O qcow2 -o $opts "$T/mixed.raw" "$T/o.qcow2" &&
	qemu-img check -q "$T/o.qcow2" && qemu-img compare -q "$T/o.qcow2" "$T/mixed.raw"
	t_check "we_compress_$(tr '=.,' '___' <<<"${opts%%,*}")" test $? = 0
done

# ---- map: what qemu-img map says about compressed extents --------------------
rm -f "$T/o.qcow2" "$T/q.qcow2"
"$BLKPRIO" img convert -c -O qcow2 "$T/mixed.raw" "$T/o.qcow2"
qemu-img convert -c -O qcow2 "$T/mixed.raw" "$T/q.qcow2"
ours=$("$BLKPRIO" img check --output=json "$T/q.qcow2")
if [ "$ours" = "$(qemu-img check --output=json "$T/q.qcow2")" ]; then
	t_ok check_json_like_qemu
else
	t_fail check_json_like_qemu "$ours"
fi
ours=$("$BLKPRIO" img map --output=json "$T/o.qcow2")
if [ "$ours" = "$(qemu-img map --output=json "$T/o.qcow2")" ] &&
   grep -q '"data": true}' <<<"$ours"; then
	t_ok map_json_compressed_like_qemu
else
	t_fail map_json_compressed_like_qemu "$ours"
fi
"$BLKPRIO" img map "$T/o.qcow2" >"$T/ours.map" 2>"$T/ours.err"
rc=$?
qemu-img map "$T/o.qcow2" >"$T/qemu.map" 2>/dev/null
if [ $rc = 1 ] && cmp -s "$T/ours.map" "$T/qemu.map" && grep -q 'compressed clusters' "$T/ours.err"; then
	t_ok map_human_refuses_compressed_like_qemu
else
	t_fail map_human_refuses_compressed_like_qemu "rc $rc: $(cat "$T/ours.err")"
fi

# ---- incompressible data is stored uncompressed --------------------------------
head -c 4194304 /dev/urandom >"$T/rand.raw"
rm -f "$T/o.qcow2"
"$BLKPRIO" img convert -c -O qcow2 "$T/rand.raw" "$T/o.qcow2"
n=$(compressed_count "$T/o.qcow2")
if [ "${n:-0}" = 0 ] && [ "$(sum_raw "$T/o.qcow2")" = "$(sha256sum <"$T/rand.raw")" ] &&
   ! qemu-img map --output=json "$T/o.qcow2" | grep -v '"offset"' | grep -q '"data": true'; then
	t_ok incompressible_stored_uncompressed
else
	t_fail incompressible_stored_uncompressed "$(qemu-img check "$T/o.qcow2" 2>&1)"
fi

# ---- writes into compressed clusters -------------------------------------------
# qemu-io writes into our compressed image (partial and whole clusters), we read
rm -f "$T/o.qcow2"
"$BLKPRIO" img convert -c -O qcow2 "$T/mixed.raw" "$T/o.qcow2"
cp "$T/mixed.raw" "$T/mirror.raw"
qemu-io -f qcow2 -c 'write -P 0x5a 2101248 4096' -c 'write -P 0x6b 3145728 65536' \
	"$T/o.qcow2" >/dev/null
qemu-io -f raw -c 'write -P 0x5a 2101248 4096' -c 'write -P 0x6b 3145728 65536' \
	"$T/mirror.raw" >/dev/null
t_check qemu_writes_into_our_compressed_we_read \
	test "$(ours_raw "$T/o.qcow2")" = "$(sha256sum <"$T/mirror.raw")"
# we write into qemu's compressed image (the C test qcow2_compress covers our
# own library writes in detail): resize keeps the data; compare reads all
rm -f "$T/q.qcow2"
qemu-img convert -c -O qcow2 "$T/mixed.raw" "$T/q.qcow2"
t_check compare_compressed_with_raw "$BLKPRIO" img compare -q "$T/q.qcow2" "$T/mixed.raw"

# ---- check and repair count compressed references as qemu does -----------------
# a host cluster holding several compressed clusters gets a wrong refcount
rm -f "$T/r.qcow2"
"$BLKPRIO" img convert -c -O qcow2 "$T/mixed.raw" "$T/r.qcow2"
idx=$(od -An -tu2 --endian=big -v -w2 -j $((0x20000)) -N 4096 "$T/r.qcow2" |
      awk '$1 > 1 { print NR - 1; exit }')
printf '\x00\x01' | dd of="$T/r.qcow2" bs=1 seek=$((0x20000 + 2 * idx)) conv=notrunc 2>/dev/null
qemu-img check "$T/r.qcow2" >"$T/qemu.chk" 2>&1
qrc=$?
"$BLKPRIO" img check "$T/r.qcow2" >"$T/ours.chk" 2>&1
orc=$?
if [ $qrc = 2 ] && [ $orc = 2 ] && cmp -s "$T/qemu.chk" "$T/ours.chk"; then
	t_ok check_compressed_refcount_error_like_qemu
else
	t_fail check_compressed_refcount_error_like_qemu "rc $orc/$qrc: $(diff "$T/ours.chk" "$T/qemu.chk")"
fi
"$BLKPRIO" img check -q -r all "$T/r.qcow2" >/dev/null 2>&1
if qemu-img check -q "$T/r.qcow2" && qemu-img compare -q "$T/r.qcow2" "$T/mixed.raw"; then
	t_ok repair_compressed_refcounts_qemu_agrees
else
	t_fail repair_compressed_refcounts_qemu_agrees "$(qemu-img check "$T/r.qcow2" 2>&1 | head -5)"
fi

# ---- refusals ----------------------------------------------------------------------
rm -f "$T/x.qcow2"
printf 'pass' >"$T/pass"
out=$("$BLKPRIO" img convert -c --object secret,id=sec0,file="$T/pass" -O qcow2 \
	-o encrypt.format=luks,encrypt.key-secret=sec0 "$T/mixed.raw" "$T/x.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'Compression and encryption not supported' <<<"$out" &&
   [ ! -e "$T/x.qcow2" ]; then
	t_ok compress_with_encryption_refused
else
	t_fail compress_with_encryption_refused "rc $rc: $out"
fi
out=$("$BLKPRIO" img convert -c -O qcow2 -o preallocation=full "$T/mixed.raw" "$T/x.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'preallocation' <<<"$out" && [ ! -e "$T/x.qcow2" ]; then
	t_ok compress_with_preallocation_refused
else
	t_fail compress_with_preallocation_refused "rc $rc: $out"
fi
out=$("$BLKPRIO" img convert -c -O raw "$T/mixed.raw" "$T/x.raw" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q 'Compression not supported' <<<"$out" && [ ! -e "$T/x.raw" ]
t_check compress_raw_output_refused test $? = 0
out=$("$BLKPRIO" img create -q -f qcow2 -o compat=0.10,compression_type=zstd "$T/x.qcow2" 1M 2>&1)
rc=$?
if [ $rc = 1 ] && [ ! -e "$T/x.qcow2" ]; then
	t_ok zstd_needs_v3
else
	t_fail zstd_needs_v3 "rc $rc: $out"
fi
"$BLKPRIO" img create -q -f qcow2 -o compression_type=zstd "$T/z.qcow2" 1M
t_check create_zstd_qemu_agrees \
	sh -c "qemu-img info '$T/z.qcow2' | grep -q 'compression type: zstd' && qemu-img check -q '$T/z.qcow2'"

# ---- corrupt compressed data: one clear error, no garbage -----------------------
for ct in zlib zstd; do
	rm -f "$T/c.qcow2"
	"$BLKPRIO" img convert -c -O qcow2 -o compression_type=$ct "$T/mixed.raw" "$T/c.qcow2"
	# guest 2 MiB (binary data) is compressed: find it through L1 and L2
	# (64 KiB clusters: L2 index 32, 54 offset bits) and overwrite its start (a reserved deflate block type, no zstd magic)
	l2=$(( $(be64 "$T/c.qcow2" $(( $(be64 "$T/c.qcow2" 40) ))) & 0x00fffffffffffe00 ))
	host=$(( $(be64 "$T/c.qcow2" $((l2 + 32 * 8))) & ((1 << 54) - 1) ))
	qemu-io -f raw -c "write -P 0xff $host 3000" "$T/c.qcow2" >/dev/null
	out=$("$BLKPRIO" img convert -O raw "$T/c.qcow2" "$T/c.raw" 2>&1)
	rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q 'does not decompress' <<<"$out" &&
	   [ ! -e "$T/c.raw" ]; then
		t_ok "corrupt_${ct}_data_clear_error"
	else
		t_fail "corrupt_${ct}_data_clear_error" "rc $rc: $out (host $host)"
	fi
done

t_done
