#!/bin/bash
# contrib/ for a fleet: the alert rules pass promtool's check and their unit
# tests (each alert fires on sample series, and stays quiet where it should);
# the Grafana dashboard is JSON with what provisioning needs, every query
# parses as PromQL, and every metric the rules and the dashboard use is one
# blkpriod serves (read from its source, so a renamed metric fails here).
. "$(dirname "$0")/../lib.sh"

rules=$TOP/contrib/prometheus/alerts.yml
dash=$TOP/contrib/grafana/blkprio.json

# the names the daemon writes: every blkprio_* in its metrics code, with
# share control's printf pattern expanded to its two names
served() {
	local src="$TOP/userspace/daemon $TOP/userspace/latency/prom.c"
	grep -rhoE 'blkprio_[a-z0-9_]+' $src | grep -v '_$'
	sed -n 's/.*names\[\] = { "\([a-z]*\)", "\([a-z]*\)" }.*/blkprio_share_\1_ratio\nblkprio_share_\2_ratio/p' \
		"$TOP/userspace/daemon/share.c"
}
served | sort -u >"$T/served"

# used FILE...: the blkprio_* names in queries, histogram suffixes taken off
used() {
	grep -ohE 'blkprio_[a-z0-9_]+' "$@" |
		sed -E 's/_(bucket|sum|count)$//' | sort -u
}

# unknown FILE: used names the daemon does not serve
unknown() {
	used "$1" | grep -vxFf "$T/served"
}

if ! command -v promtool >/dev/null; then
	t_skip prometheus.rules "promtool not installed (Debian package prometheus)"
else
	out=$(promtool check rules "$rules" 2>&1) &&
		t_ok prometheus.rules_check || t_fail prometheus.rules_check "$out"
	out=$(cd "$TOP/contrib/prometheus" && promtool test rules alerts_test.yml 2>&1) &&
		t_ok prometheus.rules_unit_tests || t_fail prometheus.rules_unit_tests "$out"
	# the rules' own unit tests fail when an alert's expression breaks
	sed 's/> 0.10 \* blkprio_share_promised_ratio/> 0.30 * blkprio_share_promised_ratio/' \
		"$rules" >"$T/alerts.yml"
	cp "$TOP/contrib/prometheus/alerts_test.yml" "$T/"
	out=$(cd "$T" && promtool test rules alerts_test.yml 2>&1) &&
		t_fail prometheus.rules_unit_tests_can_fail "a looser share rule passed" ||
		t_ok prometheus.rules_unit_tests_can_fail
fi
bad=$(unknown "$rules" | tr '\n' ' ')
[ -z "$bad" ] && t_ok prometheus.rules_metrics_served ||
	t_fail prometheus.rules_metrics_served "not served by blkpriod: $bad"
[ "$(used "$rules" | wc -l)" -ge 6 ] && t_ok prometheus.rules_use_metrics ||
	t_fail prometheus.rules_use_metrics "$(used "$rules")"

if ! command -v python3 >/dev/null; then
	t_skip grafana.dashboard "python3 not installed"
	t_done
	exit
fi
# provisioning's needs: title, uid, schemaVersion, panels with an id, a type,
# a title, a grid position, a data source and targets; the data source and
# the variables the queries use are defined
out=$(python3 - "$dash" "$T/exprs.yml" <<'EOF' 2>&1
import json, re, sys
d = json.load(open(sys.argv[1]))
errs = []
for k in ("title", "uid", "schemaVersion", "panels", "templating"):
    if k not in d:
        errs.append("no " + k)
names = {v["name"] for v in d.get("templating", {}).get("list", [])}
if "datasource" not in names:
    errs.append("no datasource variable")
ids, rules = set(), []
for p in d.get("panels", []):
    t = p.get("title", "?")
    for k in ("id", "type", "title", "gridPos", "datasource", "targets"):
        if k not in p:
            errs.append("panel %s: no %s" % (t, k))
    if p.get("id") in ids:
        errs.append("panel %s: id %s twice" % (t, p.get("id")))
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "xywh") or g.get("x", 0) + g.get("w", 0) > 24:
        errs.append("panel %s: gridPos %s" % (t, g))
    for q in p.get("targets", []):
        e = q.get("expr", "")
        for v in re.findall(r"\$(\w+)", e):
            if v not in names and not v.startswith("__"):
                errs.append("panel %s: undefined $%s" % (t, v))
        rules.append(e)
for v in d["templating"]["list"]:
    if v["type"] == "query":
        m = re.match(r"label_values\((.*), *\w+\)$", v["definition"])
        if not m:
            errs.append("variable %s: %s" % (v["name"], v["definition"]))
        else:
            rules.append(m.group(1))
# as recording rules, Grafana's variables made concrete, for promtool
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(rules):
        e = e.replace("$__rate_interval", "5m")
        e = re.sub(r"\$\w+", ".*", e)
        f.write("      - record: dashboard:q%d\n        expr: %s\n" % (i, json.dumps(e)))
print("\n".join(errs))
sys.exit(1 if errs else 0)
EOF
)
[ $? = 0 ] && t_ok grafana.dashboard_fields || t_fail grafana.dashboard_fields "$out"
if command -v promtool >/dev/null; then
	out=$(promtool check rules "$T/exprs.yml" 2>&1) && [ "$(grep -c 'record:' "$T/exprs.yml")" -ge 8 ] &&
		t_ok grafana.queries_parse || t_fail grafana.queries_parse "$out"
fi
bad=$(unknown "$dash" | tr '\n' ' ')
[ -z "$bad" ] && t_ok grafana.metrics_served || t_fail grafana.metrics_served "not served by blkpriod: $bad"
# the dashboard shows what the issue asks: shares, latency, IOPS, MB/s, levers
for m in blkprio_share_promised_ratio blkprio_share_realized_ratio blkprio_io_latency_seconds \
	 blkprio_io_operations_total blkprio_io_bytes_total blkprio_device_lever; do
	grep -q "$m" "$dash" || miss="$miss $m"
done
grep -q '"type": "heatmap"' "$dash" || miss="$miss heatmap"
[ -z "$miss" ] && t_ok grafana.panels_cover || t_fail grafana.panels_cover "missing:$miss"
t_done
