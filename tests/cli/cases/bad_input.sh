# Bad input: one clear line, exit 2, nothing written.
. "$(dirname "$0")/common.inc"
printf 'IOPRIO="4"\n' > conf/101.conf
before=$(md5sum conf/101.conf)
for v in 8 -1 abc "" 4.5 " 4"; do
	run set 101 --ioprio "$v" --save
done
run set 101 --iolimit 10X --save
run set 101 --iopslimit -3 --save
run set --ioprio 3 --save
run set ../x --ioprio 3 --save
run set a/b --ioprio 3 --save
run set "" --ioprio 3 --save
run set --ioprio 7 --save -- -1
run set --ioprio 7 --save -- -web
run set 101 --save
run set 101 --ioprio
run set 101 102 --ioprio 3
run set 101 --bogus
run list extra
run list -o NOPE
run frobnicate
"$BLKPRIO" >/dev/null 2>&1; echo "[exit $?] (no command)"
[ "$before" = "$(md5sum conf/101.conf)" ] && echo "config untouched"
ls -A conf
[ -e run ] || echo "no runtime folder made"
