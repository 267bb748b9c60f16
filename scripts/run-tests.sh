#!/bin/bash
# Run every test program (kselftest harness, TAP) and shell test; count the
# TAP results; end with "N passed, N failed, N skipped". Exit 1 on failures.
# Env: O (build folder), TEST_FILTER (substring of test names to run).
set -u
pass=0 fail=0 skip=0
failed_names=()
log_dir=${O:-build}/test-logs
mkdir -p "$log_dir"

run_one() {
	local t=$1 name out rc p f s
	name=$(basename "$t")
	[ -n "${TEST_FILTER:-}" ] && case "$t" in *"$TEST_FILTER"*) ;; *) return ;; esac
	echo "# ---- $t"
	if [ "${t##*.}" = sh ]; then
		bash "$t" >"$log_dir/$name.log" 2>&1 </dev/null
	else
		"$t" >"$log_dir/$name.log" 2>&1 </dev/null
	fi
	rc=$?
	cat "$log_dir/$name.log"
	s=$(grep -Ec '^ok [0-9]+ .*# SKIP' "$log_dir/$name.log")
	p=$(grep -Ec '^ok [0-9]+ ' "$log_dir/$name.log")
	p=$((p - s))
	f=$(grep -Ec '^not ok [0-9]+ ' "$log_dir/$name.log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc without a failed test (crash?)"
		f=1
	fi
	[ "$f" -gt 0 ] && failed_names+=("$name")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

for t in "$@"; do
	run_one "$t"
done
echo
[ ${#failed_names[@]} -gt 0 ] && echo "# failed in: ${failed_names[*]} (logs in $log_dir)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
