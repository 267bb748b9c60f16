#!/bin/bash
# Inside the VM test leg's guest, chrooted into the host's root (an overlay:
# every write stays in the guest): the file systems a host has, the guest
# kernel's modules, cgroups as the job asks (pure v2 with the io controller,
# or v1 blkio next to a cgroup2 mount), then the job's command. Its output
# and exit code go to the "out" share (/vmout). Run by scripts/vm-init.sh.
# The job (/vmout/job, written by scripts/vm-run.sh): CG=v2|v1, TOP, O, CMD.
release=$1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
hostname blkprio-vm
. /vmout/job
exec >/vmout/out.log 2>&1
# the guest's own /tmp, /run and /var/tmp would hide a tree checked out there
# (a clone in /tmp): the root's view is kept aside and such trees bound back
hv=/mnt/blkprio-host
mkdir -p $hv && mount --bind / $hv
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /var/tmp
for p in "$TOP" "$O"; do
	case $p in
	/tmp/* | /run/* | /var/tmp/*)
		mkdir -p "$p" && mount --bind "$hv$p" "$p" ;;
	esac
done
mkdir -p /dev/pts /dev/shm
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do [ -e /dev/${i#*:} ] || ln -s /proc/self/fd/${i%%:*} /dev/${i#*:}; done
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ip link set lo up
mkdir -p "/lib/modules/$release"
mount --bind "$O/vm/kernel/lib/modules/$release" "/lib/modules/$release"
modprobe loop max_loop=16 2>/dev/null
# as a Debian host with bfq in /etc/modules: the scheduler is there to choose
modprobe bfq 2>/dev/null
# the kernel's own module requests run in the initramfs's root, which has no
# modules: load ahead what tests mount or create
modprobe ext4 2>/dev/null
modprobe null_blk nr_devices=0 2>/dev/null  # devices come from configfs
mount -t configfs configfs /sys/kernel/config 2>/dev/null
case $CG in
v1)
	# the io controller bound to v1 blkio (as on the host), a cgroup2 mount beside
	mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
	mkdir -p /sys/fs/cgroup/blkio /sys/fs/cgroup/unified
	mount -t cgroup -o blkio blkio /sys/fs/cgroup/blkio
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup/unified
	;;
*)
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
	;;
esac
# the logs are written in the guest's own memory and copied out at the end:
# a log written straight to the 9p share once lost its beginning
export TEST_LOGS=/var/tmp/test-logs
export BLKPRIO_VM_TAG="$(uname -r | cut -d. -f1,2) $CG"
echo "# guest: $(uname -r), cgroup $CG ($(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
	echo blkio v1)), up $(cut -d' ' -f1 /proc/uptime) s"
cd "$TOP" || exit 1
bash -c "$CMD"
rc=$?
cp -r "$TEST_LOGS" /vmout/ 2>/dev/null
echo $rc >/vmout/rc
sync
