# set without --save is a runtime override; --save then drops the override's key.
. "$(dirname "$0")/common.inc"
printf 'IOPRIO="5"\n' > conf/101.conf
run set 101 --ioprio 1
cat conf/101.conf
cat run/101.conf
run show 101
run list
run set 101 --ioprio 6 --save
run show 101
