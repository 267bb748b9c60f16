#!/bin/bash
# blkprio top -b / --json and blkprio latency against a writer in a cgroup of
# ours on a loop device of ours; the output is parsed. Privileged (SKIPs).
. "$(dirname "$0")/../lib.sh"

skip_all() {
	for t in top_batch_row top_per_container top_json latency_text latency_json \
		 top_device_weight usage_errors; do
		t_skip "$t" "$1"
	done
	t_done
	exit 0
}

t_root || skip_all "needs root"
t_cg_detect || skip_all "no blkio (v1) or io (v2) cgroup controller"
command -v jq >/dev/null || skip_all "jq missing"

name=blkprio-test-$$-top
cg=$CG/$name
img=/dev/shm/blkprio-top-$$.img
truncate -s 64M "$img" && t_cleanup rm -f "$img"
loop=$(losetup -f --show "$img") || skip_all "no loop device"
t_cleanup losetup -d "$loop"
# empty the cgroup (the writer loop and its dd) and remove it
cg_remove() {
	local i
	for i in $(seq 50); do
		[ -d "$cg" ] || return 0
		pids=$(cat "$cg/cgroup.procs")
		[ -n "$pids" ] && kill $pids
		rmdir "$cg" 2>/dev/null && return 0
		sleep 0.1
	done
}
t_cg_mkdir "$name" && t_cleanup cg_remove
mkdir -p "$T/conf" && echo 'IOPRIO="6"' > "$T/conf/$name.conf"
opts=(--config "$T/none.conf" --conf-dir "$T/conf" --run-dir "$T/run")

# the probe must load here, else there is nothing to test
if ! err=$("$BLKPRIO" "${opts[@]}" top -b -d 0.05 -n 1 2>&1 >/dev/null); then
	skip_all "probes do not load: $err"
fi

# a writer inside the cgroup until we stop it
sh -c "echo \$\$ > $cg/cgroup.procs; while :; do
	dd if=/dev/zero of=$loop bs=4k count=200 oflag=direct 2>/dev/null; done" &
writer=$!
t_cleanup "kill $writer; wait $writer"

dev=${loop#/dev/}
# the device's lever as `check` names it (top shows the same), and the weight:
# in the cgroup where the kernel has weight files, else none ("-")
lever=$("$BLKPRIO" "${opts[@]}" check -o LEVER -n -r "$dev" 2>/dev/null)
[ -e "$cg/$(t_cg_weight_file)" ] && wcond='$4 > 0' || wcond='$4 == "-"'
"$BLKPRIO" "${opts[@]}" top -b -d 0.5 -n 2 > "$T/top.txt" 2>&1
row=$(awk -v n="$name" -v d="$dev" '$1 == n && $2 == d' "$T/top.txt" | tail -1)
# CTID DEVICE IOPRIO WEIGHT LEVER R/S W/S MB/S P50 P99 MAX QUEUE DISK
if [ -n "$row" ] && [ -n "$lever" ] && echo "$row" | awk -v l="$lever" "{ exit !(\$3 == 6 && $wcond &&
	\$5 == l && \$7 > 0 && \$8 > 0 && \$9 > 0 && \$9 <= \$10 && \$10 <= \$11 * 1.07) }"; then
	t_ok top_batch_row
else
	t_fail top_batch_row "row: '$row' (lever $lever)" "$(cat "$T/top.txt")"
fi

# one row per container, chosen columns
"$BLKPRIO" "${opts[@]}" top -b -C -o CTID,DEVICE,W/S -s ctid -d 0.5 -n 1 > "$T/topc.txt" 2>&1
if [ "$(head -2 "$T/topc.txt" | tail -1 | awk '{ print NF, $1, $2, $3 }')" = "3 CTID DEVICE W/S" ] &&
   awk -v n="$name" '$1 == n && $2 == "*" && $3 > 0 { ok = 1 } END { exit !ok }' "$T/topc.txt"; then
	t_ok top_per_container
else
	t_fail top_per_container "$(cat "$T/topc.txt")"
fi

"$BLKPRIO" "${opts[@]}" top --json -d 0.5 -n 2 > "$T/top.json" 2>&1
if [ "$(wc -l < "$T/top.json")" -eq 2 ] &&
   jq -e --arg n "$name" --arg d "$dev" --arg l "$lever" 'select(.rows | map(select(.ctid == $n and
	.device == $d and .w_s > 0 and .ioprio == 6 and .p50 > 0 and .lever == $l)) | length == 1)' \
	"$T/top.json" > /dev/null && [ "$(jq -s 'map(select(.interval > 0)) | length' "$T/top.json")" = 2 ]
then
	t_ok top_json
else
	t_fail top_json "$(cat "$T/top.json")"
fi

"$BLKPRIO" "${opts[@]}" latency "$name" -i 0.5 -c 1 > "$T/lat.txt" 2>&1
if grep -q '^write: [1-9][0-9]* requests' "$T/lat.txt" && grep -q 'usecs' "$T/lat.txt"; then
	t_ok latency_text
else
	t_fail latency_text "$(cat "$T/lat.txt")"
fi

"$BLKPRIO" "${opts[@]}" latency "$name" -i 0.5 -c 1 --json > "$T/lat.json" 2>&1
if jq -e '.ops | map(select(.op == "write" and .count > 0 and .bytes == .count * 4096 and
	.p50_us <= .p99_us and (.hist | map(.count) | add) == .count)) | length == 1' \
	"$T/lat.json" > /dev/null; then
	t_ok latency_json
else
	t_fail latency_json "$(cat "$T/lat.json")"
fi

# a per-device BFQ weight (as share control sets them) is what WEIGHT shows
majmin=$(lsblk -dno MAJ:MIN "$loop" | tr -d ' ')
if echo bfq > "/sys/block/$dev/queue/scheduler" 2>/dev/null; then
	t_cleanup "echo none > /sys/block/$dev/queue/scheduler"
	wd=blkio.bfq.weight_device
	[ "$CGV" = 2 ] && wd=io.bfq.weight
	echo "$majmin 300" > "$cg/$wd"
	"$BLKPRIO" "${opts[@]}" top -b -o CTID,DEVICE,WEIGHT -d 0.5 -n 1 > "$T/topw.txt" 2>&1
	if awk -v n="$name" -v d="$dev" '$1 == n && $2 == d && $3 == 300 { ok = 1 } END { exit !ok }' \
		"$T/topw.txt"; then
		t_ok top_device_weight
	else
		t_fail top_device_weight "$(cat "$T/topw.txt" "$cg/$wd")"
	fi
else
	t_skip top_device_weight "no BFQ"
fi

fails=
"$BLKPRIO" top -d 0 >/dev/null 2>&1; [ $? = 2 ] || fails="$fails top-d0"
"$BLKPRIO" top -s nope >/dev/null 2>&1; [ $? = 2 ] || fails="$fails top-s"
"$BLKPRIO" latency >/dev/null 2>&1; [ $? = 2 ] || fails="$fails latency-noarg"
"$BLKPRIO" latency 'a/b' >/dev/null 2>&1; [ $? = 2 ] || fails="$fails latency-badctid"
out=$("$BLKPRIO" "${opts[@]}" latency "nosuch-$$" -c 1 2>&1); rc=$?
[ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] || fails="$fails latency-notrunning($rc: $out)"
if [ -z "$fails" ]; then t_ok usage_errors; else t_fail usage_errors "$fails"; fi

t_done
