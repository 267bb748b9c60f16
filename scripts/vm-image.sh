#!/bin/bash
# The guest of the VM test leg: Debian's stock kernel (the package
# linux-image-amd64 depends on, fetched with `apt-get download` and unpacked
# with `dpkg -x`, never installed into the host's /boot) and a small initramfs
# (busybox-static and the modules that reach the host's root over 9p) under
# O/vm. Idempotent: what is there is kept. Prints the kernel release.
# Usage: scripts/vm-image.sh O
set -eu
O=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
vm=$O/vm
mkdir -p "$vm"
cd "$vm"

say() { echo "  VM      $*" >&2; }

# ---- the kernel package --------------------------------------------------------
if [ ! -s kernel.pkg ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { echo "blkprio: vm: no linux-image package known to apt" >&2; exit 1; }
	echo "$pkg" >kernel.pkg
fi
pkg=$(cat kernel.pkg)
deb=$(ls "$pkg"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
	say "apt-get download $pkg"
	apt-get download -q "$pkg" >download.log 2>&1 ||
		{ apt-get update -q >>download.log 2>&1 && apt-get download -q "$pkg" >>download.log 2>&1; } ||
		{ tail -5 download.log >&2; exit 1; }
	deb=$(ls "$pkg"_*.deb | head -1)
fi
if [ ! -e kernel/.unpacked ]; then
	say "unpack $deb"
	rm -rf kernel
	dpkg -x "$deb" kernel
	touch kernel/.unpacked
fi
ver=$(ls kernel/lib/modules | head -1)
[ -n "$ver" ] && [ -e "kernel/boot/vmlinuz-$ver" ] || { echo "blkprio: vm: no kernel in $deb" >&2; exit 1; }
# the package ships no modules.dep
[ -s "kernel/lib/modules/$ver/modules.dep" ] || depmod -b "$PWD/kernel" "$ver"

# ---- the initramfs -------------------------------------------------------------
if [ ! -s initrd.gz ] || [ "$here/vm-image.sh" -nt initrd.gz ] || [ "$here/vm-init.sh" -nt initrd.gz ]; then
	say "initramfs for $ver"
	rm -rf initrd
	mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev initrd/host initrd/newroot initrd/upper
	cp /bin/busybox initrd/bin/busybox
	# what the init needs before the host's root is there: virtio, 9p, overlay
	mods="virtio_pci 9pnet_virtio 9p overlay"
	need=$(for m in $mods; do
		modprobe -d "$PWD/kernel" -S "$ver" --show-depends "$m" 2>/dev/null
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++')
	[ -n "$need" ] || { echo "blkprio: vm: cannot resolve the initramfs modules" >&2; exit 1; }
	for f in $need; do
		rel=${f#"$PWD/kernel"}
		mkdir -p "initrd/$(dirname "$rel")"
		cp "$f" "initrd/$rel"
		echo "$rel" >>initrd/modules.order
	done
	cp "$here/vm-init.sh" initrd/init
	chmod 755 initrd/init
	echo "$ver" >initrd/release
	(cd initrd && find . | /bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 >initrd.gz.tmp
	mv initrd.gz.tmp initrd.gz
fi
echo "$ver"
