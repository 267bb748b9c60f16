#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b on a copy of the tree
# builds blkprio_*.deb, lintian finds no error in it, it installs (programs,
# man pages, completion, the conffile, the unit enabled the Debian way),
# blkprio check and blkpriod --once run from it, and a purge leaves nothing.
. "$(dirname "$0")/../lib.sh"

for tool in dpkg-buildpackage dh lintian; do
	if ! command -v $tool >/dev/null; then
		t_skip deb "$tool not installed (Debian packages dpkg-dev, debhelper, lintian)"
		t_done
		exit
	fi
done
if ! t_root; then
	t_skip deb "installing the package needs root"
	t_done
	exit
fi
# the install part may touch only what it adds
why=
if [ -d /run/systemd/system ]; then
	why="systemd runs here: installing would start blkpriod on this host"
elif dpkg-query -W -f='${db:Status-Abbrev}' blkprio 2>/dev/null | grep -q '^[ihu]'; then
	why="a blkprio package is installed on this host already"
elif [ -e /usr/bin/blkprio ] || [ -e /usr/sbin/blkpriod ] || [ -e /etc/blkprio ]; then
	why="/usr/bin/blkprio, /usr/sbin/blkpriod or /etc/blkprio exists already"
fi

# a copy: dpkg-buildpackage writes into the tree and beside it
mkdir -p "$T/src"
(cd "$TOP" && git ls-files -co --exclude-standard -z 2>/dev/null |
	grep -zv '^build' | xargs -0 tar -c --no-recursion 2>/dev/null) | tar -x -C "$T/src"
if ! [ -f "$T/src/debian/control" ]; then
	(cd "$TOP" && tar -c --exclude='./build*' .) | tar -x -C "$T/src"
fi
if (cd "$T/src" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; then
	t_ok deb.builds
else
	t_fail deb.builds "$(tail -25 "$T/build.log")"
	t_done
	exit
fi
deb=$(ls "$T"/blkprio_*_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && t_ok deb.file || t_fail deb.file "$(ls "$T")"
errs=$(lintian "$deb" 2>&1 | grep '^E:')
[ -z "$errs" ] && t_ok deb.lintian_no_errors || t_fail deb.lintian_no_errors "$errs"
files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
miss=
for f in /usr/bin/blkprio /usr/sbin/blkpriod /etc/blkprio/blkpriod.conf \
	 /lib/systemd/system/blkpriod.service /usr/share/man/man8/blkprio.8.gz \
	 /usr/share/man/man8/blkpriod.8.gz /usr/share/man/man5/blkpriod.conf.5.gz \
	 /usr/share/bash-completion/completions/blkprio; do
	grep -qxF "$f" <<<"$files" || miss="$miss $f"
done
[ -z "$miss" ] && t_ok deb.contents || t_fail deb.contents "missing:$miss"
conff=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles 2>/dev/null)
[ "$conff" = /etc/blkprio/blkpriod.conf ] && t_ok deb.conffile || t_fail deb.conffile "conffiles: $conff"

if [ -n "$why" ]; then
	t_skip deb.install "$why"
	t_done
	exit
fi
t_cleanup "dpkg --purge blkprio"
if dpkg -i "$deb" >"$T/install.log" 2>&1; then
	t_ok deb.installs
else
	t_fail deb.installs "$(tail -20 "$T/install.log")"
fi
installed=$(dpkg -L blkprio 2>/dev/null)
wants=/etc/systemd/system/multi-user.target.wants/blkpriod.service
[ -L "$wants" ] && t_ok deb.unit_enabled || t_fail deb.unit_enabled "no $wants"
out=$(/usr/bin/blkprio --version 2>&1) && grep -q '0\.' <<<"$out" &&
	t_ok deb.blkprio_runs || t_fail deb.blkprio_runs "$out"
# check exits 0 or 1 with its table (1: a device without a lever that keeps
# the promise); anything else is a failure
out=$(/usr/bin/blkprio check 2>&1)
rc=$?
if [ $rc -le 1 ] && grep -q LEVER <<<"$out"; then
	t_ok deb.check_runs
else
	t_fail deb.check_runs "rc $rc: $out"
fi
mkdir -p "$T/ct" "$T/run"
out=$(/usr/sbin/blkpriod --once --conf-dir "$T/ct" --run-dir "$T/run" 2>&1)
rc=$?
[ $rc = 0 ] && t_ok deb.blkpriod_once || t_fail deb.blkpriod_once "rc $rc: $out"
out=$(man -l --warnings /usr/share/man/man8/blkprio.8.gz 2>&1 >/dev/null)
[ -z "$out" ] && t_ok deb.man_page || t_fail deb.man_page "$out"

if dpkg --purge blkprio >"$T/purge.log" 2>&1; then
	t_ok deb.purges
else
	t_fail deb.purges "$(tail -20 "$T/purge.log")"
fi
left=
while read -r f; do
	[ -n "$f" ] && [ ! -d "$f" ] && [ -e "$f" ] && left="$left $f"
done <<<"$installed"
for f in /etc/blkprio "$wants" /var/lib/systemd/deb-systemd-helper-enabled/blkpriod.service.dsh-also; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
[ -z "$left" ] && t_ok deb.purge_leaves_nothing || t_fail deb.purge_leaves_nothing "left:$left"
t_done
