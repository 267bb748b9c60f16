#!/bin/bash
# blkpriod figures (make bench; needs root and the v1 blkio hierarchy):
#  1. config write -> new weight readable in the kernel, p50/p99 over 1000
#     edits (write FILE.tmp + rename, as `blkprio set --save` does), against
#     the anchor of writing and reading the same weight file directly.
#     Aim: p99 under 10 ms.
#  2. start-up reconcile of 10,000 containers (configs and cgroups): wall
#     time and peak RSS of `blkpriod --once`, against the anchor of writing
#     the 10,000 weights directly. Aim: under 1 s and 16 MiB.
set -eu
. "$(dirname "$0")/lib.sh"
BLKPRIOD=${BLKPRIOD:-$O/blkpriod}
CG=/sys/fs/cgroup/blkio
NAME=blkprio-bench-$$
N=${BENCH_CONTAINERS:-10000}
EDITS=${BENCH_EDITS:-1000}
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ] || [ ! -e "$CG/blkio.throttle.read_bps_device" ] || [ ! -x "$PY" ]; then
	echo "bench daemon: skipped (needs root, $CG and $PY)"
	exit 0
fi
dir=$(mktemp -d /tmp/blkprio-bench-daemon.XXXXXX)
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	"$PY" - "$CG/$NAME" <<'PY' || true
import os, sys
root = sys.argv[1]
if os.path.isdir(root):
    for name in os.listdir(root):
        p = os.path.join(root, name)
        if os.path.isdir(p):
            os.rmdir(p)
    os.rmdir(root)
PY
	rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/conf" "$dir/run" "$CG/$NAME"
printf 'CGROUP_PATHS="%s/%%s"\nLATENCY="no"\nMETRICS_LISTEN="no"\n' "$NAME" >"$dir/blkpriod.conf"

# ---- 1. edit -> kernel latency ------------------------------------------------
echo 'IOPRIO="4"' >"$dir/conf/101.conf"
mkdir "$CG/$NAME/101"
"$BLKPRIOD" -q -c "$dir/blkpriod.conf" -C "$dir/conf" -R "$dir/run"
DPID=$(head -1 "$dir/run/blkpriod.lock")
"$PY" - "$dir/conf/101.conf" "$CG/$NAME/101/blkio.bfq.weight" "$EDITS" <<'PY'
import os, sys, time
conf, wfile, edits = sys.argv[1], sys.argv[2], int(sys.argv[3])
table = [64, 73, 82, 92, 100, 110, 120, 128]
fd = os.open(wfile, os.O_RDONLY)
def weight():
    return int(os.pread(fd, 32, 0).split()[-1])
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))] / 1e6
lat, anchor = [], []
prio = 4
for i in range(edits):
    prio = (prio + 3) % 8
    t0 = time.perf_counter_ns()
    with open(conf + ".tmp", "w") as f:
        f.write('IOPRIO="%d"\n' % prio)
    os.rename(conf + ".tmp", conf)
    deadline = t0 + 2_000_000_000
    while weight() != table[prio]:
        if time.perf_counter_ns() > deadline:
            sys.exit("bench daemon: edit %d not applied within 2 s" % i)
    lat.append(time.perf_counter_ns() - t0)
# anchor: the same weight written and read back directly
wfd = os.open(wfile, os.O_WRONLY)
for i in range(edits):
    prio = (prio + 3) % 8
    t0 = time.perf_counter_ns()
    os.write(wfd, b"%d\n" % table[prio])
    while weight() != table[prio]:
        pass
    anchor.append(time.perf_counter_ns() - t0)
print("bench daemon: config write -> weight in kernel over %d edits: p50 %.3f ms, "
      "p99 %.3f ms, max %.3f ms (aim: p99 < 10 ms); direct write p50 %.3f ms "
      "(ratio p50 %.0fx)" % (edits, pct(lat, 50), pct(lat, 99), max(lat) / 1e6,
      pct(anchor, 50), pct(lat, 50) / max(pct(anchor, 50), 1e-6)))
PY
kill "$DPID"
while [ -e "/proc/$DPID" ] && [ "$(awk '{print $3}' "/proc/$DPID/stat")" != Z ]; do sleep 0.01; done
DPID=

# ---- 2. start-up reconcile of N containers ------------------------------------
"$PY" - "$dir/conf" "$CG/$NAME" "$N" <<'PY'
import os, sys
conf, cg, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(1000, 1000 + n):
    with open("%s/%d.conf" % (conf, i), "w") as f:
        f.write('# container %d\nONBOOT="yes"\nIOPRIO="%d"\n' % (i, i % 8))
    p = "%s/%d" % (cg, i)
    if not os.path.isdir(p):
        os.mkdir(p)
PY
sync
"$PY" - "$BLKPRIOD" "$dir" "$CG/$NAME" "$N" <<'PY'
import os, resource, subprocess, sys, time
daemon, d, cg, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
table = [64, 73, 82, 92, 100, 110, 120, 128]
# reset the kernel to the default so the daemon has real work to do
for i in range(1000, 1000 + n):
    with open("%s/%d/blkio.bfq.weight" % (cg, i), "w") as f:
        f.write("100\n")
t0 = time.perf_counter()
subprocess.run([daemon, "--once", "-q", "-c", d + "/blkpriod.conf", "-C", d + "/conf",
                "-R", d + "/run"], check=True)
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
bad = 0
for i in range(1000, 1000 + n):
    with open("%s/%d/blkio.bfq.weight" % (cg, i)) as f:
        if int(f.read().split()[-1]) != table[i % 8]:
            bad += 1
if bad:
    sys.exit("bench daemon: %d of %d containers not reconciled" % (bad, n))
# anchor: the same weights written directly
t0 = time.perf_counter()
for i in range(1000, 1000 + n):
    fd = os.open("%s/%d/blkio.bfq.weight" % (cg, i), os.O_WRONLY)
    os.write(fd, b"%d\n" % table[(i + 1) % 8])
    os.close(fd)
anchor = time.perf_counter() - t0
print("bench daemon: start-up reconcile of %d containers: %.3f s wall, peak RSS %.1f MiB "
      "(aim: < 1 s, < 16 MiB); writing the weights directly %.3f s (ratio %.1fx)"
      % (n, wall, rss, anchor, wall / anchor))
PY
