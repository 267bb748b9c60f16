# Shell test helpers: TAP output the test runner counts.
#   t_ok NAME | t_fail NAME MSG | t_skip NAME WHY | t_check NAME CMD... | t_done
# $BLKPRIO is the CLI, $T a temp folder removed at exit (add cleanups with t_cleanup CMD).
O=${O:-build}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
case "$O" in /*) ;; *) O="$TOP/$O" ;; esac
BLKPRIO=${BLKPRIO:-$O/blkprio}
T=$(mktemp -d /tmp/blkprio-test.XXXXXX)
_t_n=0
_t_failed=0
_t_cleanups=()

t_cleanup() { _t_cleanups+=("$*"); }
# The cleanups run with eval in this function: its counter has a name of
# its own, so that a cleanup's own loop variable cannot move it.
_t_exit() {
	local _t_k
	for ((_t_k = ${#_t_cleanups[@]} - 1; _t_k >= 0; _t_k--)); do
		eval "${_t_cleanups[$_t_k]}" >/dev/null 2>&1 || true
	done
	rm -rf "$T"
}
trap _t_exit EXIT

t_ok() { _t_n=$((_t_n + 1)); echo "ok $_t_n $1"; }
t_fail() {
	_t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1))
	echo "not ok $_t_n $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$*" | sed 's/^/# /'
	return 0
}
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n $1 # SKIP $2"; }
t_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then t_ok "$name"; else t_fail "$name" "$out"; fi
}
t_done() { echo "1..$_t_n"; [ "$_t_failed" -eq 0 ]; }
t_root() { [ "$(id -u)" = 0 ]; }

# ---- cgroups, v1 or v2: the hierarchy that holds the block-I/O controller ----
# t_cg_detect: CG (its mount) and CGV (1: v1 blkio; 2: a cgroup2 mount offering
# io, used only where no v1 blkio holds it); false when there is none.
t_cg_detect() {
	local m
	CG= CGV=
	if [ -e /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device ]; then
		CG=/sys/fs/cgroup/blkio CGV=1
		return 0
	fi
	for m in $(awk '$3 == "cgroup2" { print $2 }' /proc/mounts); do
		if grep -qw io "$m/cgroup.controllers" 2>/dev/null; then
			CG=$m CGV=2
			return 0
		fi
	done
	return 1
}
# t_cg_mkdir REL: make a cgroup (and its parents); on v2 with io enabled in
# every parent's subtree_control, as the daemon does.
t_cg_mkdir() {
	local rel=$1 p=$CG part
	if [ "$CGV" = 2 ]; then
		for part in $(echo "$rel" | tr '/' ' '); do
			grep -qw io "$p/cgroup.subtree_control" || echo +io >"$p/cgroup.subtree_control"
			p=$p/$part
			mkdir -p "$p"
		done
	else
		mkdir -p "$CG/$rel"
	fi
}
# t_cg_weight_file: the BFQ weight file's name in this hierarchy.
t_cg_weight_file() { [ "$CGV" = 2 ] && echo io.bfq.weight || echo blkio.bfq.weight; }
# t_cg_limit DIR MAJ:MIN riops|rbps|wiops|wbps: the limit on that device ("" none).
t_cg_limit() {
	local dir=$1 mm=$2 key=$3 f
	if [ "$CGV" = 2 ]; then
		awk -v d="$mm" -v k="$key" '$1 == d { for (i = 2; i <= NF; i++) {
			split($i, kv, "="); if (kv[1] == k && kv[2] != "max") print kv[2] } }' \
			"$dir/io.max" 2>/dev/null
		return
	fi
	case $key in
	riops) f=read_iops ;; wiops) f=write_iops ;; rbps) f=read_bps ;; *) f=write_bps ;;
	esac
	sed -n "s/^$mm //p" "$dir/blkio.throttle.${f}_device" 2>/dev/null
}
# t_cg_rm REL: kill what runs inside, remove the cgroup tree (retries while tasks exit).
t_cg_rm() {
	local d=$CG/$1 i
	for ((i = 0; i < 100; i++)); do
		[ -d "$d" ] || return 0
		find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		sleep 0.02
	done
	return 1
}

# ---- null_blk (configfs): a disk-like device of the test's own ----------------
# t_nullb NAME ATTR=VALUE...: a null_blk device made through configfs as
# blkprio-test-NAME-PID, powered on; prints its /dev path. False, with the reason
# on stderr, where the kernel has no null_blk. Remove it with t_nullb_rm NAME.
t_nullb() {
	local name=blkprio-test-$1-$$ d kv
	shift
	d=/sys/kernel/config/nullb/$name
	[ -d /sys/kernel/config/nullb ] || modprobe -q null_blk nr_devices=0 2>/dev/null
	[ -d /sys/kernel/config/nullb ] ||
		{ echo "no null_blk in this kernel (CONFIG_BLK_DEV_NULL_BLK)" >&2; return 1; }
	mkdir "$d" || return 1
	for kv in "$@"; do
		echo "${kv#*=}" >"$d/${kv%%=*}" || { echo "null_blk: cannot set $kv" >&2; rmdir "$d"; return 1; }
	done
	echo 1 >"$d/power" || { rmdir "$d"; return 1; }
	# the disk is named after the configfs item (6.x) or nullbINDEX (older)
	local i disk
	for i in $(seq 50); do
		for disk in "$name" "nullb$(cat "$d/index")"; do
			[ -e "/sys/block/$disk" ] && [ -b "/dev/$disk" ] && { echo "/dev/$disk"; return 0; }
		done
		sleep 0.1
	done
	echo "null_blk: $name powered on, but no disk in /sys/block and /dev" >&2
	echo 0 >"$d/power"; rmdir "$d"
	return 1
}
t_nullb_rm() {
	local d=/sys/kernel/config/nullb/blkprio-test-$1-$$
	[ -d "$d" ] || return 0
	echo 0 >"$d/power" 2>/dev/null
	rmdir "$d"
}
