#!/bin/busybox sh
# /init of the VM test leg's initramfs (built by scripts/vm-image.sh): the
# host's root, read-only over 9p, under a tmpfs overlay becomes the root; a
# second, writable 9p share ("out") brings results back. Then, chrooted, the
# guest side (scripts/vm-guest.sh) sets up cgroups and runs the command the
# host named on the kernel command line; its exit code goes to out/rc.
# Everything here runs as PID 1: on any error, say so and power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() { echo "vm-init: $*" >/dev/console; poweroff -f; }
for m in $(cat /modules.order); do
	insmod "$m" 2>/dev/null
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /host ||
	fail "no host root over 9p"
mount -t tmpfs -o size=2g tmpfs /upper || fail "tmpfs"
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/host,upperdir=/upper/u,workdir=/upper/w /newroot ||
	fail "no overlay"
mkdir -p /newroot/vmout
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /newroot/vmout ||
	fail "no out share"
for d in proc sys dev; do mount --move /$d /newroot/$d; done
guest=
for w in $(cat /newroot/proc/cmdline); do
	case $w in blkprio.guest=*) guest=${w#blkprio.guest=} ;; esac
done
[ -n "$guest" ] || fail "no blkprio.guest= on the kernel command line"
chroot /newroot /bin/bash "$guest" "$(cat /release)"
echo "vm-init: guest script exited $?" >/newroot/dev/console
sync
poweroff -f
