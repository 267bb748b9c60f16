#!/bin/bash
# bench run against fio on the same job files: jobs, reporting groups, bytes
# moved per direction, the verify phase and its outcome; values fio refuses
# are refused. FIO_EXAMPLES=DIR (fio's examples/ folder) runs those too,
# shrunk to a small target, and says which run and why the others do not.
. "$(dirname "$0")/../lib.sh"

if ! command -v fio > /dev/null; then
	t_skip fio_jobs "no fio to compare with"
	t_done
	exit
fi
F="$T/target"
# fio saves a verify state file where it runs when a check fails: in $T
fio() { (cd "$T" && command fio "$@"); }

# summary FORMAT JSON: one line per job, "name group read_bytes write_bytes"
summary() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for j in d["jobs"]:
    print(j["jobname"], j["groupid"], j["read"]["io_bytes"], j["write"]["io_bytes"],
          "error=%d" % (j.get("error", 0) != 0))' "$1"
}

# same NAME FILE: both tools run FILE; their summaries match
same() {
	local name=$1 file=$2 a b
	rm -f "$F"
	fio --output-format=json --output="$T/fio.json" "$file" > /dev/null 2>&1
	a=$(summary "$T/fio.json" 2>&1)
	rm -f "$F"
	"$BLKPRIO" bench run --no-progress --job "$file" --output-format=json \
		> "$T/ours.json" 2> "$T/ours.err"
	b=$(summary "$T/ours.json" 2>&1)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then t_ok "fio_jobs.$name"; else
		t_fail "fio_jobs.$name" "fio: $a / ours: $b $(cat "$T/ours.err")"; fi
}

cat > "$T/verify.fio" <<JOB
; a random write, then fio's verify phase reads every block back
[write-and-verify]
filename=$F
size=4m
rw=randwrite
bs=4k
ioengine=libaio
iodepth=16
direct=1
verify=crc32c
JOB
same verify_phase "$T/verify.fio"

sed -e 's/^verify=crc32c/verify=md5\ndo_verify=0/' "$T/verify.fio" > "$T/noverify.fio"
same do_verify_0 "$T/noverify.fio"

sed -e 's/^verify=crc32c/verify=crc32c\nverify_backlog=64/' "$T/verify.fio" > "$T/backlog.fio"
same verify_backlog "$T/backlog.fio"

cat > "$T/groups.fio" <<JOB
[global]
filename=$F
size=2m
bs=4k
[fill]
rw=write
[seq]
stonewall
rw=read
loops=2
[rand]
rw=randread
number_ios=100
[apart]
new_group
rw=randread
ioengine=libaio
iodepth=4
[last]
wait_for_previous
rw=read
startdelay=0.1
JOB
same stonewall_new_group_loops_number_ios "$T/groups.fio"

cat > "$T/mixed.fio" <<JOB
[global]
filename=$F
size=2m
[w]
rw=write
bs=16k
verify=pattern
verify_pattern=0xfeedf00d
[r]
stonewall
rw=read
bs=16k
verify=pattern
verify_pattern=0xfeedf00d
verify_fatal=1
JOB
same verify_pattern "$T/mixed.fio"

# sizes per direction, drawn from a split or a range: the same bytes per job
# in both tools, the same I/Os where the sizes are fixed, and a mean size near
# the promised one where they are drawn, in sequential jobs (in random ones
# fio shortens I/Os to the free blocks of its map as the pass fills it up)
cat > "$T/sizes.fio" <<JOB
[global]
filename=$F
size=32m
[perdir]
rw=write
bs=4k,16k
[split]
stonewall
rw=write
bssplit=4k/10:64k/50:32k
[range]
stonewall
rw=read
blocksize_range=16k-4k
[rsplit]
stonewall
rw=randread
bssplit=4k/10:64k/50:32k
JOB
same variable_sizes "$T/sizes.fio"
sizes_check() {
	python3 - "$1" <<'PY'
import json, sys
jobs = {j["jobname"]: j for j in json.load(open(sys.argv[1]))["jobs"]}
assert jobs["perdir"]["write"]["total_ios"] == (32 << 20) // 16384, jobs["perdir"]["write"]
for name, d, want in (("split", "write", 0.1 * 4096 + 0.4 * 32768 + 0.5 * 65536),
                      ("range", "read", 10240)):
    s = jobs[name][d]
    mean = s["io_bytes"] / s["total_ios"]
    assert abs(mean - want) <= 0.08 * want, (name, mean, want)
PY
}
if sizes_check "$T/fio.json" && sizes_check "$T/ours.json"; then t_ok "fio_jobs.variable_sizes: I/Os and mean sizes"
else t_fail "fio_jobs.variable_sizes: I/Os and mean sizes" "$(sizes_check "$T/fio.json" 2>&1 | tail -1) / $(sizes_check "$T/ours.json" 2>&1 | tail -1)"; fi

# rw=NAME:MOD: holes, backwards (and stuck in place with a hole of -bs) and a
# hole past the end: both tools leave the same bytes on a zeroed target
for mod in 4k -8k -4k 2m; do
	for who in fio ours; do
		head -c 1m /dev/zero > "$F.$who"
		printf '[j]\nfilename=%s\nsize=1m\nio_size=256k\nrw=write:%s\nbs=4k\nbuffer_pattern=0xaa\n' \
			"$F.$who" "$mod" > "$T/hole.fio"
		if [ $who = fio ]; then fio "$T/hole.fio" > /dev/null 2>&1; else
			"$BLKPRIO" bench run --no-progress --job "$T/hole.fio" > /dev/null 2>&1; fi
	done
	if cmp -s "$F.fio" "$F.ours" && cmp -s -n 1 "$F.fio" <(printf '\252'); then
		t_ok "fio_jobs.rw=write:$mod"
	else
		t_fail "fio_jobs.rw=write:$mod" "$(cmp "$F.fio" "$F.ours" 2>&1)"
	fi
	rm -f "$F.fio" "$F.ours"
done
# a new random offset every 8 I/Os: the same jobs and bytes
printf '[global]\nfilename=%s\nsize=4m\n[r]\nrw=randread:8\n[w]\nstonewall\nrw=randwrite:8\nbs=16k\n' \
	"$F" > "$T/seq8.fio"
same "rw=randread:8" "$T/seq8.fio"

# fio's logs: the same files, and per I/O the same direction, size, offset
# and priority columns; log_avg_msec windows per direction with size 0
cat > "$T/logs.fio" <<JOB
[global]
filename=$F
size=1m
bs=64k
[seq]
rw=write
write_bw_log=lg
write_lat_log=lg
write_iops_log
log_offset=1
[win]
stonewall
rw=read
numjobs=2
write_bw_log=lw
write_lat_log=lw
log_avg_msec=100
rate=2m
JOB
logs_of() {	# WHO: the logs of one tool, in $T/logs.WHO
	rm -rf "$T/logs.$1" "$F"; mkdir "$T/logs.$1"
	if [ "$1" = fio ]; then (cd "$T/logs.$1" && command fio "$T/logs.fio" > /dev/null 2>&1)
	else (cd "$T/logs.$1" && "$BLKPRIO" bench run --no-progress --job "$T/logs.fio" > /dev/null 2>&1); fi
}
logs_of fio; logs_of ours
if python3 - "$T/logs.fio" "$T/logs.ours" <<'PY'; then t_ok "fio_jobs.write_logs"
import os, sys
a, b = sys.argv[1:3]
rows = lambda d, f: [l.split(', ') for l in open(os.path.join(d, f)).read().splitlines()]
# fio also writes _slat and _clat: here one latency is measured, the total
theirs = sorted(f for f in os.listdir(a) if '_slat' not in f and '_clat' not in f)
assert theirs == sorted(os.listdir(b)), (theirs, sorted(os.listdir(b)))
for f in theirs:
    x, y = rows(a, f), rows(b, f)
    if f.startswith('lg'):	# per I/O: 16 writes in offset order
        assert len(x) == len(y) == 16, (f, len(x), len(y))
        assert [r[2:] for r in x] == [r[2:] for r in y], (f, x[:2], y[:2])
        assert int(y[0][1]) > 0
    else:			# 100 ms windows of a 0.5 s job
        assert 3 <= len(x) <= 6 and 3 <= len(y) <= 6, (f, len(x), len(y))
        assert {tuple(r[2:]) for r in x} == {tuple(r[2:]) for r in y} == {('0', '0', '0')}, f
        if '_bw' in f:		# KiB/s, about the 2 MiB/s cap
            assert all(1000 < int(r[1]) < 4000 for r in y), y
PY
else t_fail "fio_jobs.write_logs" "$(ls "$T/logs.fio" "$T/logs.ours" | tr '\n' ' ')"; fi

# random_distribution and blockalign: where the I/Os went, from both tools'
# offset logs, against each other and against the promise
cat > "$T/distr.fio" <<JOB
[global]
filename=$F
size=4m
io_size=16m
bs=4k
rw=randread
norandommap
write_iops_log
log_offset=1
[zoned]
random_distribution=zoned:50/5:30/15:20/
[zoned_abs]
random_distribution=zoned_abs:60/512k:40/1536k
[pareto]
random_distribution=pareto:0.2
[zipf]
random_distribution=zipf:1.1
[normal]
random_distribution=normal
[aligned]
blockalign=1k
JOB
rm -rf "$T/distr.fio.d" "$T/distr.ours.d"; mkdir "$T/distr.fio.d" "$T/distr.ours.d"
rm -f "$F"; (cd "$T/distr.fio.d" && command fio "$T/distr.fio" > /dev/null 2>&1)
rm -f "$F"; (cd "$T/distr.ours.d" && "$BLKPRIO" bench run --no-progress --job "$T/distr.fio" > /dev/null 2>&1)
distr() {	# DIR: one line per job, the figures the promise is about
	python3 - "$1" <<'PY'
import collections, os, sys
d = sys.argv[1]
for n, name in enumerate(('zoned', 'zoned_abs', 'pareto', 'zipf', 'normal', 'aligned'), 1):
    offs = [int(l.split(', ')[4]) for l in open(os.path.join(d, f'{name}_iops.{n}.log'))]
    assert len(offs) == 4096 and max(offs) <= (4 << 20) - 4096, (name, len(offs), max(offs))
    top = sorted(collections.Counter(offs).values(), reverse=True)
    share = lambda k: sum(top[:k]) / len(offs)
    if name == 'zoned':
        f = (sum(o < 0.05 * (4 << 20) for o in offs) / 4096,
             sum(0.05 * (4 << 20) <= o < 0.2 * (4 << 20) for o in offs) / 4096)
    elif name == 'zoned_abs':
        f = (sum(o < 512 << 10 for o in offs) / 4096, sum(o >= 2 << 20 for o in offs))
    elif name == 'aligned':
        f = (sum(o % 1024 for o in offs), sum(o % 4096 != 0 for o in offs) / 4096)
    else:	# the hottest 20% of the 1024 blocks, and the hottest one
        f = (share(205), share(1))
    print(name, ' '.join('%.3f' % x for x in f))
PY
}
if python3 - <(distr "$T/distr.fio.d") <(distr "$T/distr.ours.d") <<'PY'; then t_ok "fio_jobs.random_distribution"
import sys
read = lambda p: {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(p)}
a, b = read(sys.argv[1]), read(sys.argv[2])
assert a.keys() == b.keys(), (a, b)
promise = {'zoned': [0.5, 0.3], 'zoned_abs': [0.6, 0], 'aligned': [0, 0.75]}
for k in a:
    for i, (x, y) in enumerate(zip(a[k], b[k])):
        tol = 0.04 if x < 1 else 0
        assert abs(x - y) <= max(tol, 0.12 * x), (k, i, 'fio', x, 'ours', y)
        if k in promise:
            assert abs(y - promise[k][i]) <= 0.04, (k, i, y, promise[k][i])
PY
else t_fail "fio_jobs.random_distribution" "fio: $(distr "$T/distr.fio.d" 2>&1 | tr '\n' ';') ours: $(distr "$T/distr.ours.d" 2>&1 | tr '\n' ';')"; fi

# offset_increment: each copy writes its own region; the files are the same
for who in fio ours; do
	rm -f "$F"
	printf '[j]\nfilename=%s\nsize=64k\nrw=write\nnumjobs=3\noffset_increment=1m\nbuffer_pattern=0xab\n' \
		"$F" > "$T/inc.fio"
	if [ $who = fio ]; then fio "$T/inc.fio" > /dev/null 2>&1; else
		"$BLKPRIO" bench run --no-progress --job "$T/inc.fio" > /dev/null 2>&1; fi
	mv "$F" "$F.$who"
done
if cmp -s "$F.fio" "$F.ours" && [ "$(stat -c %s "$F.ours")" = $(((2 << 20) + (64 << 10))) ] &&
   cmp -s -n 1 -i $((1 << 20)):0 "$F.ours" <(printf '\253'); then t_ok "fio_jobs.offset_increment"
else t_fail "fio_jobs.offset_increment" "$(cmp "$F.fio" "$F.ours" 2>&1; ls -l "$F.fio" "$F.ours")"; fi
rm -f "$F.fio" "$F.ours"

# group_reporting: one entry for the group that sets it, a copy each for the other
printf '[global]\nfilename=%s\nsize=1m\nrw=read\n[a]\nnumjobs=3\ngroup_reporting\n[b]\nstonewall\nnumjobs=2\n' \
	"$F" > "$T/group.fio"
same group_reporting "$T/group.fio"

# what is measured and reported changes, not what moves
cat > "$T/report.fio" <<JOB
[global]
filename=$F
size=1m
[a]
rw=write
gtod_reduce=1
[b]
stonewall
rw=randread
percentile_list=99.9:50
disable_clat=1
disable_slat=1
disable_bw_measurement=1
JOB
same gtod_reduce_percentile_list "$T/report.fio"

# exitall: the 1 MiB job ends its 30 s neighbour in both tools
printf '[global]\nfilename=%s\nsize=1m\n[long]\nrw=randread\ntime_based=1\nruntime=30\nrate_iops=1000\n[short]\nrw=read\nrate_iops=2000\nexitall\n' \
	"$F" > "$T/exitall.fio"
ms() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["jobs"][0]["read"]["runtime"])' "$1"; }
fio --output-format=json --output="$T/fio.json" "$T/exitall.fio" > /dev/null 2>&1
"$BLKPRIO" bench run --no-progress --job "$T/exitall.fio" --output-format=json > "$T/ours.json" 2>&1
a=$(ms "$T/fio.json" 2>&1); b=$(ms "$T/ours.json" 2>&1)
if [ "${a:-x}" -lt 10000 ] 2>/dev/null && [ "${b:-x}" -lt 10000 ] 2>/dev/null; then
	t_ok "fio_jobs.exitall"; else t_fail "fio_jobs.exitall" "runtime of the long job: fio $a ms, ours $b ms"; fi

# buffer_pattern: both tools leave the same bytes on disk
for p in 0xdeadbeef01 '"abc"' 305419896; do
	printf '[w]\nfilename=%s\nsize=256k\nrw=randwrite\nbs=16k\nbuffer_pattern=%s\n' "$F" "$p" > "$T/bp.fio"
	rm -f "$F"; fio "$T/bp.fio" > /dev/null 2>&1; frc=$?
	mv "$F" "$T/bp.fio.data" 2>/dev/null
	"$BLKPRIO" bench run --no-progress --job "$T/bp.fio" > /dev/null 2>&1; orc=$?
	if [ $frc = 0 ] && [ $orc = 0 ] && cmp -s "$F" "$T/bp.fio.data"; then
		t_ok "fio_jobs.buffer_pattern $p"
	else
		t_fail "fio_jobs.buffer_pattern $p" "fio exit $frc, ours $orc; $(cmp "$F" "$T/bp.fio.data" 2>&1)"
	fi
done

# a pattern on disk that is not the one asked for: both fail the read job
printf '[w]\nfilename=%s\nsize=1m\nrw=write\nverify_pattern=0x11\ndo_verify=0\n' "$F" > "$T/w.fio"
printf '[r]\nfilename=%s\nsize=1m\nrw=read\nverify=pattern\nverify_pattern=0x22\n' "$F" > "$T/r.fio"
fio "$T/w.fio" > /dev/null 2>&1
fio "$T/r.fio" > /dev/null 2>&1; frc=$?
"$BLKPRIO" bench run --no-progress --job "$T/r.fio" > /dev/null 2>&1; orc=$?
if [ $frc != 0 ] && [ $orc = 1 ]; then t_ok "fio_jobs.bad_pattern_found"; else
	t_fail "fio_jobs.bad_pattern_found" "fio exit $frc, ours $orc"; fi

# filesize: the file's size and the bytes moved, in both tools (a new file;
# one longer than filesize, which is not cut; a range drawn in 512k..1m)
for args in "rw=write filesize=1m size=4m" "rw=read filesize=4m size=1m" \
	    "rw=write filesize=1m offset=256k" "rw=write filesize=1m size=4m io_size=3m" \
	    "rw=write filesize=1m pre=8m" "rw=randwrite filesize=512k-1m"; do
	job=$(printf '[j]\nfilename=%s\nbs=4k\n' "$F"; for a in $args; do
		[ "${a%%=*}" = pre ] || echo "$a"; done)
	pre=$(for a in $args; do [ "${a%%=*}" = pre ] && echo "${a#pre=}"; done)
	got=()
	for tool in fio ours; do
		rm -f "$F"
		[ -n "$pre" ] && truncate -s "$pre" "$F"
		echo "$job" > "$T/fs.fio"
		if [ $tool = fio ]; then fio --output-format=json --output="$T/fs.json" "$T/fs.fio" > /dev/null 2>&1
		else "$BLKPRIO" bench run --no-progress --job "$T/fs.fio" --output-format=json > "$T/fs.json" 2>&1; fi
		got+=("$(summary "$T/fs.json" 2>&1) file=$(stat -c %s "$F" 2>&1)")
	done
	case "$args" in
	*512k-1m*)	# each draws its own size: in the range, a multiple of bs, all written
		ok=$(python3 -c 'import sys
for g in sys.argv[1:]:
    f = g.split(); w, size = int(f[3]), int(f[-1].split("=")[1])
    assert 512 << 10 <= size <= 1 << 20 and size % 4096 == 0 and w == size, g
print("ok")' "${got[@]}" 2>&1) ;;
	*)	[ "${got[0]}" = "${got[1]}" ] && ok=ok || ok= ;;
	esac
	if [ "$ok" = ok ]; then t_ok "fio_jobs.filesize $args"; else
		t_fail "fio_jobs.filesize $args" "fio: ${got[0]} / ours: ${got[1]} $ok"; fi
done

# wait_for: the same jobs, groups and bytes as fio (the order is engine_test's)
cat > "$T/wf.fio" <<JOB
[global]
filename=$F
filesize=2m
[writers]
rw=write
bs=64k
numjobs=2
[readers]
new_group
wait_for=writers
rw=randread
[writers2]
new_group
wait_for=readers
rw=randwrite
JOB
same wait_for "$T/wf.fio"

# exit_what: with exitall, stonewall ends every job started (the next phase
# runs), all ends every job (the next phase does not); bytes as fio's
cat > "$T/ew.fio" <<JOB
[global]
filename=$F
filesize=8m
exitall
[slow1]
rw=read
thinktime=2ms
number_ios=100
exit_what=stonewall
[fast1]
new_group
rw=randread
rate_iops=1
[slow2]
stonewall
rw=write
thinktime=2ms
number_ios=100
exit_what=all
[fast2]
rw=randwrite
rate_iops=1
[later]
stonewall
rw=read
JOB
same exit_what "$T/ew.fio"

# rate_iops_min: a job that falls below it fails after fio's 2 s, in both
printf '[j]\nfilename=%s\nsize=8m\nrw=read\nthinktime=10ms\nrate_iops_min=200\n' "$F" > "$T/rm.fio"
rm -f "$F"; fio "$T/rm.fio" > "$T/rm.fio.out" 2>&1; frc=$?
out=$("$BLKPRIO" bench run --no-progress --job "$T/rm.fio" 2>&1 >/dev/null); orc=$?
if [ $frc != 0 ] && [ $orc = 1 ] && [[ $out == *"rate_iops_min=200 not met, got "* ]] &&
   grep -q "rate_iops_min=200 not met" "$T/rm.fio.out"; then t_ok "fio_jobs.rate_iops_min"
else t_fail "fio_jobs.rate_iops_min" "fio exit $frc, ours $orc: $out"; fi

# flow: two jobs of one flow_id do I/Os in their weights' ratio, 1 to 4, in both
ratio() { python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"]
n = [x["read"]["total_ios"] + x["write"]["total_ios"] for x in j]
print("%.2f" % (n[1] / n[0]) if len(n) == 2 and n[0] else "none")' "$1"; }
printf '[global]\nfilename=%s\nsize=4m\nruntime=1\ntime_based\n[a]\nrw=randread\nflow=1\n[b]\nrw=randwrite\nflow=4\nflow_sleep=100\n' "$F" > "$T/flow.fio"
fio --output-format=json --output="$T/fio.json" "$T/flow.fio" > /dev/null 2>&1
a=$(ratio "$T/fio.json" 2>&1)
"$BLKPRIO" bench run --no-progress --job "$T/flow.fio" --output-format=json > "$T/ours.json" 2>&1
b=$(ratio "$T/ours.json" 2>&1)
if python3 -c 'import sys; sys.exit(not all(abs(float(x) - 4) < 0.2 for x in sys.argv[1:]))' "$a" "$b" 2>/dev/null
then t_ok "fio_jobs.flow"; else t_fail "fio_jobs.flow" "ratio of I/Os: fio $a, ours $b"; fi

# cmdprio: the same priorities in "prios", each with about its share of the I/Os
prios() { python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["jobs"][0]["read"]
n = r["total_ios"]
print(" ".join("%d/%d:%d" % (p["prioclass"], p["prio"], round(p["clat_ns"]["N"] * 20 / n))
               for p in r.get("prios", [])))' "$1"; }
for v in "prioclass=3 cmdprio_percentage=20" "norandommap bssplit=4k/50:8k/50 cmdprio_bssplit=4k/40/2/5:8k/100/3/0"; do
	printf '[j]\nfilename=%s\nsize=8m\nrw=randread\nioengine=libaio\niodepth=8\ndirect=1\n' "$F" > "$T/cp.fio"
	for a in $v; do echo "$a" >> "$T/cp.fio"; done
	fio --output-format=json --output="$T/fio.json" "$T/cp.fio" > /dev/null 2>&1
	a=$(prios "$T/fio.json" 2>&1)
	"$BLKPRIO" bench run --no-progress --job "$T/cp.fio" --output-format=json > "$T/ours.json" 2>&1
	b=$(prios "$T/ours.json" 2>&1)
	# the shares in twentieths, rounded: a draw may fall either side of a half
	if python3 -c '
import sys
a, b = (dict(x.split(":") for x in s.split()) for s in sys.argv[1:3])
sys.exit(not a or a.keys() != b.keys() or any(abs(int(a[k]) - int(b[k])) > 1 for k in a))' "$a" "$b"
	then t_ok "fio_jobs.cmdprio $v"; else t_fail "fio_jobs.cmdprio $v" "prios: fio $a, ours $b"; fi
done

# steadystate: a rate-capped job is steady after ss_dur and ends, in both
ssum() { python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
s = j.get("steadystate", {})
print(s.get("ss"), s.get("duration"), s.get("attained"), len(s.get("data", {}).get("iops", [])),
      "short" if j["read"]["runtime"] < 6000 else "long")' "$1"; }
printf '[j]\nfilename=%s\nsize=8m\nrw=randread\ntime_based\nruntime=30\nrate_iops=400\nss=iops:10%%\nss_dur=3\n' "$F" > "$T/ss.fio"
fio --output-format=json --output="$T/fio.json" "$T/ss.fio" > /dev/null 2>&1
a=$(ssum "$T/fio.json" 2>&1)
"$BLKPRIO" bench run --no-progress --job "$T/ss.fio" --output-format=json > "$T/ours.json" 2>&1
b=$(ssum "$T/ours.json" 2>&1)
if [ "$a" = "iops:10.000000% 3 1 3 short" ] && [ "$a" = "$b" ]; then t_ok "fio_jobs.steadystate"
else t_fail "fio_jobs.steadystate" "fio: $a / ours: $b"; fi

# options that conflict, as fio's checks: exit 2 and why, nothing written
for v in "rate=1m rate_iops=10" "rate_min=1m rate_iops_min=10" "rate=1m rate_min=2m" \
	 "rate_iops=10 rate_iops_min=20" "wait_for=j" "wait_for=nosuch" \
	 "ioengine=libaio cmdprio_percentage=10 cmdprio_bssplit=4k/10" "cmdprio_percentage=10" \
	 zonemode=strided zonesize=1m; do
	printf '[j]\nfilename=%s\nsize=1m\nrw=write\n' "$F" > "$T/bad.fio"
	for a in $v; do echo "$a" >> "$T/bad.fio"; done
	fio "$T/bad.fio" > /dev/null 2>&1; frc=$?
	rm -f "$F"
	out=$("$BLKPRIO" bench run --no-progress --job "$T/bad.fio" 2>&1 >/dev/null); orc=$?
	if [ $frc != 0 ] && [ $orc = 2 ] && [[ $out == *"job 'j': "* ]] && [ ! -e "$F" ]; then
		t_ok "fio_jobs.refuses $v"
	else
		t_fail "fio_jobs.refuses $v" "fio exit $frc; ours exit $orc: $out"
	fi
done

# the random map with sizes drawn per I/O: I/Os cut to the blocks a pass has
# not had, so both tools do about as many I/Os for the same bytes
ios() { python3 -c '
import json, sys
t = open(sys.argv[1]).read()
r = json.loads(t[t.find("{"):])["jobs"][0]["read"]
print(r["io_bytes"], r["total_ios"])' "$1"; }
printf '[j]\nfilename=%s\nsize=8m\nrw=randread\nbssplit=4k/50:8k/50\n' "$F" > "$T/map.fio"
rm -f "$F"; fio --output-format=json --output="$T/fio.json" "$T/map.fio" > /dev/null 2>&1
a=$(ios "$T/fio.json" 2>&1)
rm -f "$F"; "$BLKPRIO" bench run --no-progress --job "$T/map.fio" --output-format=json > "$T/ours.json" 2>&1
b=$(ios "$T/ours.json" 2>&1)
if python3 -c '
import sys
(ab, an), (bb, bn) = (map(int, x.split()) for x in sys.argv[1:3])
sys.exit(not (ab == bb and abs(an - bn) <= 0.04 * an))' "$a" "$b" 2> /dev/null
then t_ok "fio_jobs.random_map_sizes"; else t_fail "fio_jobs.random_map_sizes" "bytes and I/Os: fio $a, ours $b"; fi

# fill_device: fio's surface scan on a tmpfs of 8 MiB of our own: written
# until full, then read back and checked, the same bytes in both
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=8m tmpfs "$T/small"; then
	t_cleanup umount "$T/small"
	printf '[global]\nbs=64k\nverify=meta\nverify_pattern=0xaa555aa5\nverify_interval=512\n[write-phase]\nfilename=%s\nrw=write\nfill_device=1\ndo_verify=0\n[verify-phase]\nstonewall\ncreate_serialize=0\nfilename=%s\nrw=read\ndo_verify=1\n' "$T/small/data" "$T/small/data" > "$T/fill.fio"
	rm -f "$T/small/data"; fio --output-format=json --output="$T/fio.json" "$T/fill.fio" > /dev/null 2>&1
	a=$(summary "$T/fio.json" 2>&1)
	rm -f "$T/small/data"
	"$BLKPRIO" bench run --no-progress --job "$T/fill.fio" --output-format=json > "$T/ours.json" 2> "$T/ours.err"
	b=$(summary "$T/ours.json" 2>&1)
	if [ "$a" = "write-phase 0 0 8388608 error=0
verify-phase 1 8388608 0 error=0" ] && [ "$a" = "$b" ]; then t_ok "fio_jobs.fill_device"
	else t_fail "fio_jobs.fill_device" "fio: $a / ours: $b $(cat "$T/ours.err")"; fi
	rm -f "$T/small/data"
else
	t_skip fio_jobs.fill_device "mounting a tmpfs needs root"
fi

# random_generator=lfsr: every block once, map or not: verify passes in both
printf '[j]\nfilename=%s\nsize=2m\nrw=randwrite\nnorandommap\nrandom_generator=lfsr\nverify=crc32c\n' "$F" > "$T/lfsr.fio"
same random_generator_lfsr "$T/lfsr.fio"

# zonemode=strided: the same offsets I/O by I/O as fio's for sequential jobs
# (the zones, their skips, a zone read twice, the wrap, the end at a file's
# end), and for a random job the same zones, each I/O inside its zone's range
cat > "$T/strided.fio" <<JOB
[global]
bs=64k
zonemode=strided
write_lat_log=z
log_offset=1
[seq]
filename=$T/z.seq
rw=read
zonesize=1m
zoneskip=2m
[short]
filename=$T/z.short
rw=read
zonesize=1m
zoneskip=2m
[twice]
filename=$T/z.twice
rw=write
offset=1m
size=6m
zonesize=2m
zonerange=1m
zoneskip=1m
[small]
filename=$T/z.small
rw=write
bs=4k
zonesize=2k
[rand]
filename=$T/z.rand
rw=randread
bs=4k
zonesize=256k
zonerange=1m
zoneskip=1m
JOB
zones_of() {	# WHO
	rm -rf "$T/zones.$1"; mkdir "$T/zones.$1"
	truncate -s 10m "$T/z.seq"; truncate -s 9728k "$T/z.short"; truncate -s 16m "$T/z.twice"
	truncate -s 1m "$T/z.small"; truncate -s 8m "$T/z.rand"
	if [ "$1" = fio ]; then (cd "$T/zones.$1" && command fio "$T/strided.fio" > /dev/null 2>&1)
	else (cd "$T/zones.$1" && "$BLKPRIO" bench run --no-progress --job "$T/strided.fio" > /dev/null 2>&1); fi
	rm -f "$T"/z.seq "$T"/z.short "$T"/z.twice "$T"/z.small "$T"/z.rand
}
zones_of fio; zones_of ours
if out=$(python3 - "$T/zones.fio" "$T/zones.ours" <<'PY' 2>&1); then t_ok "fio_jobs.zonemode_strided"
import os, sys
def offs(d, n):
    rows = [l.split(', ') for l in open(os.path.join(d, 'z_lat.%d.log' % n)).read().splitlines()]
    return [int(r[4]) for r in rows]
a, b = sys.argv[1:3]
for n, name in enumerate(('seq', 'short', 'twice', 'small'), 1):
    x, y = offs(a, n), offs(b, n)
    assert x == y, (name, len(x), len(y), x[:20], y[:20])
assert len(offs(a, 2)) == 56, 'short: fio read %d I/Os, not 3.5 MiB' % len(offs(a, 2))
x, y = offs(a, 5), offs(b, 5)
zone = lambda o: o // (2 << 20)
assert [zone(o) for o in x] == [zone(o) for o in y] and len(x) == 2048, ('rand', len(x), len(y))
for k in range(0, len(y), 64):	# 64 I/Os a zone: inside its range, none twice
    vis = y[k:k + 64]
    assert all(o % (2 << 20) < (1 << 20) for o in vis) and len(set(vis)) == 64, vis
PY
else t_fail "fio_jobs.zonemode_strided" "$out"; fi

# latency_target: the depth fio's search ends at and how the job ends, for
# targets whose outcome does not hang on the machine's speed: one no I/O
# misses (the depth doubles to iodepth, then one window counted alone and
# the end: the job's figures are the last 50 ms), one every direct I/O
# misses (at depth 1: ETIMEDOUT, or with a percentile below 100 the job
# stays at depth 1 to its end), latency_run (it goes on to the end),
# max_latency (ETIMEDOUT)
ltsum() { python3 -c '
import json, sys
t = open(sys.argv[1]).read()
j = json.loads(t[t.find("{"):])["jobs"][0]
ms = j["read"]["runtime"]
print(j["latency_depth"], "error=%d" % j["error"],
      "window" if 50 <= ms < 150 else "whole" if ms >= 1000 else "short" if ms < 50 else ms)' "$1"; }
for v in "latency_target=10s:16 error=0 window" "latency_target=1 direct=1:1 error=110 short" \
	 "latency_target=1 latency_percentile=50 direct=1:1 error=0 whole" \
	 "latency_target=10s latency_run=1:16 error=0 whole" "max_latency=1 direct=1:16 error=110 short"; do
	want=${v#*:}; v=${v%%:*}
	printf '[j]\nfilename=%s\nsize=16m\nrw=randread\nioengine=libaio\niodepth=16\nruntime=1\ntime_based\nlatency_window=50ms\n' "$F" > "$T/lt.fio"
	for a in $v; do echo "$a" >> "$T/lt.fio"; done
	rm -f "$F"; fio --output-format=json --output="$T/fio.json" "$T/lt.fio" > /dev/null 2>&1
	a=$(ltsum "$T/fio.json" 2>&1)
	rm -f "$F"; "$BLKPRIO" bench run --no-progress --job "$T/lt.fio" --output-format=json > "$T/ours.json" 2>&1
	b=$(ltsum "$T/ours.json" 2>&1)
	if [ "$a" = "$want" ] && [ "$b" = "$want" ]; then t_ok "fio_jobs.latency $v"
	else t_fail "fio_jobs.latency $v" "want $want; fio: $a / ours: $b"; fi
done

# NUMA: node 0 as fio places it; a node past the machine's refused by both
nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2> /dev/null | wc -l)
if [ "$nodes" -gt 0 ]; then
	printf '[j]\nfilename=%s\nsize=2m\nrw=randwrite\nnuma_cpu_nodes=0\nnuma_mem_policy=bind:0\n' "$F" > "$T/numa.fio"
	same numa "$T/numa.fio"
else
	t_skip fio_jobs.numa "no NUMA nodes in /sys/devices/system/node"
fi

# values fio refuses: exit 2, a line naming the option, nothing written
for v in verify=crc99 verify=md5x rate_process=bursty ioengine=windowsaio \
	 verify_pattern=0xzz rw=sideways percentile_list=101 percentile_list=abc \
	 buffer_pattern=0xzz bssplit=4k/60:8k/50:16k:32k bsrange=4k-x bs=0 rw=read:abc io_submit_mode=later \
	 random_distribution=zipf:1 random_distribution=pareto:1 random_distribution=normal:100 \
	 random_distribution=zipf:1.2:1.5 random_distribution=zoned:50/5:30/15 \
	 random_distribution=zoned:60/50:40/60 random_distribution=gauss blockalign=0 \
	 offset_increment=x filesize=0 filesize=x exit_what=some rate_cycle=x \
	 flow=1001 flow=x flow_sleep=x cmdprio_percentage=101 cmdprio_class=0 cmdprio=8 \
	 cmdprio_bssplit=4k/60:4k/50 cmdprio_bssplit=x/10 ss=iops ss=speed:1 ss=iops:x \
	 numa_cpu_nodes=$nodes numa_cpu_nodes=x numa_mem_policy=bind numa_mem_policy=foo \
	 random_generator=mt zonemode=zbd zonemode=foo zoneskip=x \
	 latency_percentile=101 latency_percentile=x latency_target=x max_latency=x; do
	printf '[j]\nfilename=%s\nsize=1m\nrw=write\n%s\n' "$F" "$v" > "$T/bad.fio"
	fio "$T/bad.fio" > /dev/null 2>&1; frc=$?
	rm -f "$F"
	out=$("$BLKPRIO" bench run --no-progress --job "$T/bad.fio" 2>&1 >/dev/null); orc=$?
	if [ $frc != 0 ] && [ $orc = 2 ] && [[ $out == *"'${v%%=*}'"* ]] && [ ! -e "$F" ]; then
		t_ok "fio_jobs.refuses $v"
	else
		t_fail "fio_jobs.refuses $v" "fio exit $frc; ours exit $orc: $out"
	fi
done

# ---- fio's own examples, when given ----
if [ -n "${FIO_EXAMPLES:-}" ] && [ -d "$FIO_EXAMPLES" ]; then
	python3 "$(dirname "$0")/fio_examples.py" "$FIO_EXAMPLES" "$T/ex" "$F" "$BLKPRIO" \
		> "$T/ex.txt" 2>&1; rc=$?
	cat "$T/ex.txt" | sed 's/^/# /'
	if [ $rc = 0 ]; then t_ok "fio_jobs.examples"; else
		t_fail "fio_jobs.examples" "$(tail -5 "$T/ex.txt")"; fi
else
	t_skip "fio_jobs.examples" "FIO_EXAMPLES not set (fio's examples/ folder is not packaged)"
fi
t_done
