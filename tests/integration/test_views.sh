#!/bin/bash
# What an administrator reads: projects by county, sector and level; one
# project with its milestones; the milestones that are overdue in a county
# — in a table that lines up Chinese text, as JSON and as CSV.
. "$top_srcdir/tests/integration/lib.sh"

create_demo_db      # the demo ledger, imported
write_config
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready

# Filters take Chinese or English values and agree with SQL.
n=$(kpctl --json projects --county 涧西区 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "projects --county" "$(sql "SELECT count(*) FROM project p JOIN county c ON c.id = p.county_id WHERE c.name = '涧西区'")" "$n"
a=$(kpctl --json projects --sector 产业 --level 省 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
b=$(kpctl --json projects --sector industry --level province | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "Chinese and English filter values agree" "$a" "$b"
expect_eq "projects --sector --level" "$(sql "SELECT count(*) FROM project WHERE sector = 'industry' AND level = 'province'")" "$a"
c=$(kpctl --json projects --category 续建 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), all(r["category"]=="continuing" for r in d))')
expect_eq "projects --category" "$(sql "SELECT count(*) FROM project WHERE category = 'continuing'") True" "$c"

# The table lines up: every row as wide as the header (CJK = 2 columns).
kpctl projects --county 涧西区 > "$T_DIR/table.txt"
widths=$(python3 - "$T_DIR/table.txt" <<'PY'
import sys, unicodedata
def cells(line):
    # display column -> character, CJK wide and fullwidth taking two
    out = []
    for ch in line:
        out.append(ch)
        if unicodedata.east_asian_width(ch) in "WF":
            out.append("")
    return out
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
lines = [l for l in lines if l.strip() and not l.startswith("(")]
dash = lines[1]
starts = [i for i, ch in enumerate(dash) if ch == "-" and (i == 0 or dash[i - 1] == " ")]
bad = 0
for l in lines[2:]:
    c = cells(l)
    for s in starts[1:]:
        # the column before each start is the gap: blank on every row
        if s - 1 < len(c) and c[s - 1] not in (" ",):
            bad += 1
            break
print(len(lines) - 2, bad)
PY
)
expect_eq "table rows start where the header says" "$n 0" "$widths"

# One project with its milestones, overdue ones marked as such.
code=$(sql "SELECT p.code FROM project p JOIN milestone m ON m.project_id = p.id WHERE m.status = 'pending' AND m.due_on < '2026-11-25' LIMIT 1")
out=$(kpctl --json project "$code")
expect_eq "project shows its code" "$code" "$(echo "$out" | field code)"
nm=$(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["milestones"]), sum(m["status"]=="overdue" for m in d["milestones"]))')
expect_eq "project shows its milestones and overdue ones" \
    "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE m.status = 'pending' AND m.due_on < '2026-11-25') FROM milestone m JOIN project p ON p.id = m.project_id WHERE p.code = '$code'")" "$nm"
expect_contains "project table shows the milestones" "milestones:" "$(kpctl project "$code")"

# Every overdue milestone of a county, as the daemon's clock sees the day.
county=$(sql "SELECT c.name FROM milestone m JOIN project p ON p.id = m.project_id JOIN county c ON c.id = p.county_id WHERE m.status = 'pending' AND m.due_on < '2026-11-25' GROUP BY c.name ORDER BY count(*) DESC LIMIT 1")
n=$(kpctl --json milestones --status overdue --county "$county" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), all(r["status"]=="overdue" and r["due"] < "2026-11-25" for r in d))')
expect_eq "milestones --status overdue --county" \
    "$(sql "SELECT count(*) FROM milestone m JOIN project p ON p.id = m.project_id JOIN county c ON c.id = p.county_id WHERE m.status = 'pending' AND m.due_on < '2026-11-25' AND c.name = '$county'") True" "$n"
n=$(kpctl --json milestones --campaign 2026-B6 --status 逾期 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(all(r["campaign"]=="2026-B6" for r in d))')
expect_eq "milestones --campaign with a Chinese status" True "$n"
# --done-from/--done-to: done within those days, both counted (dates as
# the import reads them); the boundary days hold done milestones here.
n=$(kpctl --json milestones --status done --done-from 2026-11-02 --done-to 2026年11月19日 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), all("2026-11-02" <= r["done_on"] <= "2026-11-19" for r in d))')
expect_eq "milestones --done-from --done-to: the days both counted" \
    "$(sql "SELECT count(*) FROM milestone WHERE status = 'done' AND done_on BETWEEN '2026-11-02' AND '2026-11-19'") True" "$n"
expect_eq "… the boundary days have done milestones (else the test proves nothing)" "t" \
    "$(sql "SELECT count(*) FILTER (WHERE done_on = '2026-11-02') > 0 AND count(*) FILTER (WHERE done_on = '2026-11-19') > 0 FROM milestone WHERE status = 'done'")"
n=$(kpctl --json milestones --done-to 2026-03-31 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), all(r["done_on"] <= "2026-03-31" for r in d))')
expect_eq "milestones --done-to alone" "$(sql "SELECT count(*) FROM milestone WHERE done_on <= '2026-03-31'") True" "$n"

# pending: not done and not yet overdue (the overdue ones have their own filter)
n=$(kpctl --json milestones --status 未完成 --county "$county" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), all(r["status"]=="pending" and r["due"] >= "2026-11-25" for r in d))')
expect_eq "milestones --status pending --county: not yet due" \
    "$(sql "SELECT count(*) FROM milestone m JOIN project p ON p.id = m.project_id JOIN county c ON c.id = p.county_id WHERE m.status = 'pending' AND m.due_on >= '2026-11-25' AND c.name = '$county'") True" "$n"

# CSV output parses back to the same rows as JSON.
kpctl --csv milestones --county "$county" > "$T_DIR/m.csv"
kpctl --json milestones --county "$county" > "$T_DIR/m.json"
same=$(python3 - "$T_DIR/m.csv" "$T_DIR/m.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
js = json.load(open(sys.argv[2], encoding="utf-8"))
print(len(rows) == len(js) and all(r["title"] == j["title"] and r["project"] == j["project"] for r, j in zip(rows, js)))
PY
)
expect_eq "CSV and JSON agree" True "$same"
# ---- every filter, on every listing, in each form, against SQL -----------------
kpctl scan >/dev/null || fail "scan"    # the lights settle

# forms ARGS… — the number of rows as JSON, as CSV and as a table: "J C T".
forms() {
    local j c t
    j=$(kpctl --json "$@" | py 'len(d)') || fail "$* --json"
    c=$(kpctl --csv "$@" | python3 -c 'import csv, sys; print(len(list(csv.DictReader(sys.stdin))))') || fail "$* --csv"
    t=$(kpctl "$@" | sed -n 's/^(\([0-9]*\) rows\{0,1\})$/\1/p; s/^(no rows)$/0/p') || fail "$* (table)"
    echo "$j $c $t"
}
thrice() { echo "$1 $1 $1"; }

P_FROM="FROM project p JOIN county co ON co.id = p.county_id LEFT JOIN unit pu ON pu.id = p.unit_id
        LEFT JOIN person l ON l.id = p.leader_id"
M_FROM="FROM milestone m JOIN project p ON p.id = m.project_id JOIN county co ON co.id = p.county_id
        JOIN campaign cp ON cp.id = m.campaign_id LEFT JOIN unit mu ON mu.id = m.unit_id
        LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
OVERDUE="m.status = 'pending' AND m.due_on < '2026-11-25'"
DUE30="m.status = 'pending' AND m.due_on BETWEEN '2026-11-25' AND '2026-12-25'"

# One value per filter that keeps some rows but not all.
F_COUNTY=$(sql "SELECT co.name $P_FROM GROUP BY co.name ORDER BY count(*) DESC, co.name LIMIT 1")
F_UNIT=$(sql "SELECT coalesce(mu.name, pu.name) $M_FROM WHERE $OVERDUE GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
F_LEADER=$(sql "SELECT l.name $P_FROM WHERE l.name IS NOT NULL GROUP BY l.name ORDER BY count(*) DESC, l.name LIMIT 1")
F_LIGHT=$(sql "SELECT light $P_FROM WHERE light IS NOT NULL GROUP BY light ORDER BY count(*) FILTER (WHERE light <> 'green') DESC LIMIT 1")
F_LIGHT_ZH=$(case "$F_LIGHT" in red) echo 红灯 ;; yellow) echo 黄 ;; *) echo 绿 ;; esac)
[ -n "$F_COUNTY" ] && [ -n "$F_UNIT" ] && [ -n "$F_LEADER" ] && [ -n "$F_LIGHT" ] || fail "the demo data lacks a filter value"
# option | value as typed (Chinese where the import takes it) | the SQL condition
FILTERS=(
    "county|$F_COUNTY|co.name = '$F_COUNTY'"
    "sector|民生|p.sector = 'livelihood'"
    "level|省|p.level = 'province'"
    "leader|$F_LEADER|l.name = '$F_LEADER'"
    "light|$F_LIGHT_ZH|p.light = '$F_LIGHT'"
)
total_p=$(sql "SELECT count(*) FROM project")
for f in "${FILTERS[@]}" "unit|$F_UNIT|pu.name = '$F_UNIT'" \
         "campaign|2026年第6期|EXISTS (SELECT 1 FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE m.project_id = p.id AND c.code = '2026-B6')"; do
    IFS='|' read -r opt val cond <<< "$f"
    want=$(sql "SELECT count(*) $P_FROM WHERE $cond")
    [ "$want" -gt 0 ] && [ "$want" -lt "$total_p" ] || fail "projects --$opt $val: SQL keeps $want of $total_p"
    expect_eq "projects --$opt $val (JSON, CSV, table)" "$(thrice "$want")" "$(forms projects --"$opt" "$val")"
done
for f in "${FILTERS[@]}" "unit|$F_UNIT|coalesce(mu.name, pu.name) = '$F_UNIT'" "campaign|2026-B6|cp.code = '2026-B6'"; do
    IFS='|' read -r opt val cond <<< "$f"
    expect_eq "milestones --$opt $val (JSON, CSV, table)" \
        "$(thrice "$(sql "SELECT count(*) $M_FROM WHERE $cond")")" "$(forms milestones --"$opt" "$val")"
    want=$(sql "SELECT count(*) $M_FROM WHERE $OVERDUE AND $cond")
    [ "$want" -gt 0 ] || fail "overdue --$opt $val: SQL keeps none"
    expect_eq "overdue --$opt $val (JSON, CSV, table)" "$(thrice "$want")" "$(forms overdue --"$opt" "$val")"
    expect_eq "due --within 30 --$opt $val (JSON, CSV, table)" \
        "$(thrice "$(sql "SELECT count(*) $M_FROM WHERE $DUE30 AND $cond")")" "$(forms due --within 30 --"$opt" "$val")"
done
expect_eq "filters combine: overdue --county --light --level" \
    "$(thrice "$(sql "SELECT count(*) $M_FROM WHERE $OVERDUE AND co.name = '$F_COUNTY' AND p.light = '$F_LIGHT' AND p.level = 'city'")")" \
    "$(forms overdue --county "$F_COUNTY" --light "$F_LIGHT" --level city)"
expect_eq "--light $F_LIGHT_ZH and --light $F_LIGHT agree" \
    "$(kpctl --json projects --light "$F_LIGHT" | md5sum)" "$(kpctl --json projects --light "$F_LIGHT_ZH" | md5sum)"

# A value nobody uses is an error that says so, never an empty table.
run projects --light purple
expect_eq "--light purple is a usage error" 2 "$rc"
expect_contains "… listing the lights" "红, 黄, 绿" "$err"
run overdue --level foo
expect_eq "--level foo is a usage error" 2 "$rc"
expect_contains "… listing the levels" "省, 市" "$err"
run due --sector 航天
expect_eq "--sector 航天 is a usage error" "2 True" "$rc $(case "$err" in *产业*) echo True ;; esac)"
run milestones --done-from 11月后
expect_eq "--done-from 11月后 is a usage error" 2 "$rc"
expect_contains "… naming the option and the dates it reads" "--done-from '11月后' is not a date (like 2026-11-02" "$err"
run milestones --done-from 2026-12-06 --done-to 2026/11/30
expect_eq "--done-from after --done-to is a usage error, not an empty table" 2 "$rc"
expect_contains "… saying so" "--done-from 2026-12-06 is after --done-to 2026-11-30" "$err"
run milestones --county 涧西
expect_eq "--county 涧西 (no such county) is refused" "1 not_found" "$rc $(echo "$out" | field code)"
expect_contains "… naming it" "no county '涧西'" "$err"
run overdue --leader 无名氏
expect_eq "--leader nobody is refused" "1 no leader '无名氏'" "$rc $(echo "$err" | grep -o "no leader '无名氏'")"
run projects --unit 无此单位
expect_eq "--unit nobody is refused" 1 "$rc"
run projects --campaign 2099-B1
expect_eq "--campaign 2099-B1 is refused" 1 "$rc"
stop_daemon
