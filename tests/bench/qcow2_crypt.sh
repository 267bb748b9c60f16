#!/bin/bash
# Encryption cost: converting a 512 MiB raw file (random, text-like and zero
# parts) into a LUKS qcow2 image (aes-256-xts) and a LUKS image back to raw,
# blkprio against qemu-img convert on the same files, plus blkprio's
# unencrypted conversions as the anchor for the cost of encrypting. Medians
# of RUNS rounds (default 3), each round running every command once in a
# rotating order. Ratios > 1: blkprio faster. BENCH_DIR picks the folder.
set -eu
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || { echo "bench qcow2_crypt: qemu-img missing, skipped"; exit 0; }
dir=$(mktemp -d "${BENCH_DIR:-/var/tmp}/blkprio-bench-crypt.XXXXXX")
trap 'rm -rf "$dir"' EXIT
RUNS=${RUNS:-3}
SEC="--object secret,id=s,data=bench-pass"
LUKS="encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10"
opts() { echo "driver=qcow2,file.filename=$1,encrypt.key-secret=s"; }

# 512 MiB: 192 MiB random, 192 MiB text-like, 128 MiB zeros
head -c 192M /dev/urandom > "$dir/in.raw"
yes 'the quick brown fox jumps over the lazy dog 0123456789' | head -c 192M >> "$dir/in.raw"
truncate -s 512M "$dir/in.raw"
"$BLKPRIO" img convert $SEC -O qcow2 -o "$LUKS" "$dir/in.raw" "$dir/src.qcow2"
qemu-img convert $SEC --image-opts "$(opts "$dir/src.qcow2")" -O raw "$dir/check.raw"
cmp -s "$dir/check.raw" "$dir/in.raw" || { echo "bench qcow2_crypt: LUKS copy differs"; exit 1; }
rm -f "$dir/check.raw"
sync

read -r o q p < <(ROUNDS_WALL=1 ROUNDS_PREP='rm -f "$dir/out.qcow2" "$dir/out.raw"' rounds \
	"'$BLKPRIO' img convert $SEC -O qcow2 -o '$LUKS' '$dir/in.raw' '$dir/out.qcow2'" \
	"qemu-img convert $SEC -O qcow2 -o '$LUKS' '$dir/in.raw' '$dir/out.qcow2'" \
	"'$BLKPRIO' img convert -O qcow2 '$dir/in.raw' '$dir/out.qcow2'")
printf 'bench qcow2_crypt: raw -> LUKS qcow2   blkprio %ss qemu-img %ss (blkprio/qemu-img %sx) | unencrypted blkprio %ss (encryption costs %sx)\n' \
	"$o" "$q" "$(ratio "$q" "$o")" "$p" "$(ratio "$o" "$p")"
"$BLKPRIO" img convert -O qcow2 "$dir/in.raw" "$dir/plain.qcow2"
read -r o q p < <(ROUNDS_WALL=1 ROUNDS_PREP='rm -f "$dir/out.qcow2" "$dir/out.raw"' rounds \
	"'$BLKPRIO' img convert $SEC --image-opts '$(opts "$dir/src.qcow2")' -O raw '$dir/out.raw'" \
	"qemu-img convert $SEC --image-opts '$(opts "$dir/src.qcow2")' -O raw '$dir/out.raw'" \
	"'$BLKPRIO' img convert -O raw '$dir/plain.qcow2' '$dir/out.raw'")
printf 'bench qcow2_crypt: LUKS qcow2 -> raw   blkprio %ss qemu-img %ss (blkprio/qemu-img %sx) | unencrypted blkprio %ss (decryption costs %sx)\n' \
	"$o" "$q" "$(ratio "$q" "$o")" "$p" "$(ratio "$o" "$p")"
