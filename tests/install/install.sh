#!/bin/bash
# make install into a DESTDIR: the documented tree (programs, unit with its
# paths, default config, man pages, completion), the installed programs run,
# an admin's blkpriod.conf is never overwritten, and make uninstall takes back
# exactly what install put there (an edited config stays).
. "$(dirname "$0")/../lib.sh"

d=$T/root
inst() { make -s -C "$TOP" O="$O" DESTDIR="$d" "$@" >"$T/make.log" 2>&1; }

want_usr_local="etc/blkprio/blkpriod.conf
usr/local/bin/blkprio
usr/local/lib/systemd/system/blkpriod.service
usr/local/sbin/blkpriod
usr/local/share/bash-completion/completions/blkprio
usr/local/share/man/man5/blkpriod.conf.5
usr/local/share/man/man8/blkprio.8
usr/local/share/man/man8/blkpriod.8"
files() { (cd "$d" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort); }

if inst install; then
	t_ok install.runs
else
	t_fail install.runs "$(tail -20 "$T/make.log")"
fi
got=$(files)
if [ "$got" = "$want_usr_local" ]; then
	t_ok install.tree
else
	t_fail install.tree "$(diff <(echo "$want_usr_local") <(echo "$got"))"
fi
t_check install.modes bash -c "
	[ \"\$(stat -c %a '$d/usr/local/bin/blkprio')\" = 755 ] &&
	[ \"\$(stat -c %a '$d/usr/local/sbin/blkpriod')\" = 755 ] &&
	[ \"\$(stat -c %a '$d/etc/blkprio/blkpriod.conf')\" = 644 ]"
unit=$d/usr/local/lib/systemd/system/blkpriod.service
if grep -qx 'ExecStart=/usr/local/sbin/blkpriod --foreground' "$unit"; then
	t_ok install.unit_paths
else
	t_fail install.unit_paths "$(grep -n Exec "$unit")"
fi
out=$("$d/usr/local/bin/blkprio" --version 2>&1) && [ -n "$out" ] &&
	t_ok install.blkprio_runs || t_fail install.blkprio_runs "$out"
out=$("$d/usr/local/sbin/blkpriod" --help 2>&1) && grep -q -- --config <<<"$out" &&
	t_ok install.blkpriod_runs || t_fail install.blkpriod_runs "$out"
# the installed default config is what blkprio reads without a complaint
# (a bad or unknown key would be reported with FILE:LINE)
mkdir -p "$T/ct"
out=$("$d/usr/local/bin/blkprio" --config "$d/etc/blkprio/blkpriod.conf" \
	--conf-dir "$T/ct" list 2>&1 >/dev/null)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then
	t_ok install.default_config_clean
else
	t_fail install.default_config_clean "rc $rc: $out"
fi

# the admin's config survives a second install and uninstall
conf=$d/etc/blkprio/blkpriod.conf
echo 'SHARE_CONTROL="yes"' >>"$conf"
sum=$(md5sum <"$conf")
inst install
t_check install.keeps_admin_config test "$(md5sum <"$conf")" = "$sum"
inst uninstall
if [ "$(files)" = etc/blkprio/blkpriod.conf ] && [ "$(md5sum <"$conf")" = "$sum" ]; then
	t_ok uninstall.keeps_edited_config
else
	t_fail uninstall.keeps_edited_config "$(files)"
fi
rm -f "$conf"
inst install && inst uninstall
left=$(cd "$d" && find . -mindepth 1 -type f -o -type l)
[ -z "$left" ] && t_ok uninstall.clean || t_fail uninstall.clean "$left"

# PREFIX=/usr: config in /etc, the unit as the default config's
rm -rf "$d"
inst install PREFIX=/usr
unit=$(cd "$d" && find . -name blkpriod.service | sed 's|^\.||')
if [ -f "$d/etc/blkprio/blkpriod.conf" ] && [ -x "$d/usr/sbin/blkpriod" ] && [ -n "$unit" ] &&
   grep -qx 'ExecStart=/usr/sbin/blkpriod --foreground' "$d$unit"; then
	t_ok install.prefix_usr
else
	t_fail install.prefix_usr "$(files)"
fi

# another SYSCONFDIR: the unit names the config there
rm -rf "$d"
inst install SYSCONFDIR=/opt/blkprio/etc
if [ -f "$d/opt/blkprio/etc/blkprio/blkpriod.conf" ] &&
   grep -qx 'ExecStart=/usr/local/sbin/blkpriod --config /opt/blkprio/etc/blkprio/blkpriod.conf --foreground' \
	"$d/usr/local/lib/systemd/system/blkpriod.service"; then
	t_ok install.sysconfdir
else
	t_fail install.sysconfdir "$(files)"
fi
t_done
