#!/bin/bash
# blkpriod end to end: a real daemon on a temporary config folder with a
# test-only cgroup template, containers made with `blkprio create`, configs
# written every way editors do. What the daemon did is read back from the
# kernel, on any kernel: the weight files where the kernel has weights (BFQ),
# else the weight the daemon keeps for share control (its /metrics page: its
# IOPRIO through WEIGHT_MAP); and the throttle files (IOPSLIMIT on a loop
# device of ours), which every kernel with a blkio controller has.
. "$(dirname "$0")/../lib.sh"
BLKPRIOD=${BLKPRIOD:-$O/blkpriod}
NAME=blkprio-test-$$
PORT=$((20000 + $$ % 20000))

if ! t_root; then t_skip daemon "needs root for cgroups"; t_done; exit; fi
t_cg_detect || { t_skip daemon "no blkio (v1) or io (v2) cgroup controller"; t_done; exit; }
WF=$(t_cg_weight_file)
command -v curl >/dev/null || { t_skip daemon "curl missing (reads /metrics)"; t_done; exit; }

# THROTTLE_DEVICES: a loop device of our own (never a real disk)
truncate -s 16M "$T/disk"
loop=$(losetup -f --show "$T/disk") || { t_skip daemon "no loop device"; t_done; exit; }
t_cleanup "losetup -d $loop"
# the scheduler outlives the attachment: put back what the device had
t_cleanup "echo $(sed 's/.*\[\(.*\)\].*/\1/' "/sys/block/${loop#/dev/}/queue/scheduler") >/sys/block/${loop#/dev/}/queue/scheduler"
majmin=$(cat "/sys/class/block/${loop#/dev/}/dev")

mkdir -p "$T/conf" "$T/run"
cat >"$T/blkpriod.conf" <<CONF
# test daemon config
CGROUP_PATHS="$NAME/lxc/%s $NAME/%s"
WEIGHT_MAP="openvz"
LATENCY="no"
METRICS_LISTEN="127.0.0.1:$PORT"
THROTTLE_DEVICES="$loop"
CONF
cli() { "$BLKPRIO" --config "$T/blkpriod.conf" --conf-dir "$T/conf" --run-dir "$T/run" "$@"; }
# the cgroups, once their last task is gone (a killed task exits a moment later)
rm_cgroups() { t_cg_rm "$NAME"; }
t_cleanup rm_cgroups
# gone, or a zombie (it is not our child: it forked away from us)
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
stop_d() {
	local i
	[ -n "${DPID:-}" ] || return 0
	kill "$DPID" 2>/dev/null
	for ((i = 0; i < 500; i++)); do gone "$DPID" && break; sleep 0.01; done
	DPID=
}
t_cleanup stop_d
# blkpriod forks and returns once its first reconcile is done
start_d() {
	"$BLKPRIOD" -c "$T/blkpriod.conf" -C "$T/conf" -R "$T/run" -v "$@" 2>>"$T/d.log" || return 1
	DPID=$(head -1 "$T/run/blkpriod.lock")
}
# The weight in the kernel where the cgroup has a weight file; else the one
# the daemon keeps for share control (its page: IOPRIO through WEIGHT_MAP).
weight() {
	local f=$CG/$NAME/lxc/$1/$WF
	if [ -e "$f" ]; then
		awk 'NR == 1 { print $NF }' "$f"
	else
		curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" |
			sed -n "s/^blkprio_container_weight{ctid=\"$1\"} //p"
	fi
}
# What the daemon wrote to the throttle: the container's IOPSLIMIT ("" none).
iops() { t_cg_limit "$CG/$NAME/${2:-lxc}/$1" "$majmin" riops; }
# Poll (the daemon applies within milliseconds; 5 s only guards a hang).
wait_weight() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(weight "$1")" = "$2" ] && return 0
		sleep 0.01
	done
	echo "CT $1: weight $(weight "$1"), expected $2"; tail -5 "$T/d.log"
	return 1
}
wait_iops() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ "$(iops "$1" "${3:-}")" = "$2" ] && return 0
		sleep 0.01
	done
	echo "CT $1: IOPS limit '$(iops "$1" "${3:-}")', expected '$2'"; tail -5 "$T/d.log"
	return 1
}
WEIGHTS=no
# BFQ's weight files are in every cgroup but the root (v1 and v2) once BFQ is
# loaded: whether the kernel has weights is seen in the test's own cgroups
grep -qw bfq /sys/block/*/queue/scheduler 2>/dev/null && WEIGHTS=maybe
# Negative check: after a change to another container has been applied (a
# marker), this one still holds its value.
still_weight() { [ "$(weight "$1")" = "$2" ] || { echo "CT $1: $(weight "$1") != $2"; return 1; }; }

printf 'IOPRIO="7"\nIOPSLIMIT="1007"\n' >"$T/conf/101.conf"
printf 'IOPRIO="0"\nIOPSLIMIT="1000"\n' >"$T/conf/102.conf"
printf '# no IOPRIO: default 4\nIOLIMIT="0"\n' >"$T/conf/103.conf"
t_check "create 101" cli create 101
t_check "create 103" cli create 103
t_check "create applies the config at once" wait_iops 101 1007
t_check "second create is refused" bash -c "! cli() { :; }; ! '$BLKPRIO' --config '$T/blkpriod.conf' --conf-dir '$T/conf' create 101 2>/dev/null"

# start-up reconcile: reset the kernel values behind the daemon's back first
[ $WEIGHTS = maybe ] && { [ -e "$CG/$NAME/lxc/101/$WF" ] && WEIGHTS=yes || WEIGHTS=no; }
[ $WEIGHTS = yes ] && echo 100 >"$CG/$NAME/lxc/101/$WF"
if [ "$CGV" = 2 ]; then
	echo "$majmin riops=5" >"$CG/$NAME/lxc/101/io.max"
else
	echo "$majmin 5" >"$CG/$NAME/lxc/101/blkio.throttle.read_iops_device"
fi
if start_d; then t_ok "daemon starts"; else t_fail "daemon starts" "$(tail -3 "$T/d.log")"; fi
reconciled() { wait_iops 101 1007 && wait_weight 101 128; }
t_check "start-up reconcile" reconciled
t_check "default IOPRIO 4 is weight 100" wait_weight 103 100
t_check "single instance" bash -c "! '$BLKPRIOD' -f -c '$T/blkpriod.conf' -C '$T/conf' -R '$T/run' 2>$T/second.log && grep -q 'another blkpriod is running' $T/second.log"
t_check "the lever of each device is logged once at start" bash -c "grep -q '${loop#/dev/}: lever [a-z]*: ' '$T/d.log' && [ \$(grep -c '${loop#/dev/}: lever' '$T/d.log') = 1 ]"

# a cgroup created after its config (container started later)
# (made the plain way, as a container manager does: on v2 the daemon enables io)
mkdir -p "$CG/$NAME/lxc/102"
t_check "cgroup made after its config" wait_iops 102 1000
t_check "cgroup made after its config: weight" wait_weight 102 64

# editors: in place (echo >>, truncating write), sed -i and vim-like renames
echo 'IOPRIO="6"' >>"$T/conf/101.conf"
t_check "append in place (echo >>)" wait_weight 101 120
echo 'IOPRIO="5"' >"$T/conf/101.conf"
t_check "truncating write in place" wait_weight 101 110
sed -i 's/IOPRIO="5"/IOPRIO="3"/' "$T/conf/101.conf"
t_check "sed -i (rename)" wait_weight 101 92
printf 'IOPRIO="2"\n' >"$T/conf/.101.conf.swp" && mv "$T/conf/.101.conf.swp" "$T/conf/101.conf"
t_check "write and rename (vim)" wait_weight 101 82
mkdir -p "$T/real" && echo 'IOPRIO="1"' >"$T/real/101.conf" && ln -sf "$T/real/101.conf" "$T/conf/101.conf.new" && mv "$T/conf/101.conf.new" "$T/conf/101.conf"
t_check "symlink renamed over" wait_weight 101 73
echo 'IOPRIO="0"' >"$T/real/101.conf"
t_check "symlink target edited in its own folder" wait_weight 101 64
rm -f "$T/conf/101.conf" && echo 'IOPRIO="2"' >"$T/conf/101.conf"

# a burst of edits ends in the last value
for i in 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 6; do echo "IOPRIO=\"$i\"" >"$T/conf/102.conf"; done
t_check "burst of edits: last one wins" wait_weight 102 120

# edits made while the daemon cannot run are drained first: one apply
t_check "marker for the burst" wait_weight 102 120
before=$(grep -c "CT 102: IOPRIO" "$T/d.log")
kill -STOP "$DPID"
for i in 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 5; do
	echo "IOPRIO=\"$i\"" >"$T/conf/102.conf.tmp" && mv "$T/conf/102.conf.tmp" "$T/conf/102.conf"
done
kill -CONT "$DPID"
t_check "burst applied" wait_weight 102 110
t_check "burst coalesced into one apply" bash -c "[ \$(grep -c 'CT 102: IOPRIO' '$T/d.log') = $((before + 1)) ]"

# bad values: logged with file:line, last good value kept, others unaffected
printf 'IOPRIO="9"\n' >>"$T/conf/101.conf"
echo 'IOPRIO="7"' >"$T/conf/102.conf"
t_check "other containers unaffected by a bad file" wait_weight 102 128
t_check "bad value keeps the last good one" still_weight 101 82
t_check "bad value logged with file:line" grep -q "101.conf:2: invalid value for IOPRIO" "$T/d.log"

# a removed IOPRIO line returns to 4; a deleted config stops being managed
printf '# no IOPRIO line\nIOPSLIMIT="1004"\n' >"$T/conf/101.conf"
t_check "removed IOPRIO line: default 4" wait_weight 101 100
t_check "removed IOPRIO line: the rest applied" wait_iops 101 1004
rm "$T/conf/101.conf"
echo 'IOPRIO="0"' >"$T/conf/102.conf"
t_check "marker edit applied" wait_weight 102 64
# its cgroup keeps what it had (the daemon's page no longer lists it)
if [ $WEIGHTS = yes ]; then
	t_check "deleted config: left alone" still_weight 101 100
else
	t_check "deleted config: not listed" bash -c "[ -z \"\$1\" ]" _ "$(weight 101)"
fi
t_check "deleted config: limits left alone" bash -c "[ \"\$1\" = 1004 ]" _ "$(iops 101)"
t_check "deleted config: logged" grep -q "CT 101: config gone" "$T/d.log"

# live set, without and with --save
t_check "set without --save" cli set 102 --ioprio 5
# the CLI writes the weight itself where there is a file; else the daemon keeps it
if [ $WEIGHTS = yes ]; then
	t_check "set applied live" still_weight 102 110
else
	t_check "set applied live" wait_weight 102 110
fi
t_check "set without --save: runtime override" grep -q 'IOPRIO="5"' "$T/run/102.conf"
t_check "config untouched" grep -qx 'IOPRIO="0"' "$T/conf/102.conf"
honours() { sleep 0.05; [ "$(weight 102)" = 110 ]; }
t_check "daemon honours the override" honours
t_check "set --save" cli set 102 --ioprio 6 --save
if [ $WEIGHTS = yes ]; then
	t_check "set --save applied" still_weight 102 120
else
	t_check "set --save applied" wait_weight 102 120
fi
t_check "set --save wrote the config" grep -qx 'IOPRIO="6"' "$T/conf/102.conf"
t_check "set --save dropped the override key" bash -c "! grep -q IOPRIO '$T/run/102.conf'"
t_check "set on a stopped container saves" cli set 104 --ioprio 3 --save

# list: the weight in the kernel and whether it matches (drift); where the
# kernel has no weights, the lever (caps) and the weight share control keeps
lst() { cli list -o CTID,WEIGHT,WANT,STATE -n -r 2>/dev/null | grep "^$1 "; }
# the probes are off in this daemon's config (LATENCY=no); caps need them
sed '/^LATENCY=/d' "$T/blkpriod.conf" >"$T/probes.conf"
lever=$(cli --config "$T/probes.conf" check -o LEVER -n -r "${loop#/dev/}" 2>/dev/null)
t_check "list: no cgroup is stopped" bash -c "[ \"\$1\" = '104 - - stopped' ]" _ "$(lst 104)"
if [ $WEIGHTS = yes ]; then
	t_check "list: kernel weight matches" bash -c "[ \"\$1\" = '102 120 120 ok' ]" _ "$(lst 102)"
	echo 50 >"$CG/$NAME/lxc/102/$WF"
	t_check "list: drift shown" bash -c "[ \"\$1\" = '102 50 120 drift' ]" _ "$(lst 102)"
	t_check "list --json: weight and state" bash -c "cli() { :; }; '$BLKPRIO' --config '$T/blkpriod.conf' --conf-dir '$T/conf' --run-dir '$T/run' list --json -o CTID,WEIGHT,STATE | tr -d ' \n' | grep -q '{\"ctid\":\"102\",\"weight\":50,\"state\":\"drift\"}'"
	echo 120 >"$CG/$NAME/lxc/102/$WF"
elif [ "$lever" = caps ]; then
	t_check "list: no weight file, caps keep the weight" bash -c "[ \"\$1\" = '102 - 120 caps' ]" _ "$(cli --config "$T/probes.conf" list -o CTID,WEIGHT,WANT,STATE -n -r | grep '^102 ')"
	t_check "list: without the probes, no lever" bash -c "[ \"\$1\" = '102 - - no-lever' ]" _ "$(lst 102)"
	t_check "list --json: lever and state" bash -c "'$BLKPRIO' --config '$T/probes.conf' --conf-dir '$T/conf' --run-dir '$T/run' list --json -o CTID,WEIGHT,LEVER,STATE | tr -d ' \n' | grep -q '{\"ctid\":\"102\",\"weight\":null,\"lever\":\"caps\",\"state\":\"caps\"}'"
else
	t_fail "list: lever" "the loop device has neither weights nor caps here: $(cli check "${loop#/dev/}" 2>&1)"
fi

# apply failure: nothing saved, exit 1
cp "$T/blkpriod.conf" "$T/bad-throttle.conf"
echo 'THROTTLE_DEVICES="7:1048575"' >>"$T/bad-throttle.conf"
out=$("$BLKPRIO" --config "$T/bad-throttle.conf" --conf-dir "$T/conf" --run-dir "$T/run" set 102 --ioprio 1 --save 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -qx 'IOPRIO="6"' "$T/conf/102.conf" && [ "$(weight 102)" = 120 ] &&
   [ ! -e "$T/run/102.conf" -o -z "$(grep IOPRIO "$T/run/102.conf" 2>/dev/null)" ]; then
	t_ok "failed apply saves nothing"
else
	t_fail "failed apply saves nothing" "rc=$rc $out"
fi

# exec runs inside the cgroup; destroy refuses while it runs
t_check "exec inside the cgroup" bash -c "cli() { :; }; '$BLKPRIO' --config '$T/blkpriod.conf' --conf-dir '$T/conf' exec 103 -- cat /proc/self/cgroup | grep -Eq '^[0-9]+:(blkio)?:/$NAME/lxc/103\$'"
sleep 30 &
SPID=$!
echo $SPID >"$CG/$NAME/lxc/103/cgroup.procs"
t_check "destroy refused while running" bash -c "! '$BLKPRIO' --config '$T/blkpriod.conf' destroy 103 2>/dev/null"
kill $SPID; wait $SPID 2>/dev/null

# SIGHUP: a new WEIGHT_MAP applies to all
echo 'WEIGHT_MAP="wide"' >>"$T/blkpriod.conf"
kill -HUP "$DPID"
t_check "SIGHUP reload (wide map)" wait_weight 102 400
t_check "SIGHUP reload: others too" wait_weight 103 100
sed -i '/WEIGHT_MAP="wide"/d' "$T/blkpriod.conf"

# restart: changes made while stopped are picked up
OLDPID=$DPID
stop_d
t_check "SIGTERM exits" gone "$OLDPID"
t_check "SIGTERM exits and frees the lock" bash -c "exec 9<'$T/run/blkpriod.lock'; flock -n 9"
printf 'IOPRIO="1"\nIOPSLIMIT="1001"\n' >"$T/conf/102.conf"
rm -f "$T/run/102.conf"
if start_d; then t_ok "restart"; else t_fail "restart" "$(tail -3 "$T/d.log")"; fi
t_check "restart reconciles" wait_weight 102 73
t_check "restart reconciles: limits" wait_iops 102 1001
stop_d

# a template folder that does not exist yet: watched from its nearest parent
printf 'CGROUP_PATHS="%s/late/deep/%%s"\nLATENCY="no"\nMETRICS_LISTEN="no"\nTHROTTLE_DEVICES="%s"\n' \
	"$NAME" "$loop" >"$T/late.conf"
printf 'IOPRIO="6"\nIOPSLIMIT="1006"\n' >"$T/conf/301.conf"
if "$BLKPRIOD" -c "$T/late.conf" -C "$T/conf" -R "$T/run" -v 2>>"$T/d.log"; then
	DPID=$(head -1 "$T/run/blkpriod.lock")
	mkdir -p "$CG/$NAME/late/deep/301"	# no io in its parents on v2: the daemon enables it
	t_check "cgroup under folders made later" wait_iops 301 1006 late/deep
	stop_d
	rmdir "$CG/$NAME/late/deep/301" "$CG/$NAME/late/deep" "$CG/$NAME/late"
else
	t_fail "daemon with a late template folder" "$(tail -3 "$T/d.log")"
fi
rm -f "$T/conf/301.conf"

# a config folder made after the start is found and read
mkdir -p "$CG/$NAME/late/deep/401"
if "$BLKPRIOD" -c "$T/late.conf" -C "$T/later/conf" -R "$T/run" -v 2>>"$T/d.log"; then
	DPID=$(head -1 "$T/run/blkpriod.lock")
	mkdir -p "$T/later/conf" && printf 'IOPRIO="0"\nIOPSLIMIT="1000"\n' >"$T/later/conf/401.conf"
	t_check "config folder made later" wait_iops 401 1000 late/deep
	stop_d
else
	t_fail "daemon with a missing config folder" "$(tail -3 "$T/d.log")"
fi
rmdir "$CG/$NAME/late/deep/401" "$CG/$NAME/late/deep" "$CG/$NAME/late"

# systemd readiness: READY=1 after the first reconcile, RELOADING=1 on
# SIGHUP, STOPPING=1 at exit (a datagram socket named by NOTIFY_SOCKET)
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 - "$BLKPRIOD" "$T" >"$T/notify.out" 2>&1 <<'PY'
import os, signal, socket, subprocess, sys
daemon, t = sys.argv[1], sys.argv[2]
path = t + "/notify.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(10)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen([daemon, "-f", "-q", "-c", t + "/blkpriod.conf", "-C", t + "/conf",
                      "-R", t + "/run"], env=env)
try:
    got = [s.recv(256).decode()]
    p.send_signal(signal.SIGHUP)
    got += [s.recv(256).decode(), s.recv(256).decode()]
    p.send_signal(signal.SIGTERM)
    got.append(s.recv(256).decode())
    rc = p.wait(10)
finally:
    if p.poll() is None:
        p.kill()
print(" ".join(got), "rc=%d" % rc)
sys.exit(0 if got == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"] and rc == 0 else 1)
PY
	if [ $? -eq 0 ]; then t_ok "sd_notify READY/RELOADING/STOPPING"; else t_fail "sd_notify" "$(cat "$T/notify.out")"; fi
else
	t_skip "sd_notify" "no /usr/bin/python3 to play systemd"
fi

t_check "destroy" cli destroy 102
t_check "destroyed" test ! -d "$CG/$NAME/lxc/102"

# APPLY_TASK_IOPRIO, BFQ_DEVICES and the bytes limit, on our loop device
sed -e '/^WEIGHT_MAP=/d' "$T/blkpriod.conf" >"$T/tasks.conf"
printf 'APPLY_TASK_IOPRIO="yes"\nBFQ_DEVICES="%s"\n' "$loop" >>"$T/tasks.conf"
echo none >"/sys/block/${loop#/dev/}/queue/scheduler"
printf 'IOPRIO="6"\nIOLIMIT="1M"\nIOPSLIMIT="100"\n' >"$T/conf/201.conf"
mkdir -p "$CG/$NAME/lxc/201"
sleep 60 & S1=$!
sleep 60 & S2=$!
t_cleanup "kill $S1 $S2; wait $S1 $S2"
echo $S1 >"$CG/$NAME/lxc/201/cgroup.procs"
if "$BLKPRIOD" -c "$T/tasks.conf" -C "$T/conf" -R "$T/run" -v 2>>"$T/d.log"; then
	DPID=$(head -1 "$T/run/blkpriod.lock")
	t_ok "daemon with task ioprio and throttle devices"
else
	t_fail "daemon with task ioprio and throttle devices" "$(tail -3 "$T/d.log")"
fi
if grep -qw bfq "/sys/block/${loop#/dev/}/queue/scheduler"; then
	t_check "BFQ_DEVICES set bfq" grep -q '\[bfq\]' "/sys/block/${loop#/dev/}/queue/scheduler"
else
	t_check "BFQ_DEVICES: no bfq here, said" grep -q "BFQ_DEVICES: cannot set bfq on $loop" "$T/d.log"
fi
t_check "task ioprio: BE level 7-IOPRIO" bash -c "ionice -p $S1 | grep -qx 'best-effort: prio 1'"
limit_is() { [ "$(t_cg_limit "$CG/$NAME/lxc/201" "$majmin" "$1")" = "$2" ]; }
t_check "limits: read bps" limit_is rbps 1048576
t_check "limits: write iops" limit_is wiops 100
# a task that joins later gets it from the periodic pass
echo $S2 >"$CG/$NAME/lxc/201/cgroup.procs"
t_check "task that joins later" bash -c "for i in \$(seq 500); do ionice -p $S2 | grep -qx 'best-effort: prio 1' && exit 0; sleep 0.01; done; exit 1"
printf 'IOPRIO="6"\nIOLIMIT="unlimited"\nIOPSLIMIT="0"\n' >"$T/conf/201.conf"
removed() {
	local n
	for ((n = 0; n < 500; n++)); do
		limit_is rbps "" && limit_is wiops "" && return 0
		sleep 0.01
	done
	return 1
}
t_check "limit removed" removed
stop_d
kill $S1 $S2; wait $S1 $S2 2>/dev/null
t_check "no sanitizer reports from the daemons (ASAN=1)" bash -c "! grep -E 'Sanitizer|runtime error' '$T/d.log'"
t_done
