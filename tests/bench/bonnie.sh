#!/bin/bash
# blkprio bench bonnie: bonnie++ 2.00a's table layout and CSV (checked with the
# real bonnie++, bon_csv2html and bon_csv2txt), byte counts, options, errors.
. "$(dirname "$0")/../lib.sh"

D="$T/dir"
mkdir -p "$D"
chmod 1777 "$D"
BON() { "$BLKPRIO" bench bonnie -d "$D" "$@"; }

# ---- byte and operation counts of every test (JSON) ----
BON -s 8:4096:1000:3 -r 4 -n 1:4k:1k:4 -f1 -m COUNTS -z 7 -q -j > "$T/counts.json" 2>/dev/null
t_check "bonnie counts: every test's bytes and operations" python3 - "$T/counts.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
t = r["tests"]
MiB = 1 << 20
assert r["error"] == 0 and r["seed"] == 7
assert t["putc"]["bytes"] == MiB and t["getc"]["bytes"] == MiB, "per-char is -f1 = 1 MiB"
assert t["putc"]["ops"] == MiB // 4096, "one latency sample per chunk of 1-byte calls"
for k in ("put_block", "rewrite", "get_block"):
    assert t[k]["bytes"] == 8 * MiB and t[k]["ops"] == 8 * MiB // 4096, k
s = t["seeks"]
assert s["ops"] == 1000, s
# every seek reads a chunk; about one in ten also writes it back
writes = s["bytes"] // 4096 - 1000
assert 40 <= writes <= 200, writes
for order in ("seq", "ran"):
    c, st, d = t[order + "_create"], t[order + "_stat"], t[order + "_del"]
    assert c["ops"] == st["ops"] == d["ops"] == 1024, order
    assert 1024 * 1024 <= c["bytes"] <= 4096 * 1024, c["bytes"]
    assert st["bytes"] == c["bytes"], "stat reads back all the data"
for k, v in t.items():
    lat = v["latency_ns"]
    assert 0 < lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"], k
assert len(r["csv"].split(",")) == 50
PY
t_check "bonnie leaves nothing behind" test -z "$(ls -A "$D")"

# ---- the table has bonnie++'s layout: same columns as the real one ----
BON -s 16 -r 8 -n 1 -f1 -m TEST > "$T/ours.out" 2> "$T/ours.err"
t_check "bonnie progress messages as bonnie++'s" grep -qx "start 'em...done...done...done...done...done..." "$T/ours.err"
# Token end columns per line: right-aligned cells end in the same place.
cols() { python3 -c '
import re, sys
for line in open(sys.argv[1]).read().splitlines()[:10]:
    print(" ".join(str(m.end()) for m in re.finditer(r"\S+", line)))' "$1"; }
# The CSV line: which fields are empty, and how many.
shape() { tail -1 "$1" | awk -F, '{ s = NF ":"; for (i = 1; i <= NF; i++) s = s ($i == "" ? "_" : "x"); print s }'; }
if [ "$(id -u)" = 0 ] && command -v bonnie++ >/dev/null; then
	mkdir -p "$T/real"
	bonnie++ -d "$T/real" -s 16 -r 8 -n 1 -f1 -u root -m TEST > "$T/real.out" 2>/dev/null
	t_check "bonnie table columns match bonnie++ 2.00a" diff <(cols "$T/real.out") <(cols "$T/ours.out")
	t_check "bonnie table headings match bonnie++ 2.00a" \
		diff <(sed -n '1,3p;6,8p' "$T/real.out") <(sed -n '1,3p;6,8p' "$T/ours.out")
	t_check "bonnie CSV fields match bonnie++ 2.00a" diff <(shape "$T/real.out") <(shape "$T/ours.out")
	bonnie++ -d "$T/real" -s 0 -n 1 -u root -m TEST -q > "$T/real0.out" 2>/dev/null
	BON -s 0 -n 1 -m TEST -q > "$T/ours0.out" 2>/dev/null
	t_check "bonnie -s 0 CSV fields match bonnie++" diff <(shape "$T/real0.out") <(shape "$T/ours0.out")
else
	t_skip "bonnie layout against bonnie++" "needs root and bonnie++"
fi

# ---- the CSV line is rendered by Debian's bon_csv2html and bon_csv2txt ----
tail -1 "$T/ours.out" > "$T/ours.csv"
if command -v bon_csv2html >/dev/null; then
	bon_csv2html < "$T/ours.csv" > "$T/ours.html" 2> "$T/html.err"
	t_check "bon_csv2html accepts the CSV" test $? = 0 -a ! -s "$T/html.err"
	t_check "bon_csv2html renders the row" grep -q '>TEST<' "$T/ours.html"
	bon_csv2txt < "$T/ours.csv" > "$T/ours.txt" 2> "$T/txt.err"
	t_check "bon_csv2txt accepts the CSV" test $? = 0 -a ! -s "$T/txt.err"
	t_check "bon_csv2txt renders the row and latencies" \
		sh -c "grep -q '^TEST' '$T/ours.txt' && grep -q '^Latency' '$T/ours.txt'"
else
	t_skip "bon_csv2html and bon_csv2txt" "bonnie++ package not installed"
fi

# ---- -x: a header and one CSV line per run, same seed ----
BON -s 8 -r 4 -n 0 -f -x 2 -q -m RUNS > "$T/x.csv" 2>/dev/null
t_check "bonnie -x 2: header and two lines of 50 fields" \
	test "$(awk -F, '{ print NF }' "$T/x.csv" | tr '\n' ' ')" = "50 50 50 "
t_check "bonnie -x reuses the seed" test "$(cut -d, -f5 "$T/x.csv" | sed 1d | uniq | wc -l)" = 1
t_check "bonnie -x output feeds bon_csv2txt" sh -c "sed 1d '$T/x.csv' | bon_csv2txt >/dev/null 2>&1"

# ---- -q: CSV alone on stdout, the table on stderr ----
BON -s 0 -n 1 -q -m QUIET > "$T/q.out" 2> "$T/q.err"
t_check "bonnie -q: stdout is the CSV line" test "$(wc -l < "$T/q.out")" = 1
t_check "bonnie -q: the table on stderr" grep -q "^Version 2.00a" "$T/q.err"

# ---- the RAM check warns (page cache) unless -r says otherwise ----
BON -s 8 -r 64 -n 0 -f -q > /dev/null 2> "$T/w.err"
t_check "bonnie warns when the file is under twice the RAM" grep -q "under twice the RAM" "$T/w.err"
BON -s 8 -r 0 -n 0 -f -q > /dev/null 2> "$T/w0.err"
t_check "bonnie -r 0 disables the RAM check" sh -c "! grep -q 'twice the RAM' '$T/w0.err'"

# ---- -u: runs as that user ----
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
	BON -s 0 -n 1 -u nobody -q -m USER > /dev/null 2> "$T/u.err"
	t_check "bonnie -u nobody" grep -q "^Using uid:$(id -u nobody), gid:" "$T/u.err"
else
	t_skip "bonnie -u" "needs root"
fi

# ---- bad options: one line, exit 2 ----
bad() {
	local name=$1; shift
	out=$(BON "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc = 2 ] && [ "$(printf '%s\n' "$out" | grep -c 'blkprio bench bonnie')" -ge 1 ]; then
		t_ok "bonnie rejects $name"
	else
		t_fail "bonnie rejects $name" "rc=$rc $out"
	fi
}
bad "-s x" -s x
bad "-s chunk not a power of two" -s 8:3000
bad "-n 1:-1 (links)" -n 1:-1
bad "-m with a comma" -m a,b
bad "-D without -f" -s 8 -D
bad "-x 0" -x 0
out=$("$BLKPRIO" bench bonnie -d "$T/missing" -s 0 -n 1 2>&1); rc=$?
t_check "bonnie on a missing directory fails (exit 1)" test $rc = 1

t_done
