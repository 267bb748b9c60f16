#!/bin/bash
# Run every test program (kselftest harness, TAP) and shell test; count the
# TAP results; end with "N passed, N failed, N skipped". Exit 1 on failures.
# After each test, what it may have left behind is looked for (test cgroups
# under any cgroup mount, loop devices over test files, mounts, daemons,
# null_blk devices): each leak is a failure of that test, and is then removed.
# An argument vm:CG runs the tests named in VM_TESTS again inside a VM booted
# with Debian's stock kernel (scripts/vm-run.sh; CG is v2 or v1), counted here
# with names tagged by that kernel and cgroup, e.g. "ok 3 [6.1 v2] cg.v2.layout".
# Env: O (build folder), TEST_FILTER (substring of test names to run),
# VM_TESTS, VM_TESTS_V1 (the v1 leg's, default VM_TESTS), VM_LIMIT (seconds per boot, default 900), TEST_LOGS (the logs'
# folder, default O/test-logs), BLKPRIO_VM_TAG (set in the guest: tag every
# result line with it).
set -u
pass=0 fail=0 skip=0
failed_names=()
digest=
log_dir=${TEST_LOGS:-${O:-build}/test-logs}
mkdir -p "$log_dir"

# What tests make is named blkprio-test-* or blkprio-effect-* (cgroups,
# files, mount points); blkpriod instances of tests run on such configs.
TEST_NAMES='blkprio-(test|effect|metrics|top|golden)[-.]'
leaks() {
	local m
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts); do
		find "$m" -maxdepth 4 -type d 2>/dev/null | grep -E "/$TEST_NAMES[^/]*$" |
			sed 's/^/cgroup /'
	done
	losetup -ln -O NAME,BACK-FILE 2>/dev/null | grep -E "$TEST_NAMES" | sed 's/^/loop /'
	awk '{ print $2 }' /proc/mounts | grep -E "$TEST_NAMES" | sed 's/^/mount /'
	pgrep -af blkpriod 2>/dev/null | grep -E "$TEST_NAMES" | awk '{ print "daemon " $1 }'
	ls /sys/kernel/config/nullb 2>/dev/null | grep -E "^$TEST_NAMES" | sed 's/^/nullb /'
}
# Remove one leak (after counting it): daemons first, then mounts, loops, cgroups.
unleak() {
	local kind=$1 what=$2 p
	case $kind in
	daemon) kill "$what" 2>/dev/null ;;
	mount) umount -l "$what" 2>/dev/null ;;
	loop) losetup -d "${what%% *}" 2>/dev/null ;;
	nullb)
		echo 0 >"/sys/kernel/config/nullb/$what/power" 2>/dev/null
		rmdir "/sys/kernel/config/nullb/$what" 2>/dev/null ;;
	cgroup)
		for p in $(cat "$what"/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		sleep 0.1
		find "$what" -depth -type d -exec rmdir {} + 2>/dev/null ;;
	esac
}
baseline=$(leaks | sort)

tag=${BLKPRIO_VM_TAG:+[$BLKPRIO_VM_TAG] }
# the tests of a VM leg: VM_TESTS on v2; VM_TESTS_V1 (where given) on v1
vm_tests() {
	if [ "$1" = v1 ] && [ -n "${VM_TESTS_V1:-}" ]; then echo "$VM_TESTS_V1"; else echo "${VM_TESTS:-}"; fi
}
run_one() {
	local t=$1 name out rc p f s left kind what t0
	name=$(basename "$t")
	[ -n "${TEST_FILTER:-}" ] && case "$t" in *"$TEST_FILTER"*) ;; *) return ;; esac
	echo "# ---- $t"
	t0=$SECONDS
	if [ "${t%%:*}" = vm ]; then
		name=vm-${t#vm:}
		"$(dirname "$0")"/vm-run.sh "${O:-build}" "${t#vm:}" "${VM_LIMIT:-900}" \
			"O=${O:-build} scripts/run-tests.sh $(vm_tests "${t#vm:}")" >"$log_dir/$name.log" 2>&1 </dev/null
		rc=$?
		if [ "$rc" -eq 77 ]; then
			echo "ok 1 $name # SKIP $(sed -n 's/^# SKIP vm: //p' "$log_dir/$name.log")" \
				>>"$log_dir/$name.log"
			rc=0
		fi
	elif [ "${t##*.}" = sh ]; then
		bash "$t" >"$log_dir/$name.log" 2>&1 </dev/null
		rc=$?
	else
		"$t" >"$log_dir/$name.log" 2>&1 </dev/null
		rc=$?
	fi
	if [ -n "${BLKPRIO_VM_TAG:-}" ]; then
		sed -i -E "s/^(not )?ok ([0-9]+|-) /&[$BLKPRIO_VM_TAG] /" "$log_dir/$name.log"
	fi
	cat "$log_dir/$name.log"
	s=$(grep -Ec '^ok [0-9]+ .*# SKIP' "$log_dir/$name.log")
	p=$(grep -Ec '^ok [0-9]+ ' "$log_dir/$name.log")
	p=$((p - s))
	f=$(grep -Ec '^not ok ' "$log_dir/$name.log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $tag$name exited $rc without a failed test (crash?)" | tee -a "$log_dir/$name.log"
		f=1
	fi
	left=$(comm -13 <(echo "$baseline") <(leaks | sort) | sort -k1,1r)
	if [ -n "$left" ]; then
		while read -r kind what; do
			echo "not ok - $tag$name left a $kind behind: $what" | tee -a "$log_dir/$name.log"
			f=$((f + 1))
		done <<< "$left"
		while read -r kind what; do unleak "$kind" "$what"; done <<< "$left"
	fi
	if [ "$f" -gt 0 ]; then
		failed_names+=("$name")
		# the failures again at the end, where a cut log still shows them
		digest+=$(grep -E -B4 -A2 '^not ok ' "$log_dir/$name.log" | head -n 60)$'\n'
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "# ---- $name: $p passed, $f failed, $s skipped in $((SECONDS - t0)) s"
}

for t in "$@"; do
	run_one "$t"
done
echo
[ -n "$digest" ] && printf '# ---- the failures again\n%s' "$digest" | sed -E 's/^([^#])/# \1/'
[ ${#failed_names[@]} -gt 0 ] && echo "# failed in: ${failed_names[*]} (logs in $log_dir)"
# inside the VM the host's runner prints the one summary line
[ -n "${BLKPRIO_VM_TAG:-}" ] && printf '# guest: '
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
