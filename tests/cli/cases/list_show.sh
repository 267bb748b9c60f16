# list and show, plain and JSON, column selection, malformed lines.
. "$(dirname "$0")/common.inc"
printf 'IOPRIO="7"\nIOLIMIT="104857600"\n' > conf/101.conf
printf "IOPRIO='0' # batch\n" > conf/102.conf
printf 'NAME="web"\nthis line is broken\nIOPRIO="9"\nIOPSLIMIT=500\n' > conf/web.conf
printf 'IOPRIO="1"\n' > conf/ve-basic.conf-sample
printf 'IOPRIO="1"\n' > conf/.hidden.conf
printf 'IOPRIO="1"\n' > conf/9.conf
run list
run list -o CTID,IOPRIO -n
run list -o +CONFIG -r
run list -o help
run list --json
run show web
run show 101 --json
run show 555
