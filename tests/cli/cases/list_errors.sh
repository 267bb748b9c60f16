# A container whose config cannot be read is a row with STATE "error: ...":
# the listing stays one table, --json one document; exit 1 says so.
. "$(dirname "$0")/common.inc"
printf 'IOPRIO="7"\n' > conf/101.conf
mkdir conf/102.conf
printf 'IOPRIO="2"\n' > conf/103.conf
run list
run list --json
"$BLKPRIO" list --json 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)
print("one JSON document:", [(c["ctid"], c["state"]) for c in d["containers"]])'
