#!/bin/bash
# Golden CLI tests: each tests/cli/cases/NAME.sh runs in a fresh folder $T with
# $BLKPRIO; its output (stdout and stderr, and the exit codes it echoes) must
# equal NAME.out, with $T written as '$T'. UPDATE_GOLDEN=1 rewrites the .out.
# A case whose first lines say "# requires: root" is skipped for other users.
. "$(dirname "$0")/../lib.sh"
cases=$TOP/tests/cli/cases

for c in "$cases"/*.sh; do
	name=golden.$(basename "$c" .sh)
	if grep -q '^# requires: root' "$c" && ! t_root; then
		t_skip "$name" "needs root"
		continue
	fi
	dir=$T/$(basename "$c" .sh)
	mkdir -p "$dir"
	got=$(cd "$dir" && T=$dir BLKPRIO=$BLKPRIO bash "$c" 2>&1 | sed "s|$dir|\$T|g")
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		printf '%s\n' "$got" > "${c%.sh}.out"
	fi
	if want=$(cat "${c%.sh}.out" 2>/dev/null) && [ "$got" = "$want" ]; then
		t_ok "$name"
	else
		t_fail "$name" "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -40)"
	fi
done
t_done
