#!/bin/sh
# Install the Debian packages blkprio needs to build and test, once.
# Fast and silent when everything is there (one dpkg-query call).
set -eu

PKGS="build-essential pkg-config clang llvm libbpf-dev bpftool libcgroup-dev zlib1g-dev
libssl-dev liburing-dev libsmartcols-dev libjson-c-dev libmicrohttpd-dev libncurses-dev
libzstd-dev linux-source-6.12 linux-libc-dev xz-utils
qemu-utils qemu-system-x86 busybox-static kmod fio bonnie++ prometheus util-linux e2fsprogs python3 bc chromium
mandoc man-db groff-base bash-completion debhelper dpkg-dev lintian"

installed=" $(dpkg-query -W -f='${db:Status-Abbrev}|${Package}\n' $PKGS 2>/dev/null |
	     awk -F'|' '$1 ~ /^ii/ { printf "%s ", $2 }') "
missing=
for p in $PKGS; do
	case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
missing=$(echo $missing)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "blkprio: missing Debian packages: $missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "  DEPS    installing: $missing"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >"$log" 2>&1; then
	tail -20 "$log" >&2
	rm -f "$log"
	echo "blkprio: installing Debian packages failed" >&2
	exit 1
fi
rm -f "$log"
