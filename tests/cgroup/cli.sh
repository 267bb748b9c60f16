#!/bin/bash
# blkprio create/destroy/exec/check: usage errors (exit 2, one line, nothing
# changed), failures (exit 1), and `check --fix` on a loop device of our own.
. "$(dirname "$0")/../lib.sh"
NAME=blkprio-test-$$

printf 'CGROUP_PATHS="%s/%%s"\nLATENCY="no"\nMETRICS_LISTEN="no"\n' "$NAME" >"$T/d.conf"
cli() { "$BLKPRIO" --config "$T/d.conf" --conf-dir "$T/conf" --run-dir "$T/run" "$@"; }
mkdir -p "$T/conf"
# expect CODE CMD...: exit code CODE and, on failure, exactly one stderr line
expect() {
	local code=$1 rc lines
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(grep -vc '^Try ' "$T/err")
	[ "$rc" = "$code" ] || { echo "exit $rc, wanted $code: $(cat "$T/err")"; return 1; }
	[ "$code" = 0 ] || [ "$lines" = 1 ] || { echo "stderr: $(cat "$T/err")"; return 1; }
}

t_check "create without CTID: usage" expect 2 cli create
t_check "create with a bad CTID: usage" expect 2 cli create ../x
t_check "create with two CTIDs: usage" expect 2 cli create 1 2
t_check "exec without a command: usage" expect 2 cli exec 101
t_check "exec without a command after --: usage" expect 2 cli exec 101 --
t_check "check --fix without a device: usage" expect 2 cli check --fix
t_check "check -o with a bad column: usage" expect 2 cli check -o NOPE
t_check "check of a missing device fails" expect 1 cli check nosuchdisk0
t_check "check --fix of a missing device fails" expect 1 cli check --fix nosuchdisk0
t_check "check -o help" expect 0 cli check -o help
t_check "check --json is JSON" bash -c "'$BLKPRIO' --config '$T/d.conf' check --json >'$T/j'; /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d[\"devices\"], list)' '$T/j'"

if ! t_root || ! t_cg_detect; then
	t_skip "cgroup commands" "needs root and a blkio (v1) or io (v2) cgroup controller"
	t_done
	exit
fi
t_cleanup t_cg_rm "$NAME"
t_check "destroy of a missing cgroup fails" expect 1 cli destroy 555
t_check "exec in a missing cgroup fails" expect 1 cli exec 555 -- true
t_check "create" expect 0 cli create 555
t_check "exec of a missing command fails" expect 1 cli exec 555 -- /nonexistent/cmd
t_check "exec passes the exit code" bash -c "'$BLKPRIO' --config '$T/d.conf' exec 555 -- sh -c 'exit 7'; [ \$? = 7 ]"
t_check "destroy --json" bash -c "'$BLKPRIO' --config '$T/d.conf' --json destroy 555 | grep -q '\"result\":\"removed\"'"

# a bad daemon config value: warned with file:line, the default used
printf 'CGROUP_PATHS="%s/%%s/%%s"\nWEIGHT_MAP="1 2 3"\n' "$NAME" >"$T/bad.conf"
"$BLKPRIO" --config "$T/bad.conf" --conf-dir "$T/conf" check >/dev/null 2>"$T/err"
t_check "bad daemon config values are reported with file:line" \
	bash -c "grep -q 'bad.conf:1: invalid CGROUP_PATHS' '$T/err' && grep -q 'bad.conf:2: invalid WEIGHT_MAP' '$T/err'"

# --fix on a loop device we attach ourselves (never a real disk)
truncate -s 16M "$T/disk"
if loop=$(losetup -f --show "$T/disk" 2>/dev/null); then
	t_cleanup "losetup -d $loop"
	dev=${loop#/dev/}
	t_cleanup "echo $(sed 's/.*\[\(.*\)\].*/\1/' "/sys/block/$dev/queue/scheduler") >/sys/block/$dev/queue/scheduler"
	if grep -qw bfq "/sys/block/$dev/queue/scheduler"; then
		echo none >"/sys/block/$dev/queue/scheduler"
		cli check "$dev" >"$T/out" 2>&1
		rc=$?
		if [ $rc = 1 ]; then t_ok "weights do not work on none: exit 1"; else t_fail "weights do not work on none: exit 1" "rc=$rc"; fi
		t_check "... and it says how to fix it" grep -q "blkprio check --fix $dev" "$T/out"
		t_check "check --fix sets bfq" expect 0 cli check --fix "$dev"
		t_check "... saying so" grep -q "$dev: scheduler set to bfq (was none)" "$T/out"
		t_check "... and weights work now" grep -Eq "^$dev +bfq .* yes " "$T/out"
		t_check "scheduler is bfq in sysfs" grep -q '\[bfq\]' "/sys/block/$dev/queue/scheduler"
	else
		t_skip "check --fix" "bfq not offered for loop devices"
	fi
else
	t_skip "check --fix" "no loop device"
fi
t_done
