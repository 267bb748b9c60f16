#!/bin/bash
# Boot the VM test leg's guest (Debian's stock kernel under QEMU's TCG, the
# host's root over 9p under a tmpfs overlay, serial console only, no network),
# run CMD as root inside from the project's folder with cgroups as CG says (v2:
# pure cgroup v2 with the io controller; v1: v1 blkio next to a cgroup2 mount),
# print its output, power off, exit with its exit code. A time limit per boot.
# Where QEMU cannot run: one line "# SKIP vm: REASON" and exit 77.
# Usage: scripts/vm-run.sh O CG SECONDS CMD
set -u
O=$(cd "$1" && pwd)
CG=$2
LIMIT=$3
CMD=$4
TOP=$(cd "$(dirname "$0")/.." && pwd)

skip() { echo "# SKIP vm: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (qemu-system-x86)"
[ -x /bin/busybox ] || skip "busybox-static not installed"
command -v depmod >/dev/null || skip "kmod not installed (depmod)"
[ "$(id -u)" = 0 ] || skip "needs root (the guest runs the host's privileged tests)"
ver=$("$TOP/scripts/vm-image.sh" "$O") || skip "no guest kernel: $(tail -1 "$O/vm/download.log" 2>/dev/null)"

out=$O/vm/out-$CG
rm -rf "$out"
mkdir -p "$out"
{
	printf 'CG=%q\nTOP=%q\nO=%q\nCMD=%q\n' "$CG" "$TOP" "$O" "$CMD"
} >"$out/job"
start=$(date +%s.%N)
timeout --foreground -k 5 "$LIMIT" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 3G \
	-nographic -no-reboot -nic none -serial mon:stdio \
	-kernel "$O/vm/kernel/boot/vmlinuz-$ver" -initrd "$O/vm/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 blkprio.guest=$TOP/scripts/vm-guest.sh" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$out,mount_tag=out,security_model=none" \
	</dev/null >"$out/console.log" 2>&1
qrc=$?
wall=$(echo "$(date +%s.%N) - $start" | bc)
cat "$out/out.log" 2>/dev/null
if [ ! -s "$out/rc" ]; then
	echo "# vm: no exit code from the guest (QEMU exit $qrc after ${wall%.*} s${qrc:+; 124 is the time limit of $LIMIT s}); console:"
	tail -20 "$out/console.log" | sed 's/^/#   /'
	exit 1
fi
rc=$(cat "$out/rc")
echo "# vm: $ver, cgroup $CG, ${wall%.*} s from QEMU start to power-off, exit $rc"
exit "$rc"
