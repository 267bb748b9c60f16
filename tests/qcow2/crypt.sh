#!/bin/bash
# qcow2 encryption at rest, with qemu-img/qemu-io as the oracle, both ways:
# LUKS images we make open in qemu with the same secret and theirs in ours
# (data converted to raw hashes equal), partial and copy-on-write writes
# into fresh clusters, a wrong passphrase is a clear error that changes
# nothing, no plaintext reaches the host file, the legacy AES method reads
# (and writes when asked), qemu-img check is clean on every image, and
# encryption with compression is refused.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-img >/dev/null || ! command -v qemu-io >/dev/null; then
	t_skip qcow2_crypt "qemu-utils not installed"
	t_done
	exit
fi

printf 'correct horse' > "$T/pass"
SEC=(--object "secret,id=sec0,file=$T/pass")
LUKS="encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10"
opts() { echo "driver=qcow2,file.filename=$1,encrypt.key-secret=sec0"; }
# qemu's PBKDF2 calibration fails now and then with small iter-times
# ("Unable to get accurate CPU usage"): try again
qcreate() {
	local i
	for i in 1 2 3 4 5; do
		qemu-img create -q -f qcow2 "$@" 2>/dev/null && return 0
	done
	qemu-img create -q -f qcow2 "$@"
}
qio() { local img=$1; shift; qemu-io "${SEC[@]}" --image-opts "$(opts "$img")" "$@" >/dev/null; }
qraw() { qemu-img convert "${SEC[@]}" --image-opts "$(opts "$1")" -O raw "$2"; }
oraw() { "$BLKPRIO" img convert "${SEC[@]}" --image-opts "$(opts "$1")" -O raw "$2"; }
qcheck() { qemu-img check -q "${SEC[@]}" --image-opts "$(opts "$1")"; }
# our sequential writes: COUNT x SIZE bytes of PATTERN every STEP from OFF,
# mirrored into a raw file by qemu-io
owrite() {
	local img=$1 raw=$2 count=$3 size=$4 step=$5 off=$6 pat=$7 i
	"$BLKPRIO" img bench -q -w -d 1 -c "$count" -s "$size" -S "$step" -o "$off" \
		--pattern "$pat" "${SEC[@]}" --image-opts "$(opts "$img")" >/dev/null || return 1
	for ((i = 0; i < count; i++)); do
		qemu-io -f raw -c "write -P $pat $((off + i * step)) $size" "$raw" >/dev/null || return 1
	done
}
same_raw() {	# NAME IMG MIRROR: both tools read IMG as MIRROR, and check is clean
	local name=$1 img=$2 mirror=$3
	rm -f "$T/q.raw" "$T/o.raw"
	if ! qraw "$img" "$T/q.raw" || ! oraw "$img" "$T/o.raw"; then
		t_fail "$name" "convert failed"
	elif ! cmp -s "$T/q.raw" "$mirror" || ! cmp -s "$T/o.raw" "$mirror"; then
		t_fail "$name" "qemu: $(cmp "$T/q.raw" "$mirror" 2>&1) ours: $(cmp "$T/o.raw" "$mirror" 2>&1)"
	elif ! out=$(qcheck "$img" 2>&1) || ! out=$("$BLKPRIO" img check -q "$img" 2>&1); then
		t_fail "$name" "check: $out"
	else
		t_ok "$name"
	fi
}

# ---- ours: created and written by us, read by qemu ---------------------------
head -c 3M /dev/urandom > "$T/src.raw"
for ((i = 0; i < 400; i++)); do printf 'PLAINTEXT-MARKER-%04d|' $i; done |
	dd of="$T/src.raw" bs=1 seek=100000 conv=notrunc status=none
truncate -s 8M "$T/src.raw"
if "$BLKPRIO" img convert "${SEC[@]}" -O qcow2 -o "$LUKS" "$T/src.raw" "$T/ours.qcow2"; then
	same_raw luks_ours_convert_read_by_both "$T/ours.qcow2" "$T/src.raw"
else
	t_fail luks_ours_convert_read_by_both "convert to LUKS failed"
fi
if grep -q PLAINTEXT-MARKER "$T/ours.qcow2"; then
	t_fail luks_no_plaintext_on_disk "marker found in the host file"
else
	t_ok luks_no_plaintext_on_disk
fi
info=$("$BLKPRIO" img info "$T/ours.qcow2")
json=$("$BLKPRIO" img info --output=json "$T/ours.qcow2")
qinfo=$(qemu-img info "$T/ours.qcow2")
if grep -q '^encrypted: yes' <<<"$info" && grep -q 'cipher alg: aes-256' <<<"$info" &&
   grep -q 'cipher mode: xts' <<<"$info" && grep -q 'ivgen alg: plain64' <<<"$info" &&
   grep -q 'hash alg: sha256' <<<"$info" &&
   python3 -c 'import json,sys; d=json.load(sys.stdin); e=d["format-specific"]["data"]["encrypt"]; assert d["encrypted"] and e["format"]=="luks" and e["slots"][0]["active"] and e["payload-offset"]==2068480' <<<"$json" &&
   [ "$(grep -A100 'encrypt:' <<<"$info" | grep -v iters | grep -v uuid)" = \
     "$(grep -A100 'encrypt:' <<<"$qinfo" | grep -v iters | grep -v uuid)" ]; then
	t_ok luks_info_like_qemu
else
	t_fail luks_info_like_qemu "$info"
fi

for f in ours.qcow2; do
	if [ "$("$BLKPRIO" img info "$T/$f")" = "$(qemu-img info "$T/$f")" ] &&
	   [ "$("$BLKPRIO" img info --output=json "$T/$f")" = "$(qemu-img info --output=json "$T/$f")" ]; then
		t_ok luks_info_identical_to_qemu
	else
		t_fail luks_info_identical_to_qemu "$(diff <("$BLKPRIO" img info "$T/$f") <(qemu-img info "$T/$f"))"
	fi
done

# create lays the image out as qemu-img does: the same header, refcount and L1
# clusters, LUKS header fields and key slot layout (salts, keys, iteration
# counts and the UUID differ by nature), and file size
"$BLKPRIO" img create -q -f qcow2 "${SEC[@]}" -o "$LUKS" "$T/l1.qcow2" 64M
qcreate "${SEC[@]}" -o "$LUKS" "$T/l2.qcow2" 64M
L=$((0x40000))
if cmp -s -n $L "$T/l1.qcow2" "$T/l2.qcow2" &&
   cmp -s -i $L:$L -n 112 "$T/l1.qcow2" "$T/l2.qcow2" &&
   cmp -s -i $((L + 208)):$((L + 208)) -n 4 "$T/l1.qcow2" "$T/l2.qcow2" &&
   cmp -s -i $((L + 248)):$((L + 248)) -n $((8 + 7 * 48)) "$T/l1.qcow2" "$T/l2.qcow2" &&
   [ "$(stat -c %s "$T/l1.qcow2")" = "$(stat -c %s "$T/l2.qcow2")" ]; then
	t_ok luks_create_layout_like_qemu
else
	t_fail luks_create_layout_like_qemu "$(cmp "$T/l1.qcow2" "$T/l2.qcow2")"
fi

# create prints qemu-img's "Formatting" line
ours=$("$BLKPRIO" img create -f qcow2 "${SEC[@]}" -o "$LUKS,encrypt.cipher-mode=xts" "$T/f1.qcow2" 64M)
for i in 1 2 3 4 5; do	# see qcreate
	theirs=$(qemu-img create -f qcow2 "${SEC[@]}" -o "$LUKS,encrypt.cipher-mode=xts" \
		 "$T/f2.qcow2" 64M 2>/dev/null) && break
done
if [ "${ours//f1.qcow2/f2.qcow2}" = "$theirs" ]; then
	t_ok luks_create_output_like_qemu
else
	t_fail luks_create_output_like_qemu "ours: $ours" "theirs: $theirs"
fi

# partial writes into fresh clusters, then copy-on-write after a snapshot
"$BLKPRIO" img create -q -f qcow2 "${SEC[@]}" -o "$LUKS" "$T/p.qcow2" 8M
truncate -s 8M "$T/p.raw"
if owrite "$T/p.qcow2" "$T/p.raw" 3 1000 70000 300 17 &&
   owrite "$T/p.qcow2" "$T/p.raw" 2 131072 200000 65536 34 &&
   owrite "$T/p.qcow2" "$T/p.raw" 5 4096 8192 1048576 51; then
	same_raw luks_ours_partial_writes "$T/p.qcow2" "$T/p.raw"
else
	t_fail luks_ours_partial_writes "writing failed"
fi
cp "$T/p.raw" "$T/snap.raw"
if "$BLKPRIO" img snapshot -c s1 "$T/p.qcow2" &&
   owrite "$T/p.qcow2" "$T/p.raw" 4 777 33333 1000 68 &&
   owrite "$T/p.qcow2" "$T/p.raw" 1 70000 1 150000 85; then
	same_raw luks_ours_cow_after_snapshot "$T/p.qcow2" "$T/p.raw"
	if "$BLKPRIO" img snapshot -a s1 "$T/p.qcow2"; then
		same_raw luks_snapshot_apply_restores "$T/p.qcow2" "$T/snap.raw"
	else
		t_fail luks_snapshot_apply_restores "snapshot -a failed"
	fi
else
	t_fail luks_ours_cow_after_snapshot "snapshot or write failed"
fi

# an encrypted overlay on a plain base: partial writes copy the base's data
qemu-img create -q -f qcow2 "$T/base.qcow2" 4M
qemu-io -f qcow2 -c 'write -P 3 0 4M' "$T/base.qcow2" >/dev/null
qemu-img convert -O raw "$T/base.qcow2" "$T/ov.raw"
if "$BLKPRIO" img create -q -f qcow2 "${SEC[@]}" -b base.qcow2 -F qcow2 -o "$LUKS" "$T/ov.qcow2" &&
   owrite "$T/ov.qcow2" "$T/ov.raw" 2 1000 100000 700 9; then
	same_raw luks_overlay_on_plain_base "$T/ov.qcow2" "$T/ov.raw"
else
	t_fail luks_overlay_on_plain_base "create or write failed"
fi

# ---- theirs: created and written by qemu, read by us -------------------------
qcreate "${SEC[@]}" -o "$LUKS" "$T/q.qcow2" 8M
truncate -s 8M "$T/qm.raw"
cmds=('write -P 17 300 1000' 'write -P 34 65536 131072' 'write -P 51 1000000 77777'
      'write -z 70000 5000' 'write -P 68 3000000 4096')
for c in "${cmds[@]}"; do
	qio "$T/q.qcow2" -c "$c"
	qemu-io -f raw -c "$c" "$T/qm.raw" >/dev/null
done
same_raw luks_theirs_read_by_us "$T/q.qcow2" "$T/qm.raw"
# we write into their image (partial, in place and fresh), they read it back
if owrite "$T/q.qcow2" "$T/qm.raw" 3 1500 40000 500 102 &&
   owrite "$T/q.qcow2" "$T/qm.raw" 2 65536 65536 5000000 119; then
	same_raw luks_theirs_written_by_us "$T/q.qcow2" "$T/qm.raw"
else
	t_fail luks_theirs_written_by_us "writing failed"
fi
# and they write into ours
for c in 'write -P 136 7000 9000' 'write -P 153 2000000 65536' 'write -z 1048576 512'; do
	qio "$T/p.qcow2" -c "$c"
	qemu-io -f raw -c "$c" "$T/snap.raw" >/dev/null
done
same_raw luks_ours_written_by_qemu "$T/p.qcow2" "$T/snap.raw"

# qemu-io can write compressed clusters into an encrypted image; it stores
# them unencrypted: we read them, and a write into one stores it encrypted
qcreate "${SEC[@]}" -o "$LUKS" "$T/cz.qcow2" 4M
truncate -s 4M "$T/cz.raw"
for c in 'write -c -P 7 0 64k' 'write -c -P 8 128k 64k'; do
	qio "$T/cz.qcow2" -c "$c"
	qemu-io -f raw -c "${c/-c /}" "$T/cz.raw" >/dev/null
done
if owrite "$T/cz.qcow2" "$T/cz.raw" 1 1000 1 5000 9; then
	same_raw luks_qemu_compressed_clusters "$T/cz.qcow2" "$T/cz.raw"
else
	t_fail luks_qemu_compressed_clusters "writing failed"
fi

# other LUKS ciphers qemu makes
for c in "aes-128 cbc essiv" "aes-256 cbc plain64" "aes-128 xts plain64"; do
	set -- $c
	o="$LUKS,encrypt.cipher-alg=$1,encrypt.cipher-mode=$2,encrypt.ivgen-alg=$3"
	name=luks_cipher_$1_$2_$3
	rm -f "$T/c.qcow2" "$T/d.qcow2"
	qcreate "${SEC[@]}" -o "$o" "$T/c.qcow2" 4M
	qio "$T/c.qcow2" -c 'write -P 7 1000 70000'
	"$BLKPRIO" img create -q -f qcow2 "${SEC[@]}" -o "$o" "$T/d.qcow2" 4M
	"$BLKPRIO" img bench -q -w -d 1 -c 1 -s 70000 -o 1000 --pattern 7 "${SEC[@]}" \
		--image-opts "$(opts "$T/d.qcow2")" >/dev/null
	qraw "$T/c.qcow2" "$T/c.raw"
	same_raw "${name}_theirs" "$T/c.qcow2" "$T/c.raw"
	same_raw "${name}_ours" "$T/d.qcow2" "$T/c.raw"
done
qcreate "${SEC[@]}" -o "$LUKS,encrypt.cipher-alg=twofish-256" "$T/tf.qcow2" 4M
if out=$(oraw "$T/tf.qcow2" "$T/tf.raw" 2>&1); then
	t_fail luks_unsupported_cipher_error "convert succeeded"
elif [ "$(wc -l <<<"$out")" = 1 ] && grep -q "unsupported cipher 'twofish'" <<<"$out" &&
     [ ! -e "$T/tf.raw" ]; then
	t_ok luks_unsupported_cipher_error
else
	t_fail luks_unsupported_cipher_error "$out"
fi

# ---- wrong or missing passphrase -----------------------------------------------
sum=$(md5sum < "$T/q.qcow2")
out=$("$BLKPRIO" img convert --object secret,id=bad,data=wrong \
	--image-opts "driver=qcow2,file.filename=$T/q.qcow2,encrypt.key-secret=bad" -O raw "$T/w.raw" 2>&1)
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
   grep -q "Invalid password, cannot unlock any keyslot" <<<"$out" &&
   [ ! -e "$T/w.raw" ] && [ "$(md5sum < "$T/q.qcow2")" = "$sum" ]; then
	t_ok luks_wrong_passphrase_clear_error
else
	t_fail luks_wrong_passphrase_clear_error "rc=$rc $out"
fi
out=$("$BLKPRIO" img bench -q -w -c 1 --object secret,id=bad,data=wrong \
	--image-opts "driver=qcow2,file.filename=$T/q.qcow2,encrypt.key-secret=bad" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "Invalid password" <<<"$out" && [ "$(md5sum < "$T/q.qcow2")" = "$sum" ]; then
	t_ok luks_wrong_passphrase_write_unchanged
else
	t_fail luks_wrong_passphrase_write_unchanged "rc=$rc $out"
fi
out=$("$BLKPRIO" img convert -O raw "$T/q.qcow2" "$T/w.raw" 2>&1 </dev/null)
rc=$?
if [ $rc = 1 ] && grep -q "image is encrypted" <<<"$out" && [ ! -e "$T/w.raw" ]; then
	t_ok luks_missing_secret_error
else
	t_fail luks_missing_secret_error "rc=$rc $out"
fi
out=$("$BLKPRIO" img create -f qcow2 -o encrypt.format=luks "$T/n.qcow2" 1M 2>&1 </dev/null)
rc=$?
if [ $rc = 1 ] && grep -q "encrypt.key-secret" <<<"$out" && [ ! -e "$T/n.qcow2" ]; then
	t_ok luks_create_needs_secret
else
	t_fail luks_create_needs_secret "rc=$rc $out"
fi
out=$("$BLKPRIO" img create -f qcow2 --object secret,id=x,data=y -o encrypt.format=luks,encrypt.key-secret=nope "$T/n.qcow2" 1M 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "No secret with id 'nope'" <<<"$out" && [ ! -e "$T/n.qcow2" ]; then
	t_ok luks_unknown_secret_id
else
	t_fail luks_unknown_secret_id "rc=$rc $out"
fi
# bad secrets and image options: one line, exit 2 for usage, 1 for failure
bad=0
while IFS='|' read -r want args; do
	eval "set -- $args"
	out=$("$BLKPRIO" img "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != "$want" ] || [ "$(grep -c . <<<"$out")" -lt 1 ] ||
	   [ "$(grep -vc '^Try ' <<<"$out")" != 1 ]; then
		bad=1
		echo "# img $args: rc=$rc $out"
	fi
done <<EOF2
2|info --object foo "$T/q.qcow2"
2|info --object secret,id=x "$T/q.qcow2"
2|info --object secret,id=x,data=a,file=b "$T/q.qcow2"
2|info --object secret,id=x,data=a,format=hex "$T/q.qcow2"
1|info --object secret,id=x,file=$T/nonexistent "$T/q.qcow2"
1|info --object secret,id=x,data=a,keyid=k "$T/q.qcow2"
1|info --image-opts driver=qcow2,file.filename=$T/q.qcow2,encrypt.key-secret=zz
1|info --image-opts driver=vmdk,file.filename=$T/q.qcow2
2|info --image-opts driver=qcow2,foo=1,file.filename=$T/q.qcow2
2|create -f qcow2 -o encrypt.format=rot13 "$T/n.qcow2" 1M
2|create -f qcow2 -o encrypt.format=luks,encrypt.iter-time=abc "$T/n.qcow2" 1M
1|create -f qcow2 -o encrypt.iter-time=10 "$T/n.qcow2" 1M
1|create -f qcow2 --object secret,id=s,data=a -o encrypt.format=luks,encrypt.key-secret=s,encrypt.cipher-alg=des "$T/n.qcow2" 1M
1|create -f qcow2 --object secret,id=s,data=a -o encrypt.format=luks,encrypt.key-secret=s,preallocation=full "$T/n.qcow2" 1M
1|create -f qcow2 --object secret,id=s,data=a -o encrypt.format=aes,encrypt.key-secret=s,encrypt.iter-time=5 "$T/n.qcow2" 1M
EOF2
if [ $bad = 0 ] && [ ! -e "$T/n.qcow2" ]; then
	t_ok crypt_bad_input
else
	t_fail crypt_bad_input "see above"
fi

# info and check do without the secret
t_check luks_info_check_without_secret \
	sh -c "'$BLKPRIO' img info '$T/q.qcow2' >/dev/null && '$BLKPRIO' img check -q '$T/q.qcow2'"
# a base64 secret is the same secret
b64=$(base64 < "$T/pass")
if "$BLKPRIO" img convert --object "secret,id=s64,data=$b64,format=base64" \
	--image-opts "driver=qcow2,file.filename=$T/q.qcow2,encrypt.key-secret=s64" -O raw "$T/b.raw" &&
   cmp -s "$T/b.raw" "$T/qm.raw"; then
	t_ok luks_base64_secret
else
	t_fail luks_base64_secret "base64 secret did not open the image"
fi

# the passphrase from a prompt on the terminal (script gives us one)
if command -v script >/dev/null; then
	printf 'tty pass\ntty pass\n' | script -qec "'$BLKPRIO' img create -q -f qcow2 -o encrypt.format=luks,encrypt.iter-time=10 '$T/tty.qcow2' 1M" /dev/null >/dev/null
	qemu-io --object secret,id=t,data='tty pass' \
		--image-opts "driver=qcow2,file.filename=$T/tty.qcow2,encrypt.key-secret=t" -c 'write -P 9 0 4096' >/dev/null
	printf 'tty pass\n' | script -qec "'$BLKPRIO' img convert -O raw '$T/tty.qcow2' '$T/tty.raw'" /dev/null >/dev/null
	if [ "$(head -c 4096 "$T/tty.raw" 2>/dev/null | tr -d '\011' | wc -c)" = 0 ]; then
		t_ok luks_prompted_passphrase
	else
		t_fail luks_prompted_passphrase "prompted create/open did not work"
	fi
else
	t_skip luks_prompted_passphrase "script (util-linux) not installed"
fi

# map: where encrypted data lies is not shown, as qemu-img does
if [ "$("$BLKPRIO" img map --output=json "$T/q.qcow2")" = \
     "$(qemu-img map --output=json "${SEC[@]}" --image-opts "$(opts "$T/q.qcow2")")" ] &&
   ! "$BLKPRIO" img map "$T/q.qcow2" >/dev/null 2>&1; then
	t_ok luks_map_like_qemu
else
	t_fail luks_map_like_qemu "map output differs"
fi

# dd and bench run take secrets too: img:driver=qcow2,file.filename=F,encrypt.key-secret=ID
head -c 300000 /dev/urandom > "$T/piece"
cp "$T/qm.raw" "$T/dd.raw"
dd if="$T/piece" of="$T/dd.raw" bs=1000 seek=777 conv=notrunc status=none
if "$BLKPRIO" dd "${SEC[@]}" if="$T/piece" of="img:$(opts "$T/q.qcow2")" bs=1000 seek=777 \
	conv=notrunc status=none &&
   "$BLKPRIO" dd "${SEC[@]}" if="img:$(opts "$T/q.qcow2")" of="$T/dd2.raw" bs=64k status=none &&
   cmp -s "$T/dd2.raw" "$T/dd.raw"; then
	same_raw crypt_dd_img_target "$T/q.qcow2" "$T/dd.raw"
else
	t_fail crypt_dd_img_target "dd through the secret failed"
fi
if out=$("$BLKPRIO" bench run "${SEC[@]}" --rw=randwrite --bs=4k --size=4M --io_size=1M \
	--verify=crc32c --no-progress "img:$(opts "$T/p.qcow2")" 2>&1) &&
   grep -q "verify: ok" <<<"$out" && qcheck "$T/p.qcow2"; then
	t_ok crypt_bench_run_img_target
else
	t_fail crypt_bench_run_img_target "$out"
fi

# ---- legacy AES ------------------------------------------------------------------
AES="encrypt.format=aes,encrypt.key-secret=sec0"
qcreate "${SEC[@]}" -o "$AES" "$T/a.qcow2" 4M
truncate -s 4M "$T/am.raw"
for c in 'write -P 171 65536 1024' 'write -P 205 300000 5000' 'write -P 17 1 1000000'; do
	qio "$T/a.qcow2" -c "$c"
	qemu-io -f raw -c "$c" "$T/am.raw" >/dev/null
done
same_raw aes_theirs_read_by_us "$T/a.qcow2" "$T/am.raw"
if [ "$("$BLKPRIO" img info "$T/a.qcow2")" = "$(qemu-img info "$T/a.qcow2")" ] &&
   [ "$("$BLKPRIO" img info --output=json "$T/a.qcow2")" = "$(qemu-img info --output=json "$T/a.qcow2")" ]; then
	t_ok aes_info_identical_to_qemu
else
	t_fail aes_info_identical_to_qemu "$(diff <("$BLKPRIO" img info "$T/a.qcow2") <(qemu-img info "$T/a.qcow2"))"
fi
if "$BLKPRIO" img convert "${SEC[@]}" --image-opts "$(opts "$T/a.qcow2")" -O qcow2 \
	-o "$LUKS" "$T/a2l.qcow2" && qraw "$T/a2l.qcow2" "$T/a2l.raw" && cmp -s "$T/a2l.raw" "$T/am.raw" &&
   qcheck "$T/a2l.qcow2"; then
	t_ok aes_converted_to_luks
else
	t_fail aes_converted_to_luks "conversion differs"
fi
out=$("$BLKPRIO" img create -q -f qcow2 "${SEC[@]}" -o "$AES" "$T/oa.qcow2" 4M 2>&1)
if grep -q "weak" <<<"$out"; then
	t_ok aes_create_warns
else
	t_fail aes_create_warns "no warning: $out"
fi
truncate -s 4M "$T/oam.raw"
if owrite "$T/oa.qcow2" "$T/oam.raw" 3 1000 70000 300 17 2>/dev/null &&
   owrite "$T/oa.qcow2" "$T/oam.raw" 1 100000 1 1000000 34 2>/dev/null; then
	same_raw aes_ours_read_by_qemu "$T/oa.qcow2" "$T/oam.raw"
else
	t_fail aes_ours_read_by_qemu "writing failed"
fi
if grep -q $'\x11\x11\x11\x11\x11\x11\x11\x11' "$T/oa.qcow2"; then
	t_fail aes_no_plaintext_on_disk "pattern found in the host file"
else
	t_ok aes_no_plaintext_on_disk
fi

# ---- no compression with encryption ----------------------------------------------
out=$("$BLKPRIO" img convert -c "${SEC[@]}" -O qcow2 -o "$LUKS" "$T/src.raw" "$T/cc.qcow2" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "Compression and encryption not supported" <<<"$out" && [ ! -e "$T/cc.qcow2" ]; then
	t_ok crypt_compress_refused
else
	t_fail crypt_compress_refused "rc=$rc $out"
fi

t_done
