# set --save edits only the given keys, keeps every other byte, updates the last duplicate.
. "$(dirname "$0")/common.inc"
cat > conf/101.conf <<'EOT'
# Container 101
ONBOOT="yes"
IOPRIO="2"   # first, ignored by readers
DISKSPACE="10G:11G"
IOPRIO='3'
EOT
run set 101 --ioprio 7 --save
cat conf/101.conf
run set 101 --ioprio 7 --save
run set 101 --iolimit 10M --iopslimit 300 --save
cat conf/101.conf
run set 102 --ioprio 0 --save
cat conf/102.conf
ls -A conf
