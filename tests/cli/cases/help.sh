# Help in one grammar, and the version.
. "$(dirname "$0")/common.inc"
"$BLKPRIO" help | grep -E '^  (set|show|list|help) '; echo "[exit ${PIPESTATUS[0]}]"
run set --help
run help list
run show -h
run --version | sed 's/[0-9][0-9.]*/N/'
"$BLKPRIO" >/dev/null 2>&1; echo "[exit $?] (no command)"
