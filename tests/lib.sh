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
