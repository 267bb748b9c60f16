#!/bin/bash
# contrib/bash-completion/blkprio, driven as bash drives it (COMP_WORDS,
# COMP_CWORD, the function, COMPREPLY) against the built blkprio: commands
# and options from its help, CTIDs from the config folder, devices from
# /sys/block, img's subcommands, files after them.
. "$(dirname "$0")/../lib.sh"

comp=$TOP/contrib/bash-completion/blkprio
bin=$(cd "$(dirname "$BLKPRIO")" && pwd)
mkdir -p "$T/ct" "$T/files"
touch "$T/ct/101.conf" "$T/ct/102.conf" "$T/ct/ve-basic.conf-sample" "$T/files/disk.qcow2"

# complete WORDS...: COMPREPLY, sorted, one per line, for the last word
complete_words() {
	PATH=$bin:$PATH bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		f=$(complete -p "$1" | sed "s/.* -F \([^ ]*\) .*/\1/")
		"$f"
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' _ "$comp" "$@"
}

# expect NAME "WANT" WORDS...: the completions are exactly WANT (lines)
expect() {
	local name=$1 want=$2 got
	shift 2
	got=$(complete_words "$@" 2>&1)
	if [ "$got" = "$want" ]; then
		t_ok "completion.$name"
	else
		t_fail "completion.$name" "$(diff <(echo "$want") <(echo "$got"))"
	fi
}

# has NAME WORD WORDS...: WORD is among the completions
has() {
	local name=$1 word=$2 got
	shift 2
	got=$(complete_words "$@" 2>&1)
	if grep -qxF -- "$word" <<<"$got"; then
		t_ok "completion.$name"
	else
		t_fail "completion.$name" "no '$word' in: $(echo $got)"
	fi
}

bash -n "$comp" && t_ok completion.syntax || t_fail completion.syntax "bash -n"
expect commands_s "$(printf 'set\nshow')" blkprio s
# every command of the help, and nothing else
want=$("$BLKPRIO" help | awk '/^Commands:/ {on=1; next} on && /^$/ {on=0} on {print $1}' |
	LC_ALL=C sort)
expect commands_all "$want" blkprio ''
expect set_options "$(printf -- '--iolimit\n--iopslimit\n--ioprio' | LC_ALL=C sort)" blkprio set 101 --io
expect ioprio_values "$(seq 0 7)" blkprio set 101 --ioprio ''
expect ctids "$(printf '101\n102')" blkprio --conf-dir "$T/ct" set ''
got=$(BLKPRIO_CONF_DIR="$T/ct" complete_words blkprio show 1)
[ "$got" = "$(printf '101\n102')" ] && t_ok completion.ctids_env || t_fail completion.ctids_env "$got"
expect ctid_once '' blkprio --conf-dir "$T/ct" set 101 ''
has global_option --conf-dir blkprio --conf
has img_subcommand snapshot blkprio img s
expect img_subcommands "$(printf 'snapshot')" blkprio img sn
has img_options --backing-chain blkprio img info --b
has img_files "$T/files/disk.qcow2" blkprio img info "$T/files/d"
expect img_formats "$(printf 'qcow2\nraw')" blkprio img convert -O ''
has bench_subcommand effect blkprio bench e
has dd_operand if= blkprio dd i
has dd_file "$T/files/disk.qcow2" blkprio dd if="$T/files/d"
dev=$(ls /sys/block | head -1)
if [ -n "$dev" ]; then
	has calibrate_device "$dev" blkprio calibrate ''
	has check_device "$dev" blkprio check ''
else
	t_skip completion.devices "no block device in /sys/block"
fi
has blkpriod_option --once blkpriod --o

# the options come from the program's help: a new option completes at once
fake=$T/fakebin
mkdir -p "$fake"
cat >"$fake/blkprio" <<EOF
#!/bin/sh
echo "\$*" >>"$T/fake.log"
[ "\$2" = set ] && echo "  --ioprio N   x" && echo "  --iofuture N  y" && exit 0
printf 'Commands:\n  set   x\n\n'
EOF
chmod +x "$fake/blkprio"
got=$(bin=$fake complete_words blkprio set 1 --iof)
[ "$got" = --iofuture ] && t_ok completion.follows_help || t_fail completion.follows_help "$got"
# ... and is read once per shell: three completions of set's options, one help
: >"$T/fake.log"
got=$(PATH=$fake:$PATH bash -c '
	. "$1"
	for w in --io --iof --iop; do
		COMP_WORDS=(blkprio set 1 "$w"); COMP_CWORD=3
		_blkprio; printf "%s " "${COMPREPLY[@]}"
	done' _ "$comp")
runs=$(grep -c '^help set$' "$T/fake.log")
if [ "$runs" = 1 ] && [ "$got" = "--iofuture --ioprio --iofuture --ioprio " ]; then
	t_ok completion.help_read_once
else
	t_fail completion.help_read_once "help set ran $runs times; got '$got'"
fi
t_done
