#!/bin/bash
# Closed-loop share control for real, the short CI version of the proof
# (`make bench` runs the whole matrix, tests/bench/share.sh).
#  - share.auto: a loop device on mq-deadline (no weights there), two
#    containers of IOPRIO 7 and 0 made through config files, random reads,
#    blkpriod with its defaults (SHARE_CONTROL=auto): the lever is caps, and
#    while it runs `blkprio top` and /metrics show each container's promised
#    and realized share and the lever (share.top, share.metrics); the shares
#    after settling are within 10% of the promise, and the lone container
#    (alone before and after the others) gets its device back.
#  - share.admin_limits: a container's own IOLIMIT/IOPSLIMIT hold under the
#    caps (the stricter is written; a config change keeps the cap) and come
#    back byte for byte when the cap goes.
#  - where the kernel has BFQ: BFQ random reads with SHARE_CONTROL=yes
#    (share.control), a reader and a one-at-a-time writer the loop must hold
#    with a throttle cap (share.caps).
# Privileged; SKIPs without root, the blkio/io controller or BTF, and the BFQ
# checks where the kernel has no BFQ.
. "$(dirname "$0")/../lib.sh"

NAMES="share.auto share.top share.metrics share.admin_limits share.control share.caps share.bad_config"
skip_all() {
	for n in $NAMES; do t_skip "$n" "$1"; done
	t_done
	exit
}
t_root || skip_all "needs root"
[ -e /sys/kernel/btf/vmlinux ] || skip_all "no BTF: share control needs the latency probes"
t_cg_detect || skip_all "no blkio (v1) or io (v2) cgroup controller"
if grep -qw bfq /sys/block/loop*/queue/scheduler 2>/dev/null || modprobe -q bfq 2>/dev/null; then
	BFQ=yes
else
	BFQ=
fi

port=$((20000 + $$ % 20000))
mkdir -p "$T/w"
EFFECT="$BLKPRIO bench effect --prio 7,0 --rw randread --scheduler mq-deadline --runtime 24
	--warmup 14 --lone 6 --tolerance 10 --no-probes --workdir $T/w --json"

# The run's folder and state file, once blkpriod has written two rows.
wait_state() {
	local i f
	for ((i = 0; i < 300; i++)); do
		f=$(ls "$T"/w/blkprio-effect.*/run/share.state 2>/dev/null | head -1)
		if [ -n "$f" ] && [ "$(grep -c '^10[12] ' "$f")" = 2 ]; then
			dirname "$(dirname "$f")"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# The shares of a run: within 10% after settling, and the lone container got
# its device back; $2: the lever it must have used.
check_run() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["phases"][0]
assert r["share_control"] == "on" and r["measure"] == "iops", r
assert r["lever"] == sys.argv[2], ("lever", r["lever"], r["lever_why"])
for c in p["containers"]:
    assert abs(c["error"]) <= 0.10, ("share", c["ctid"], c["measured_share"], c["expected_share"])
# Alone again, the container is not held back by what the loop did during
# contention (a cap left on would keep it near its third). Measured from 3 s
# after the others stopped: the loop lets go within 2 intervals, and a BFQ
# random reader then ramps back over 2-4 s. The 95% figure of the issue is for
# `make bench`: short windows differ by 5-10% between runs even without control.
l = r.get("lone")
if l:
    assert l["after_iops"] >= 0.70 * l["idle_iops"] > 0, ("lone", l)
print("# shares " + " ".join(f"{c['ctid']}={c['measured_share']:.3f}" for c in p["containers"]) +
      f", settled after {p['settle_s']:.0f} s (-1: a 3 s window was still off at the end)" +
      (f", alone {l['idle_iops']:.0f} -> {l['after_iops']:.0f} IOPS" if l else ""))
PY
}

# A share is a measurement on a shared machine: a run that misses is run
# again (without the views), up to $1 runs in all; every one must miss to fail.
runs_pass() {
	local name=$1 tries=$2 lever=$3 first=$4 k rc misses=()
	shift 4
	if check_run "$first" "$lever"; then t_ok "$name"; return; fi
	misses+=("$(check_run "$first" "$lever" 2>&1 | tail -1)")
	for ((k = 2; k <= tries; k++)); do
		"$@" >"$T/$name.$k.json" 2>"$T/$name.$k.err"
		rc=$?
		if [ $rc -le 1 ] && check_run "$T/$name.$k.json" "$lever"; then
			echo "# earlier runs missed: ${misses[*]}"
			t_ok "$name"
			return
		fi
		misses+=("run $k (exit $rc): $(check_run "$T/$name.$k.json" "$lever" 2>&1 | tail -1) $(tail -1 "$T/$name.$k.err")")
	done
	t_fail "$name" "${misses[*]}"
}

# ---- share.auto, share.top, share.metrics: mq-deadline, the defaults ------
mqd=yes
f=$(ls /sys/block/loop*/queue/scheduler 2>/dev/null | head -1)
[ -n "$f" ] && grep -qw mq-deadline "$f" || mqd=
if [ -z "$mqd" ]; then
	for n in share.auto share.top share.metrics; do t_skip "$n" "no mq-deadline for loop devices"; done
else
	$EFFECT --metrics "127.0.0.1:$port" >"$T/auto.json" 2>"$T/auto.err" &
	pid=$!
	t_cleanup "kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null"
	# Both containers in the loop's state, in top's last interval and on /metrics.
	views_ok() {
		python3 - "$T/top.json" <<'PY' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
rows = [x for x in r["rows"] if x["ctid"] in ("101", "102") and x["promised"] is not None]
assert len(rows) == 2
PY
		[ "$(grep -Ec '^blkprio_share_promised_ratio\{ctid="10[12]"' "$T/metrics.txt")" = 2 ]
	}
	if dir=$(wait_state); then
		sleep 4
		for ((try = 0; try < 5; try++)); do
			BLKPRIO_CONFIG="$dir/blkpriod.conf" "$BLKPRIO" top -b -n 1 -d 2 --json \
				>"$T/top.json" 2>"$T/top.err"
			curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$T/metrics.txt"
			cp "$dir/run/share.state" "$T/share.state" 2>/dev/null
			views_ok 2>/dev/null && break
		done
	fi
	wait $pid
	rc=$?

	# top: one row per container on the device, with promise, share and lever.
	if [ -s "$T/top.json" ] && python3 - "$T/top.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
# The containers' rows on the controlled device (their I/O also reaches the
# disk under the loop device, a device share control does not manage).
rows = {x["ctid"]: x for x in r["rows"] if x["ctid"] in ("101", "102") and x["promised"] is not None}
assert set(rows) == {"101", "102"}, r["rows"]
assert abs(rows["101"]["promised"] - 66.7) < 0.1 and abs(rows["102"]["promised"] - 33.3) < 0.1, rows
assert all(0 < x["realized"] < 100 for x in rows.values()), rows
assert all(x["lever"] == "caps" for x in rows.values()), rows
PY
	then t_ok share.top; else t_fail share.top "$(cat "$T/top.json" "$T/top.err" "$T/share.state" 2>&1)"; fi

	# /metrics: the same figures for Prometheus, and the device's lever.
	if grep -q '^blkprio_share_control 1$' "$T/metrics.txt" 2>/dev/null &&
	   grep -Eq '^blkprio_share_promised_ratio\{ctid="101",device="loop[0-9]+"\} 0\.6667$' "$T/metrics.txt" &&
	   grep -Eq '^blkprio_share_promised_ratio\{ctid="102",device="loop[0-9]+"\} 0\.3333$' "$T/metrics.txt" &&
	   grep -Eq '^blkprio_share_realized_ratio\{ctid="102",device="loop[0-9]+"\} 0\.[0-9]+$' "$T/metrics.txt" &&
	   [ "$(grep -Ec '^blkprio_share_lever\{ctid="10[12]",device="loop[0-9]+",lever="caps"\} 1$' "$T/metrics.txt")" = 2 ] &&
	   grep -Eq '^blkprio_device_lever\{device="loop[0-9]+",lever="caps"\} 1$' "$T/metrics.txt"
	then
		t_ok share.metrics
	else
		t_fail share.metrics "$(grep -E 'share|lever' "$T/metrics.txt" 2>&1 | head -30)"
	fi
	if [ $rc -le 1 ]; then
		runs_pass share.auto 3 caps "$T/auto.json" $EFFECT
	else
		t_fail share.auto "exit $rc: $(tail -3 "$T/auto.err")"
	fi
fi

# ---- share.admin_limits: a container's own limits under the caps -----------
# Two readers on a loop device of ours (mq-deadline or none: the lever is
# caps); 102 has IOLIMIT 100M (looser than any cap it gets here) and
# IOPSLIMIT 100000 on that device (THROTTLE_DEVICES). While capped, its
# throttle holds the cap for bytes and its own IOPS limit; a config change
# keeps the cap; once 101 stops the cap goes and its own limits are back,
# byte for byte as `blkprio list --json` shows them.
admin_limits() {
	local rel=blkprio-test-$$-share cg=$CG/blkprio-test-$$-share loop dev mm i bps iops \
		capped= kept= back= d
	truncate -s 512M "$T/admin.img"
	loop=$(losetup -f --show "$T/admin.img") || { echo "no loop device"; return 2; }
	t_cleanup "losetup -d $loop"
	dev=${loop#/dev/}
	mm=$(cat "/sys/class/block/$dev/dev")
	# the scheduler outlives the attachment: put back what the device had
	local was
	was=$(sed 's/.*\[\(.*\)\].*/\1/' "/sys/block/$dev/queue/scheduler")
	t_cleanup "echo $was >/sys/block/$dev/queue/scheduler"
	grep -qw mq-deadline "/sys/block/$dev/queue/scheduler" &&
		echo mq-deadline >"/sys/block/$dev/queue/scheduler"
	mkdir -p "$T/ac/conf" "$T/ac/run"
	# its tasks (fio forks its jobs) killed and gone before the cgroups and the loop
	t_cleanup t_cg_rm "$rel"
	printf 'CONF_DIRS="%s"\nRUN_DIR="%s"\nCGROUP_PATHS="%s/%%s"\nTHROTTLE_DEVICES="%s"\nSHARE_DEVICES="%s"\nMETRICS_LISTEN="no"\n' \
		"$T/ac/conf" "$T/ac/run" "$rel" "$loop" "$dev" >"$T/ac/d.conf"
	echo 'IOPRIO="7"' >"$T/ac/conf/101.conf"
	printf 'IOPRIO="0"\nIOLIMIT="100M"\nIOPSLIMIT="100000"\n' >"$T/ac/conf/102.conf"
	t_cg_mkdir "$rel/101" && t_cg_mkdir "$rel/102"
	"$O/blkpriod" -c "$T/ac/d.conf" 2>"$T/ac/d.log" || { cat "$T/ac/d.log"; return 1; }
	d=$(head -1 "$T/ac/run/blkpriod.lock")
	t_cleanup "kill $d; for i in \$(seq 100); do kill -0 $d 2>/dev/null || break; sleep 0.05; done"
	grep -q "$dev: lever caps" "$T/ac/d.log" || { echo "lever: $(grep lever "$T/ac/d.log")"; return 2; }
	reader() { # CTID OFFSET SECONDS
		sh -c "echo \$\$ >$cg/$1/cgroup.procs; exec fio --name=r$1 --filename=$loop --rw=randread \
			--bs=4k --direct=1 --offset=$2 --size=256M --time_based --runtime=$3 \
			--output=/dev/null" 2>/dev/null &
	}
	reader 101 0 10
	local p1=$!
	reader 102 256M 16
	local p2=$!
	t_cleanup "kill $p1 $p2 2>/dev/null; wait $p1 $p2 2>/dev/null"
	for ((i = 0; i < 160; i++)); do
		bps=$(t_cg_limit "$cg/102" "$mm" rbps)
		iops=$(t_cg_limit "$cg/102" "$mm" riops)
		if [ -z "$capped" ] && [ -n "$bps" ] && [ "$bps" -lt 104857600 ]; then
			[ "$iops" = 100000 ] || { echo "capped at $bps B/s, IOPS limit '$iops'"; return 1; }
			capped=$bps
			# a config change while capped: the new limit, and the cap kept
			printf 'IOPRIO="0"\nIOLIMIT="100M"\nIOPSLIMIT="90000"\n' >"$T/ac/conf/102.conf"
		elif [ -n "$capped" ] && [ -z "$kept" ] && [ "$iops" = 90000 ]; then
			[ -n "$bps" ] && [ "$bps" -lt 104857600 ] ||
				{ echo "after the config change: $bps B/s"; return 1; }
			kept=$bps
		elif [ -n "$kept" ] && ! kill -0 $p1 2>/dev/null && [ "$bps" = 104857600 ]; then
			back=yes
			break
		fi
		sleep 0.1
	done
	[ -n "$capped" ] || { echo "never capped: $(cat "$T/ac/run/share.state")"; return 1; }
	[ -n "$kept" ] || { echo "capped at $capped; after the config change: $bps $iops"; return 1; }
	[ -n "$back" ] || { echo "cap not released: $bps B/s, $iops IOPS"; return 1; }
	[ "$iops" = 90000 ] || { echo "IOPS limit after release: $iops"; return 1; }
	[ "$("$BLKPRIO" --config "$T/ac/d.conf" list --json -o CTID,IOLIMIT,IOPSLIMIT |
	     python3 -c 'import json,sys; print([(c["iolimit"], c["iopslimit"]) for c in json.load(sys.stdin)["containers"] if c["ctid"] == "102"][0])')" = "(104857600, 90000)" ] ||
		{ echo "list does not show what the throttle holds"; return 1; }
	echo "# capped at $capped B/s, after the change $kept B/s, then its own 104857600 B/s, 90000 IOPS"
}
if ! command -v fio >/dev/null; then
	t_skip share.admin_limits "fio missing"
else
	# not in a subshell: its cleanups are this script's
	admin_limits >"$T/admin.out" 2>&1
	rc=$?
	case $rc in
	0) cat "$T/admin.out"; t_ok share.admin_limits ;;
	2) t_skip share.admin_limits "$(cat "$T/admin.out")" ;;
	*) t_fail share.admin_limits "$(cat "$T/admin.out")" ;;
	esac
fi

# ---- where the kernel has BFQ: weights corrected by the loop, and caps ------
if [ -z "$BFQ" ]; then
	t_skip share.control "no BFQ scheduler in this kernel"
	t_skip share.caps "no BFQ scheduler in this kernel"
else
	# BFQ's random reads at queue depth 1 are the noisiest row of the matrix
	# (a reader can be held back for a second or more whatever its weight;
	# 2 of 4 short runs of this row missed, with or without control changes),
	# so up to three runs; all three must miss to fail.
	BFQRUN="$BLKPRIO bench effect --prio 7,0 --rw randread --scheduler bfq --control on
		--runtime 24 --warmup 14 --lone 6 --tolerance 10 --no-probes --workdir $T/w --json"
	$BFQRUN >"$T/bfq.json" 2>"$T/bfq.err"
	runs_pass share.control 3 bfq "$T/bfq.json" $BFQRUN

	# A reader and a writer: caps, not weights, and the promise kept. The
	# state file is sampled while it runs; the writer (102) must be capped in
	# it, and no weight override may appear (not tried on such writes).
	MIXED="$BLKPRIO bench effect --prio 7,0 --rw randread,randwrite --scheduler bfq --control on
		--runtime 20 --warmup 8 --tolerance 10 --no-probes --workdir $T/w --json"
	mixed_run() {
		local out=$1 pid rc i f
		: >"$T/mixed.state"
		$MIXED >"$out" 2>"$out.err" &
		pid=$!
		t_cleanup "kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null"
		for ((i = 0; i < 600; i++)); do
			kill -0 $pid 2>/dev/null || break
			f=$(ls -t "$T"/w/blkprio-effect.*/run/share.state 2>/dev/null | head -1)
			[ -n "$f" ] && grep '^10[12] ' "$f" >>"$T/mixed.state" 2>/dev/null
			sleep 0.5
		done
		wait $pid
		rc=$?
		[ $rc -le 1 ] || return 1
		awk '$1 == 102 && $5 == "caps" && $7 > 0 { c = 1 } END { exit !c }' "$T/mixed.state" &&
			! awk '$5 == "bfq" && $6 != ($1 == 101 ? 128 : 64) { w = 1 } END { exit !w }' "$T/mixed.state" &&
			check_run "$out" bfq
	}
	if mixed_run "$T/mixed1.json"; then
		t_ok share.caps
	else
		first="$(check_run "$T/mixed1.json" bfq 2>&1 | tail -1); levers: $(awk '{print $1, $5, $7}' "$T/mixed.state" | sort | uniq -c | sort -rn | head -4 | tr '\n' ';')"
		if mixed_run "$T/mixed2.json"; then
			echo "# first run missed: $first"
			t_ok share.caps
		else
			t_fail share.caps "first: $first; second: $(check_run "$T/mixed2.json" bfq 2>&1 | tail -1); levers: $(awk '{print $1, $5, $7}' "$T/mixed.state" | sort | uniq -c | sort -rn | head -4 | tr '\n' ';') $(cat "$T/mixed2.json.err")"
		fi
	fi
fi

# A bad SHARE_ setting is reported with file:line and the default is used.
cfg="$T/bad.conf"
mkdir -p "$T/conf" "$T/run"
printf 'CONF_DIRS="%s"\nRUN_DIR="%s"\nSHARE_CONTROL="maybe"\nSHARE_INTERVAL="5ms"\nSHARE_MEASURE="speed"\nMETRICS_LISTEN="no"\nLATENCY="no"\n' \
	"$T/conf" "$T/run" >"$cfg"
timeout 5 "$O/blkpriod" --foreground --config "$cfg" >"$T/bad.log" 2>&1 &
dpid=$!
sleep 1.5
kill -TERM $dpid 2>/dev/null
wait $dpid
if grep -q "bad.conf:3: SHARE_CONTROL: 'maybe' is not auto, yes or no; using auto" "$T/bad.log" &&
   grep -q "bad.conf:4: SHARE_INTERVAL: '5ms'" "$T/bad.log" &&
   grep -q "bad.conf:5: SHARE_MEASURE: 'speed' is not iops, bytes or time; using iops" "$T/bad.log" &&
   [ ! -e "$T/run/share.state" ]; then
	t_ok share.bad_config
else
	t_fail share.bad_config "$(cat "$T/bad.log")"
fi
t_done
