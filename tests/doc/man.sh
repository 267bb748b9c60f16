#!/bin/bash
# The man pages against the programs and the code, so that they cannot drift:
#   - every command of `blkprio help` (and of its groups, `blkprio help img`)
#     is a subsection of COMMANDS in blkprio.8, and every such subsection a
#     command;
#   - every long option a command's help prints is in its subsection (the
#     options of `blkprio help` in OPTIONS), and every long option a page
#     names is printed by the help of the command it is described under
#     (HIDDEN lists those the code takes without printing them); the same for
#     blkpriod --help and blkpriod.8;
#   - every key of the default userspace/daemon/blkpriod.conf (and of its
#     parser) is an item of KEYS in blkpriod.conf.5 with the same default,
#     and the other way round; the container keys and the weight maps of the
#     code are in the pages; so are blkpriod's metric names; the version too;
#   - mandoc -T lint, groff -ww and man --warnings find nothing (SKIP where
#     the tool is missing).
# Run as `O=build bash tests/doc/man.sh`: O holds blkprio and blkpriod.
. "$(dirname "$0")/../lib.sh"
MAN=${MAN_DIR:-$TOP/man}	# MAN_DIR: pages elsewhere (to try the test on edited copies)
BLKPRIOD=${BLKPRIOD:-$O/blkpriod}
# help must not depend on the host's config
export BLKPRIO_CONFIG=$T/none.conf BLKPRIO_CONF_DIR=$T/conf BLKPRIO_RUN_DIR=$T/run

# Options the code takes that no help text prints: "COMMAND --option", each
# checked to be in userspace/cli and not (yet) printed by that command's help.
HIDDEN=(
	"top --probe-mode"
	"img --object" "img --image-opts" "img --force-share"
	"img check --repair"
	"dd --object"
	"bench --object"
	"bench run --filename" "bench run --readwrite" "bench run --rwmixwrite"
	"bench run --blocksize" "bench run --buffered"
	"bench run --thread" "bench run --threads" "bench run --ba" "bench run --invalidate"
	"bench run --io_limit" "bench run --wait_for_previous" "bench run --randrepeat"
	"bench run --description" "bench run --blocksize_range"
	"bench run --timeout" "bench run --io_submit_mode"
	"bench run --disable_clat" "bench run --disable_slat" "bench run --disable_bw_measurement"
)

# ---- reading the pages -------------------------------------------------------
# man_index PAGE: one line per input line, "SECTION<TAB>SUBSECTION<TAB>TAG<TAB>TEXT":
# the .SH and .SS it is under, the tag of the .TP item it belongs to, and its
# text with the macro name and font escapes taken out, \- as -.
man_index() {
	awk '
	function clean(s) {
		gsub(/\\-/, "-", s); gsub(/\\f[BIRP]/, "", s); gsub(/\\f\[[^]]*\]/, "", s)
		gsub(/\\\(aq/, "\047", s); gsub(/\\\(dq/, "\"", s); gsub(/\\&/, "", s)
		return s
	}
	function args(s) { sub(/^[.\047][A-Za-z]+[ \t]*/, "", s); s = clean(s); gsub(/"/, "", s); return s }
	/^[.\047]\\"/ { next }
	/^\.SH/ { sh = args($0); ss = ""; tag = ""; wanttag = 0; next }
	/^\.SS/ { ss = args($0); tag = ""; wanttag = 0; next }
	/^\.TP/ { tag = ""; wanttag = 1; next }
	/^\.(PP|P|LP)[ \t]*$/ { tag = ""; wanttag = 0; next }
	{
		line = $0
		if (line ~ /^[.\047][A-Za-z]/) { sub(/^[.\047][A-Za-z]+[ \t]*/, "", line) }
		line = clean(line)
		if (wanttag) { tag = line; gsub(/"/, "", tag); wanttag = 0 }
		printf "%s\t%s\t%s\t%s\n", sh, ss, tag, line
	}' "$1"
}
# The long options in text on stdin, one per line, sorted, unique.
long_opts() { grep -oE -- '--[A-Za-z][A-Za-z0-9_-]*' | sed 's/-*$//' | sort -u; }
# Lines of a page's index where field N is VALUE (TEXT only).
idx_where() { awk -F'\t' -v n="$2" -v v="$3" '$n == v { print $4 }' "$1"; }
idx_section_sub() { awk -F'\t' -v s="$2" -v ss="$3" '$1 == s && $2 == ss { print $4 }' "$1"; }
# The lines of `not in` between two lists (files or -): comm -23 of sorted lists.
minus() { comm -23 <(sort -u "$1") <(sort -u "$2"); }
# both_ways A B MISSING EXTRA: what A has and B lacks ("MISSING: ..."), and
# what B has and A lacks ("EXTRA: ..."), added to $msg
both_ways() {
	local d
	d=$(minus "$1" "$2")
	[ -n "$d" ] && msg+="$3: "$d$'\n'
	d=$(minus "$2" "$1")
	[ -n "$d" ] && msg+="$4: "$d$'\n'
	return 0
}

for p in blkprio.8 blkpriod.8 blkpriod.conf.5; do
	if [ ! -r "$MAN/$p" ]; then
		t_fail "man.$p" "missing: $MAN/$p"
		t_done
		exit
	fi
	man_index "$MAN/$p" > "$T/$p.idx"
done
for prog in "$BLKPRIO" "$BLKPRIOD"; do
	if [ ! -x "$prog" ]; then
		t_fail "man.programs" "no $prog: build first (make all), or give O=DIR"
		t_done
		exit
	fi
done

# ---- the help texts --------------------------------------------------------
# help_of KEY: "" the main help, "CMD" its help, "GROUP SUB" the sub-command's.
H=$T/help
mkdir -p "$H"
hfile() { echo "$H/$(echo "${1:-main}" | tr ' ' _).txt"; }
help_fail=
get_help() {
	local key=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		help_fail+="'$*' failed: $out"$'\n'
	fi
	printf '%s\n' "$out" >> "$(hfile "$key")"
}
# The names of a "Commands:" block: lines "  NAME ..." up to a blank line.
commands_of() {
	awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f && /^  [a-z][a-z-]*( |$)/ { print $1 }' "$1"
}
get_help "" "$BLKPRIO" help
commands_of "$(hfile "")" > "$T/cmds.help"
: > "$T/groups"
while read -r c; do
	get_help "$c" "$BLKPRIO" help "$c"
	# a group: its own usage ("Usage: blkprio img COMMAND") lists sub-commands
	if grep -q "^Usage: blkprio $c " "$(hfile "$c")" && grep -q '^Commands:' "$(hfile "$c")"; then
		echo "$c" >> "$T/groups"
		while read -r s; do
			echo "$c $s" >> "$T/subs.help"
			get_help "$c $s" "$BLKPRIO" "$c" "$s" --help
		done < <(commands_of "$(hfile "$c")")
	fi
done < "$T/cmds.help"
touch "$T/subs.help"
# img create -o help lists the create options (--object among them)
if grep -qx 'img create' "$T/subs.help"; then
	get_help "img create" "$BLKPRIO" img create -o help
fi
get_help blkpriod "$BLKPRIOD" --help
if [ -n "$help_fail" ] || [ ! -s "$T/cmds.help" ]; then
	t_fail "man.help-texts" "${help_fail:-no commands in '$BLKPRIO help'}"
else
	t_ok "man.help-texts"
fi

# Global options: the block of `blkprio help` from "Options" to a blank line.
awk '/^Options/ { f = 1; next } f && /^$/ { exit } f' "$(hfile "")" | long_opts > "$T/global"
if [ -s "$T/global" ]; then t_ok "man.global-options-found"; else
	t_fail "man.global-options-found" "no 'Options' block in '$BLKPRIO help'"; fi

# ---- (1) commands and subsections -----------------------------------------------
P8=$T/blkprio.8.idx
awk -F'\t' '$1 == "COMMANDS" && $2 != "" { print $2 }' "$P8" | sort -u > "$T/ss.page"
awk 'NF == 1' "$T/ss.page" > "$T/cmds.page"
awk 'NF == 2' "$T/ss.page" > "$T/subs.page"
msg=
both_ways "$T/cmds.help" "$T/cmds.page" \
	"commands of 'blkprio help' without a subsection in blkprio.8" \
	"subsections of COMMANDS that are no command"
both_ways "$T/subs.help" "$T/subs.page" \
	"sub-commands without a subsection" \
	"subsections that are no sub-command"
odd=$(awk 'NF > 2' "$T/ss.page")
[ -n "$odd" ] && msg+="subsection titles of more than two words: "$odd$'\n'
if [ -z "$msg" ]; then t_ok "man.blkprio.commands"; else t_fail "man.blkprio.commands" "$msg"; fi

# ---- (2) options ---------------------------------------------------------------------
hidden_of() {
	local h
	for h in "${HIDDEN[@]}"; do
		[ "${h% *}" = "$1" ] && echo "${h##* }"
	done
	return 0
}
all_help_opts() {
	for f in "$H"/*.txt; do [ "$f" = "$(hfile blkpriod)" ] || cat "$f"; done | long_opts
	printf '%s\n' "${HIDDEN[@]##* }"
}
all_help_opts | sort -u > "$T/all-opts"

# (2a) the global options are OPTIONS, and OPTIONS only names them
idx_section_sub "$P8" OPTIONS "" | long_opts > "$T/opts.page"
msg=
both_ways "$T/global" "$T/opts.page" \
	"options of 'blkprio help' missing in OPTIONS" \
	"OPTIONS names options 'blkprio help' does not print"
if [ -z "$msg" ]; then t_ok "man.blkprio.global-options"; else
	t_fail "man.blkprio.global-options" "$msg"; fi

# (2b, 2c) per command: its help's options are in its subsection; its
# subsection names only options of its help, its group's, the global ones,
# and its HIDDEN ones
msg=
while read -r key; do
	[ -n "$key" ] || continue
	parent=
	[ "${key% *}" != "$key" ] && parent=${key% *}
	idx_section_sub "$P8" COMMANDS "$key" | long_opts > "$T/k.page"
	long_opts < "$(hfile "$key")" > "$T/k.help"
	# a group's own help lists its sub-commands' options, and `help help` is
	# the main help, whose command rows name options: those belong elsewhere
	if ! grep -qx "$key" "$T/groups" &&
		[ "$(head -1 "$(hfile "$key")")" != "$(head -1 "$(hfile "")")" ]; then
		miss=$(minus <(minus "$T/k.help" "$T/global") "$T/k.page")
		[ -n "$miss" ] && msg+="'$key': printed by its help, missing in its subsection: "$miss$'\n'
	fi
	{
		cat "$T/k.help" "$T/global"
		hidden_of "$key"
		if [ -n "$parent" ]; then long_opts < "$(hfile "$parent")"; hidden_of "$parent"; fi
	} | sort -u > "$T/k.allowed"
	extra=$(minus "$T/k.page" "$T/k.allowed")
	[ -n "$extra" ] && msg+="'$key': its subsection names options its help does not print (add them to HIDDEN if the code takes them): "$extra$'\n'
done < <(cat "$T/cmds.help" "$T/subs.help")
if [ -z "$msg" ]; then t_ok "man.blkprio.command-options"; else
	t_fail "man.blkprio.command-options" "$msg"; fi

# (2d) prose elsewhere (DESCRIPTION, EXAMPLES, ...) names only options of some help
awk -F'\t' '$1 != "COMMANDS" && $1 != "OPTIONS" { print $4 }' "$P8" | long_opts > "$T/rest.page"
extra=$(minus "$T/rest.page" "$T/all-opts")
if [ -z "$extra" ]; then t_ok "man.blkprio.other-options"; else
	t_fail "man.blkprio.other-options" "blkprio.8 names options no help prints: $extra"; fi

# (2e) HIDDEN: taken by the code (a string literal in userspace/cli, or a row of
# bench run's option table), not printed by help
msg=
for h in "${HIDDEN[@]}"; do
	key=${h% *} opt=${h##* }
	# bench run's options are the rows of the job's option table
	if ! grep -qF -e "\"${opt#--}\"" -e "\"$opt\"" "$TOP"/userspace/cli/*.[ch] \
			"$TOP"/userspace/bench/job.c; then
		msg+="HIDDEN '$h': no \"${opt#--}\" in userspace/cli: drop it from the page and HIDDEN"$'\n'
	elif [ -f "$(hfile "$key")" ] && long_opts < "$(hfile "$key")" | grep -qx -- "$opt"; then
		msg+="HIDDEN '$h': '$key' help prints it now: drop it from HIDDEN"$'\n'
	fi
done
if [ -z "$msg" ]; then t_ok "man.blkprio.hidden-options"; else
	t_fail "man.blkprio.hidden-options" "$msg"; fi

# blkpriod: --help against the whole page, both ways
PD=$T/blkpriod.8.idx
cut -f4 "$PD" | long_opts > "$T/d.page"
long_opts < "$(hfile blkpriod)" > "$T/d.help"
msg=
both_ways "$T/d.help" "$T/d.page" \
	"options of 'blkpriod --help' missing in blkpriod.8" \
	"blkpriod.8 names options 'blkpriod --help' does not print"
opts_sec=$(idx_section_sub "$PD" OPTIONS "" | long_opts)
miss=$(minus "$T/d.help" <(printf '%s\n' "$opts_sec"))
[ -n "$miss" ] && msg+="options of 'blkpriod --help' not in its OPTIONS section: "$miss$'\n'
if [ -z "$msg" ]; then t_ok "man.blkpriod.options"; else t_fail "man.blkpriod.options" "$msg"; fi

# ---- (3) blkpriod.conf keys -----------------------------------------------------------
P5=$T/blkpriod.conf.5.idx
CONF=$TOP/userspace/daemon/blkpriod.conf
# keys are "KEY=" or, commented out at their defaults, "#KEY=" lines
sed -nE 's/^#?([A-Z][A-Z0-9_]*)=.*/\1/p' "$CONF" | sort -u > "$T/keys.conf"
awk -F'\t' '$1 == "KEYS" && $3 != "" { split($3, w, " "); print w[1] }' "$P5" | sort -u > "$T/keys.page"
# the parser's keys: the whole string literals of userspace/cgroup/config.c
grep -ohE '"[A-Z][A-Z0-9_]+"' "$TOP/userspace/cgroup/config.c" |
	tr -d '"' | sort -u > "$T/keys.code"
msg=
[ -s "$T/keys.conf" ] || msg+="no KEY= lines in $CONF"$'\n'
both_ways "$T/keys.conf" "$T/keys.page" \
	"keys of the default blkpriod.conf missing in KEYS of blkpriod.conf.5" \
	"KEYS of blkpriod.conf.5 not in the default blkpriod.conf"
both_ways "$T/keys.code" "$T/keys.page" \
	"keys userspace/cgroup/config.c reads, missing in blkpriod.conf.5" \
	"KEYS of blkpriod.conf.5 that userspace/cgroup/config.c does not know"
if [ -z "$msg" ]; then t_ok "man.conf.keys"; else t_fail "man.conf.keys" "$msg"; fi

# each key's item gives the default the commented config has (non-empty ones)
msg=
while IFS= read -r line; do
	key=$(sed -nE 's/^#?([A-Z][A-Z0-9_]*)=.*/\1/p' <<< "$line")
	val=$(sed -nE 's/^[^=]*="?([^"]*)"?[[:space:]]*$/\1/p' <<< "$line")
	[ -n "$key" ] && [ -n "$val" ] || continue
	item=$(awk -F'\t' -v k="$key" '$1 == "KEYS" { split($3, w, " "); if (w[1] == k) print $4 }' "$P5")
	grep -qF -- "$val" <<< "$item" || msg+="$key: the default '$val' of blkpriod.conf is not in its item"$'\n'
done < <(grep -E '^#?[A-Z][A-Z0-9_]*=' "$CONF")
if [ -z "$msg" ]; then t_ok "man.conf.defaults"; else t_fail "man.conf.defaults" "$msg"; fi

# the built-in openvz table (userspace/cgroup/prio.c) is the page's openvz row
ovz=$(awk '/openvz_table\[/ { f = 1; next } f { print } f && /}/ { exit }' \
	"$TOP/userspace/cgroup/prio.c" | tr -cs '0-9' ' ' | sed 's/^ *//; s/ *$//')
row=$(idx_where "$P5" 1 "WEIGHT MAPS" | awk '$1 == "openvz" && NF > 3 { $1 = $2 = $3 = ""; print }' |
	sed 's/^ *//; s/ *$//' | tr -s ' ')
if [ -n "$ovz" ] && [ "$ovz" = "$row" ]; then t_ok "man.conf.weight-map"; else
	t_fail "man.conf.weight-map" "openvz in prio.c: '$ovz'; in blkpriod.conf.5: '$row'"; fi

# the container keys (userspace/conf/ct.c) are the items of CONTAINER CONFIGURATION
grep -oE '\[CT_[A-Z]+\] = \{ "[A-Z]+"' "$TOP/userspace/conf/ct.c" | grep -oE '"[A-Z]+"' |
	tr -d '"' | sort -u > "$T/ct.code"
awk -F'\t' '$1 == "CONTAINER CONFIGURATION" && $3 != "" { print $3 }' "$P8" | sort -u > "$T/ct.page"
msg=
[ -s "$T/ct.code" ] || msg+="no container keys found in userspace/conf/ct.c"$'\n'
both_ways "$T/ct.code" "$T/ct.page" \
	"missing" \
	"not container keys"
if [ -z "$msg" ]; then t_ok "man.blkprio.container-keys"; else
	t_fail "man.blkprio.container-keys" "$msg"; fi

# ---- blkpriod's metric names, from the string literals of the code -------------------
grep -ohE '"[^"]*"' "$TOP"/userspace/daemon/*.c "$TOP"/userspace/latency/*.c |
	grep -oE 'blkprio_[a-z_%]+' | sed 's/_$//' | sort -u > "$T/metrics.code"
idx_where "$PD" 1 METRICS | grep -oE 'blkprio_[a-z_]+' | sort -u > "$T/metrics.page"
msg=
[ -s "$T/metrics.code" ] || msg+="no metric names found in userspace/daemon, userspace/latency"$'\n'
while read -r m; do
	re="^${m//%s/[a-z]+}\$"
	grep -qE "$re" "$T/metrics.page" || msg+="metric $m of the code is not in METRICS of blkpriod.8"$'\n'
done < "$T/metrics.code"
while read -r m; do
	found=
	while read -r c; do
		grep -qE "^${c//%s/[a-z]+}\$" <<< "$m" && { found=1; break; }
	done < "$T/metrics.code"
	[ -n "$found" ] || msg+="blkpriod.8 lists $m, which the code does not write"$'\n'
done < "$T/metrics.page"
if [ -z "$msg" ]; then t_ok "man.blkpriod.metrics"; else t_fail "man.blkpriod.metrics" "$msg"; fi

# ---- the version in .TH ------------------------------------------------------------------
ver=$("$BLKPRIO" --version 2>/dev/null)
msg=
for p in blkprio.8 blkpriod.8 blkpriod.conf.5; do
	grep -q "^\.TH .*\"$ver\"" "$MAN/$p" || msg+="$p: .TH does not say \"$ver\""$'\n'
done
if [ -n "$ver" ] && [ -z "$msg" ]; then t_ok "man.version"; else
	t_fail "man.version" "${msg:-no version from $BLKPRIO --version}"; fi

# ---- (4) the formatters find nothing ---------------------------------------------------
for p in blkprio.8 blkpriod.8 blkpriod.conf.5; do
	if ! command -v mandoc >/dev/null; then
		t_skip "man.lint.mandoc.$p" "no mandoc (Debian: mandoc)"
	elif out=$(mandoc -T lint -W warning "$MAN/$p" 2>&1) && [ -z "$out" ]; then
		t_ok "man.lint.mandoc.$p"
	else
		t_fail "man.lint.mandoc.$p" "$out"
	fi
	if ! command -v groff >/dev/null; then
		t_skip "man.lint.groff.$p" "no groff (Debian: groff-base)"
	elif out=$(groff -man -ww -z "$MAN/$p" 2>&1) && [ -z "$out" ]; then
		t_ok "man.lint.groff.$p"
	else
		t_fail "man.lint.groff.$p" "$out"
	fi
	if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
		t_skip "man.lint.man.$p" "no man or no groff for it (Debian: man-db, groff-base)"
	elif out=$(MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$MAN/$p" 2>&1 >/dev/null) &&
		[ -z "$out" ]; then
		t_ok "man.lint.man.$p"
	else
		t_fail "man.lint.man.$p" "$out"
	fi
done
t_done
