#!/bin/bash
# What an administrator reads: projects by county, sector and level; one
# project with its milestones; the milestones that are overdue in a county
# — in a table that lines up Chinese text, as JSON and as CSV.
. "$top_srcdir/tests/integration/lib.sh"

create_db
write_config
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
for kind in projects milestones plans reports; do
    kpctl import $kind "$DEMO/$kind.csv" >/dev/null || fail "import $kind"
done

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
stop_daemon
