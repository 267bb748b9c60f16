# requires: root
# An unwritable folder: exit 1, the original file untouched.
. "$(dirname "$0")/common.inc"
mount -t tmpfs -o size=1m tmpfs conf
trap 'umount conf' EXIT
printf 'IOPRIO="4"\n' > conf/101.conf
mount -o remount,ro conf
run set 101 --ioprio 6 --save
cat conf/101.conf
run list --conf-dir /nonexistent
