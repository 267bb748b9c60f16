#!/bin/bash
# blkprio dd against GNU dd (/usr/bin/dd): same operands, same output bytes,
# same messages (statistics with times and rates masked), same exit codes.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
[ -x /usr/bin/dd ] || { t_skip dd "GNU dd not installed"; t_done; exit; }
# GNU dd names itself as invoked: call it "dd" through PATH, as users do.
mkdir -p "$T/bin"
ln -s /usr/bin/dd "$T/bin/dd"
export PATH="$T/bin:$PATH"
GNU=dd

mkdir -p "$T/in" "$T/gnu" "$T/ours"
head -c 100000 /dev/urandom > "$T/in/rand"
head -c 10000 /dev/urandom > "$T/in/r10000"
printf 'Hello World\nMiXeD CaSe TeXt 123\n\nlast line no newline' > "$T/in/text"
printf 'abcdefghijklmnopqrstuvwxyz' > "$T/in/alpha"
printf 'ab  cd  e   ff  ' > "$T/in/recs"
{ head -c 8192 /dev/urandom; head -c 16384 /dev/zero; head -c 100 /dev/urandom; head -c 8192 /dev/zero; } > "$T/in/holes"

# Replace the time and rate of xfer lines, which differ run to run.
mask() { sed -E 's/copied, [0-9.e+-]+ s, .*$/copied, T s, R/'; }

# run DIR CMD ARGS...: in DIR with fresh inputs; leaves out.stderr, out.rc
run_in() {
	local dir=$1; shift
	rm -rf "$dir"; mkdir -p "$dir"; cp -p "$T"/in/* "$dir"/
	( cd "$dir" && "$@" > stdout 2> stderr.raw; echo $? > rc )
	mask < "$dir/stderr.raw" > "$dir/stderr"; rm -f "$dir/stderr.raw"
}

# same NAME OPERANDS...: both dds, then compare every file they leave.
same() {
	local name=$1 diffs; shift
	run_in "$T/gnu" "$GNU" "$@"
	run_in "$T/ours" "$BLKPRIO" dd "$@"
	if diffs=$(diff -r "$T/gnu" "$T/ours" 2>&1); then
		t_ok "dd $name"
	else
		t_fail "dd $name" "$diffs"
	fi
}

# same_sh NAME 'SHELL with $DD': a pipeline run with each dd.
same_sh() {
	local name=$1 script=$2 diffs
	run_in "$T/gnu" env DD="$GNU" bash -c "$script"
	run_in "$T/ours" env DD="$BLKPRIO dd" bash -c "$script"
	if diffs=$(diff -r "$T/gnu" "$T/ours" 2>&1); then
		t_ok "dd $name"
	else
		t_fail "dd $name" "$diffs"
	fi
}

# ---- copies and block sizes ----
same copy if=rand of=out
same copy_bs4k if=rand of=out bs=4k
same reblock_ibs_obs if=rand of=out ibs=3 obs=7
same reblock_ibs_big if=rand of=out ibs=64K obs=1000
same count_skip if=rand of=out bs=1000 count=3 skip=2
same count_bytes_suffix if=rand of=out bs=4096 count=10KiB skip=100B
same count_bytes_flag if=rand of=out bs=4096 count=5000 iflag=count_bytes,skip_bytes skip=7
same seek_truncates if=alpha of=rand bs=10 seek=3
same seek_notrunc if=alpha of=rand bs=10 seek=3 conv=notrunc
same seek_bytes if=alpha of=rand seek=5 oflag=seek_bytes conv=notrunc
same append if=alpha of=rand oflag=append conv=notrunc
same suffixes if=rand of=out bs=2x1kB count=1w
same suffix_b if=rand of=out ibs=1b obs=1KiB count=3c
same_sh stdin_stdout_bs_1M '$DD if=rand bs=1M | cat > out'
same_sh stdin_to_file '$DD of=out bs=3000 < rand'
same_sh stdout_to_file '$DD if=rand bs=777 > out'
same_sh zero_multiplier '$DD if=rand of=out bs=512 count=0x3'
same empty_count0 if=rand of=out count=0

# ---- conversions ----
same lcase if=text of=out conv=lcase
same ucase if=text of=out conv=ucase
same swab_odd if=alpha of=out conv=swab bs=5
same swab_even if=rand of=out conv=swab
same sync_pad if=r10000 of=out bs=4096 conv=sync
same block if=text of=out cbs=8 conv=block
same unblock if=recs of=out cbs=4 conv=unblock
same block_ucase if=text of=out cbs=16 conv=block,ucase
same sparse if=holes of=out bs=4096 conv=sparse
if [ -f "$T/ours/out" ] && [ "$(stat -c %b "$T/ours/out")" -lt 64 ]; then
	t_ok "dd sparse output has holes"
else
	t_fail "dd sparse output has holes" "$(stat -c '%s %b' "$T/ours/out" 2>&1)"
fi
same fdatasync if=rand of=out bs=4k conv=fdatasync
same fsync if=rand of=out bs=4k conv=fsync
same direct_tail if=r10000 of=out bs=4k oflag=direct iflag=direct
same dsync if=r10000 of=out bs=4k oflag=dsync
same nocache if=rand of=out bs=4k iflag=nocache oflag=nocache
same excl_exists if=rand of=alpha conv=excl
same nocreat_missing if=rand of=missing conv=nocreat
same notrunc_keeps if=alpha of=rand conv=notrunc
same iseek_oseek if=rand of=out bs=100 iseek=3 oseek=2 count=4
# Read errors: the first pages of /proc/self/mem are unmapped and read as EIO.
same read_error if=/proc/self/mem of=out bs=4096 count=2
same read_error_noerror_sync if=/proc/self/mem of=out bs=4096 count=3 conv=noerror,sync
same write_error_dev_full if=rand of=/dev/full bs=4k
same write_error_dev_full_fsync if=rand of=/dev/full bs=4k conv=fsync

# ---- reads from pipes: partial reads, fullblock, skip on a pipe ----
same_sh partial_read_warning '(printf abc; sleep 0.2; printf def) | $DD of=out bs=100 count=2'
same_sh fullblock '(printf abc; sleep 0.2; printf def) | $DD of=out bs=6 count=1 iflag=fullblock'
same_sh seek_pipe_output '$DD if=alpha bs=2 seek=2 | cat > out'
same_sh skip_pipe 'cat rand | $DD of=out bs=1000 skip=3 count=2'
same_sh skip_pipe_past_end 'cat alpha | $DD of=out bs=1000 skip=3'
same skip_file_past_end if=alpha of=out bs=1000 skip=3

# ---- the corners: short reads, append, /dev/full and /dev/null, offsets ----
same_sh partial_read_one_byte '(printf a; sleep 0.2; printf b) | $DD of=out bs=2 count=2'
same_sh partial_read_status_none '(printf a; sleep 0.2; printf b) | $DD of=out bs=2 count=2 status=none'
same_sh partial_read_noxfer '(printf abc; sleep 0.2; printf b) | $DD of=out bs=4 count=2 status=noxfer'
same_sh skip_bytes_pipe 'printf abcdefgh | $DD iflag=skip_bytes skip=3 of=out'
same_sh skip_bytes_pipe_bs 'cat rand | $DD iflag=skip_bytes skip=1001 bs=512 count=3 of=out'
same append_without_notrunc if=alpha of=rand oflag=append
same append_sparse if=holes of=rand oflag=append conv=sparse bs=4096
same_sh append_stdout_status_none '$DD if=alpha oflag=append status=none >> out'
same_sh dev_full_reblocked 'head -c 10000 /dev/zero | $DD of=/dev/full ibs=1000 obs=3000'
same_sh dev_full_last_block 'head -c 10 /dev/zero | $DD of=/dev/full ibs=1000 obs=3000'
same dev_full_bs if=rand of=/dev/full bs=1000
same dev_null_fdatasync if=rand of=/dev/null count=1 conv=fdatasync
same dev_null_fsync if=rand of=/dev/null count=1 conv=fsync
same bs_zero_x if=alpha of=out bs=0x5
same count_zero_x_x if=alpha of=out count=0x5x1
for n in 9223372036854775807 9223372036854775808 18014398509481984 18014398509481983 \
	 18446744073709551616; do
	same "seek=$n" if=/dev/zero of=out count=1 seek=$n
	same "seek=$n notrunc" if=/dev/zero of=out count=1 seek=$n conv=notrunc
	same "skip=$n device" if=/dev/zero of=/dev/null count=1 skip=$n
	same "skip=$n file" if=alpha of=/dev/null count=1 skip=$n
	same "skip=${n}B file" if=alpha of=/dev/null count=1 skip=${n}B
	same_sh "seek=$n stdout" "\$DD if=/dev/zero count=1 seek=$n > out"
	same_sh "skip=$n pipe" "cat alpha | \$DD of=out count=1 skip=$n"
done
same seek_obs_overflow if=/dev/zero of=out count=1 seek=4611686018427387904 obs=2
same count_overflow if=/dev/zero of=/dev/null count=9223372036854775808

# ---- status= ----
same status_none if=rand of=out status=none
same status_noxfer if=rand of=out status=noxfer
same status_last_wins if=rand of=out status=none status=noxfer
same one_byte if=rand of=out bs=1 count=1
same thousand_bytes if=rand of=out bs=1000 count=1

# ---- bad operands: same message, same exit code, nothing written ----
for bad in bogus=1 bs=0 bs=-1 bs=1Q bs=1m bs=2x3x4 bs=x2 bs=00x4 cbs=0 \
	   bs=99999999999999999999999 conv=foo conv=sync,bar iflag=foo iflag=binary \
	   oflag=fullblock oflag=cio status=foo conv=lcase,ucase conv=excl,nocreat \
	   iflag=direct,nocache 'cbs=4 conv=block,unblock' ibs; do
	# shellcheck disable=SC2086
	same "bad '$bad'" if=rand of=out $bad
done
same missing_input if=nonexistent of=out
same missing_dir_output if=rand of=nodir/out
same input_is_dir if=. of=out bs=4k

# ---- recipes people use ----
same_sh recipe_fixed_size_file '$DD if=/dev/zero of=fixed bs=1M count=4'
same_sh recipe_swap_file '$DD if=/dev/zero of=swapfile bs=1K count=1024 && chmod 600 swapfile && mkswap -U 11111111-2222-3333-4444-555555555555 swapfile >/dev/null'
same_sh recipe_split_join '$DD if=rand of=part1 bs=1000 count=40 && $DD if=rand of=part2 bs=1000 skip=40 && $DD if=part1 of=joined bs=1000 && $DD if=part2 of=joined bs=1000 seek=40 && cmp joined rand'
same_sh recipe_gzip '$DD if=rand bs=64k | gzip -c -n > out.gz && gunzip -c out.gz | $DD of=back bs=64k iflag=fullblock && cmp back rand'
same_sh recipe_case '$DD if=text of=lower conv=lcase && $DD if=text of=upper conv=ucase'
same_sh recipe_write_bench '$DD if=/dev/zero of=bench bs=4k count=256 conv=fdatasync'
same_sh recipe_read_bench '$DD if=rand of=/dev/null bs=4k'
same_sh recipe_read_direct '$DD if=rand of=/dev/null bs=4k iflag=direct'

# Back up a partition (a loop device) to a file and restore it.
if t_root && dev=$(losetup -f --show "$T/in/rand" 2>/dev/null); then
	t_cleanup "losetup -d $dev"
	head -c 65536 /dev/urandom > "$T/part.img"
	pdev=$(losetup -f --show "$T/part.img")
	t_cleanup "losetup -d $pdev"
	same_sh recipe_backup_partition "\$DD if=$pdev of=backup.img bs=4k conv=fsync"
	cp "$T/ours/backup.img" "$T/backup.img"
	head -c 65536 /dev/zero | "$BLKPRIO" dd of="$pdev" bs=64k conv=fsync status=none
	if "$BLKPRIO" dd if="$T/backup.img" of="$pdev" bs=4k conv=fsync status=none &&
	   cmp -s "$pdev" "$T/part.img"; then
		t_ok "dd recipe_restore_partition"
	else
		t_fail "dd recipe_restore_partition" "restored device differs"
	fi
else
	t_skip "dd recipe_backup_partition" "needs root and a loop device"
	t_skip "dd recipe_restore_partition" "needs root and a loop device"
fi

# ---- qcow2 images: of=img: and if=img:, with qemu-img as the oracle ----
if command -v qemu-img >/dev/null; then
	cd "$T/ours" || exit 1
	{ head -c 131072 /dev/urandom; head -c 1048576 /dev/zero; head -c 4096 /dev/urandom
	  head -c 524288 /dev/zero; } > holes
	t_check "dd of=img: from a file" "$BLKPRIO" dd if=rand of=img:rand.qcow2 bs=64k status=none
	t_check "dd of=img: image matches (qemu-img compare)" qemu-img compare -f raw -F qcow2 rand rand.qcow2
	t_check "dd of=img: image is consistent (qemu-img check)" qemu-img check -q rand.qcow2
	t_check "dd of=img: sized from the input" test "$(qemu-img info --output=json rand.qcow2 |
		sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')" = 100352
	"$BLKPRIO" dd if=holes of=img:holes.qcow2 bs=4k status=none
	t_check "dd of=img: zero blocks stay unallocated" test "$(qemu-img map --output=json holes.qcow2 |
		grep -c '"present": false')" -eq 2
	t_check "dd of=img: holes image matches" qemu-img compare -f raw holes holes.qcow2
	qemu-img convert -O qcow2 rand conv.qcow2
	"$BLKPRIO" dd if=img:conv.qcow2 of=back bs=1M status=none
	t_check "dd if=img: reads the guest view" cmp back <(head -c 100352 rand; head -c $((100352 - 100000)) /dev/zero)
	t_check "dd if=img: with skip and count" cmp <("$BLKPRIO" dd if=img:conv.qcow2 bs=1000 skip=5 count=7 status=none) \
		<(dd if=rand bs=1000 skip=5 count=7 status=none)
	cat rand | "$BLKPRIO" dd of=img:pipe.qcow2 bs=4k status=none
	t_check "dd of=img: from a pipe grows the image" qemu-img compare -f raw rand pipe.qcow2
	printf 'XYZ' | "$BLKPRIO" dd of=img:conv.qcow2 bs=1 seek=10 conv=notrunc status=none
	t_check "dd of=img: writes into an existing image" cmp <("$BLKPRIO" dd if=img:conv.qcow2 bs=1 skip=10 count=3 status=none) <(printf XYZ)
	t_check "dd of=img: existing image still consistent" qemu-img check -q conv.qcow2
	out=$("$BLKPRIO" dd if=img:missing.qcow2 of=x 2>&1); rc=$?
	t_check "dd if=img: missing image: GNU-style message, exit 1" \
		test "$out" = "dd: failed to open 'img:missing.qcow2': No such file or directory" -a $rc = 1
	if t_root && [ -n "${pdev:-}" ]; then
		t_check "dd partition straight into a sparse qcow2" "$BLKPRIO" dd if="$pdev" of=img:part.qcow2 bs=1M status=none
		t_check "dd partition qcow2 matches the device" qemu-img compare -f raw "$pdev" part.qcow2
	fi
	cd "$T" || exit 1
else
	t_skip "dd img:" "qemu-img not installed"
fi

# ---- signals: USR1 prints statistics and goes on; INT prints them and dies ----
sigtest() {
	local dd=$1 out=$2 pid
	mkfifo "$out.fifo"
	# A shell started in the background ignores SIGINT and passes that on
	# (ignored signals cannot be reset by the shell): reset it for dd.
	# shellcheck disable=SC2086
	env --default-signal=INT,USR1 $dd if="$out.fifo" of=/dev/null bs=1k 2> "$out.err" &
	pid=$!
	exec 7> "$out.fifo"
	head -c 3000 /dev/zero >&7
	sleep 0.5
	kill -USR1 $pid
	sleep 0.3
	head -c 1000 /dev/zero >&7
	sleep 0.3
	kill -INT $pid
	sleep 0.3
	exec 7>&-	# a dd that survived SIGINT sees the end of input: no hang
	wait $pid
	echo $? > "$out.rc"
	mask < "$out.err" > "$out.masked"
}
# Job control, so the background dd does not start with SIGINT ignored.
( set -m; sigtest "$GNU" "$T/sig-gnu" ) 2>/dev/null
( set -m; sigtest "$BLKPRIO dd" "$T/sig-ours" ) 2>/dev/null
if cmp -s "$T/sig-gnu.masked" "$T/sig-ours.masked" && cmp -s "$T/sig-gnu.rc" "$T/sig-ours.rc" &&
   [ "$(grep -c 'records in' "$T/sig-ours.masked")" -eq 2 ] && [ "$(cat "$T/sig-ours.rc")" = 130 ]; then
	t_ok "dd SIGUSR1 and SIGINT statistics"
else
	t_fail "dd SIGUSR1 and SIGINT statistics" \
		"$(diff "$T/sig-gnu.masked" "$T/sig-ours.masked"; cat "$T/sig-gnu.rc" "$T/sig-ours.rc")"
fi

# status=progress: "\r" lines with whole seconds while copying, then the statistics.
for i in $(seq 15); do head -c 1000 /dev/zero; sleep 0.1; done |
	"$BLKPRIO" dd of=/dev/null bs=1k status=progress 2> "$T/progress.err"
if grep -aqE $'\r''[0-9]+ bytes \([0-9.]+ kB, [0-9.]+ KiB\) copied, 1 s, [0-9.]+ kB/s' "$T/progress.err" &&
   grep -q '^15000 bytes (15 kB, 15 KiB) copied' "$T/progress.err"; then
	t_ok "dd status=progress"
else
	t_fail "dd status=progress" "$(od -c "$T/progress.err" | head)"
fi

t_done
