#!/bin/bash
# The administrator's week at the project office (项目办): on 2026-11-25 she
# opens the overdue list, marks what was finished, waives what no longer
# applies, moves a deadline, takes back a mistake, types in a late monthly
# report and records a project's start and completion — each change
# audited with her name and the request, each refusal clear and audited
# too, and an operator who may look but not touch.
. "$top_srcdir/tests/integration/lib.sh"

TODAY=2026-11-25
me=$(id -un)

# dec EXPR — exact decimal arithmetic on amounts (D is Decimal), printed
# the way trim_scale prints them: 1234.5, 1200.
dec() {
    python3 -c 'import sys
from decimal import Decimal as D
print(format(eval(sys.argv[1]).normalize(), "f"))' "$1"
}

audits() {      # the writes audited (a refused request is audited too, as control.refused)
    sql "SELECT count(*) FROM audit_log WHERE action <> 'control.refused'"
}

# last_audit SUBJECT COLUMNS — the newest audit row about SUBJECT.
last_audit() {
    sql "SELECT $2 FROM audit_log WHERE subject = '$1' ORDER BY id DESC LIMIT 1"
}

create_demo_db      # the demo ledger, imported
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready

# ---- the overdue list -----------------------------------------------------

OVERDUE_SQL="FROM milestone m JOIN project p ON p.id = m.project_id JOIN county c ON c.id = p.county_id
             WHERE m.status = 'pending' AND m.due_on < '$TODAY'"
run overdue
expect_eq "overdue lists every pending milestone past its date" \
    "$(sql "SELECT count(*) $OVERDUE_SQL")" "$(echo "$out" | py 'len(d)')"
expect_eq "most overdue first, days counted from the due date" True \
    "$(echo "$out" | py 'all(a["days_overdue"] >= b["days_overdue"] for a, b in zip(d, d[1:])) and d[0]["days_overdue"] > d[-1]["days_overdue"]')"
m1=$(echo "$out" | py 'd[0]["id"]')
expect_eq "the first row is the oldest deadline" \
    "$(sql "SELECT m.id || ' ' || ('$TODAY'::date - m.due_on) $OVERDUE_SQL ORDER BY m.due_on, c.name, p.code, m.id LIMIT 1")" \
    "$(echo "$out" | py 'str(d[0]["id"]) + " " + str(d[0]["days_overdue"])')"
expect_eq "rows name project, county, unit and leader" \
    "$(sql "SELECT p.code || '|' || c.name || '|' || coalesce(mu.name, pu.name) || '|' || l.name
            FROM milestone m JOIN project p ON p.id = m.project_id JOIN county c ON c.id = p.county_id
            LEFT JOIN unit mu ON mu.id = m.unit_id LEFT JOIN unit pu ON pu.id = p.unit_id
            JOIN person l ON l.id = p.leader_id WHERE m.id = $m1")" \
    "$(echo "$out" | py '"|".join(str(d[0][k]) for k in ("project", "county", "unit", "leader"))')"

county=$(sql "SELECT c.name $OVERDUE_SQL GROUP BY c.name ORDER BY count(*) DESC LIMIT 1")
run overdue --county "$county"
expect_eq "overdue --county agrees with SQL, row for row" \
    "$(sql "SELECT string_agg(m.id::text, ',' ORDER BY m.id) $OVERDUE_SQL AND c.name = '$county'")" \
    "$(echo "$out" | py '",".join(str(i) for i in sorted(r["id"] for r in d))')"
a=$(kpctl --json overdue --sector 产业 | py 'len(d)')
expect_eq "overdue --sector in Chinese or English" "$(kpctl --json overdue --sector industry | py 'len(d)')" "$a"
expect_eq "overdue --sector agrees with SQL" "$(sql "SELECT count(*) $OVERDUE_SQL AND p.sector = 'industry'")" "$a"
leader=$(sql "SELECT l.name FROM milestone m JOIN project p ON p.id = m.project_id JOIN person l ON l.id = p.leader_id
              WHERE m.status = 'pending' AND m.due_on < '$TODAY' GROUP BY l.name ORDER BY count(*) DESC LIMIT 1")
expect_eq "overdue --leader agrees with SQL" \
    "$(sql "SELECT count(*) $OVERDUE_SQL AND p.leader_id IN (SELECT id FROM person WHERE name = '$leader')")" \
    "$(kpctl --json overdue --leader "$leader" | py 'len(d)')"
run overdue --campaign 2026年第5期 --county "$county"
expect_eq "overdue --campaign takes 2026年第5期 for 2026-B5" \
    "$(sql "SELECT count(*) $OVERDUE_SQL AND c.name = '$county'
            AND m.campaign_id = (SELECT id FROM campaign WHERE code = '2026-B5')") True" \
    "$(echo "$out" | py 'str(len(d)) + " " + str(all(r["campaign"] == "2026-B5" for r in d))')"
run overdue --sector 航天
expect_eq "an unknown sector is a usage error (exit 2)" 2 "$rc"
expect_contains "and says what is expected" "unknown value '航天'" "$err"
run projects --status 烂尾
expect_eq "an unknown project status is a usage error (exit 2)" 2 "$rc"
expect_contains "…naming it and the choices" "--status: unknown value '烂尾' (expected one of" "$err"
run milestones --status later
expect_eq "an unknown milestone status is a usage error (exit 2)" 2 "$rc"
expect_contains "…naming it" "--status: unknown value 'later'" "$err"

# ---- done -------------------------------------------------------------------

before_audits=$(audits)
overdue0=$(status_field milestones_overdue)
done0=$(status_field milestones_done)
run done "$m1" --note "现场核实已完成"
expect_eq "done succeeds" 0 "$rc"
expect_eq "done today by default, as the daemon's clock sees the day" "done $TODAY" \
    "$(echo "$out" | py 'd["status"] + " " + d["done_on"]')"
expect_eq "stored with the note" "done|$TODAY|现场核实已完成" \
    "$(sql "SELECT status || '|' || done_on || '|' || note FROM milestone WHERE id = $m1")"
expect_eq "it left the overdue list" False "$(kpctl --json overdue | py "$m1 in [r['id'] for r in d]")"
expect_eq "status: one fewer overdue" $((overdue0 - 1)) "$(status_field milestones_overdue)"
expect_eq "status: one more done" $((done0 + 1)) "$(status_field milestones_done)"
expect_eq "one audit row for one change" $((before_audits + 1)) "$(audits)"
expect_eq "audit: who, what, old and new, result" \
    "$me|milestone.done|pending|done|$TODAY|现场核实已完成|ok" \
    "$(last_audit "milestone:$m1" "actor || '|' || action || '|' || (old->>'status') || '|' || (new->>'status')
                                   || '|' || (new->>'done_on') || '|' || (new->>'note') || '|' || result")"
req=$(grep -E 'cmd="?done"? result=ok' "$T_LOG" | tail -n 1 | sed -n 's/.*req=\([0-9]*\).*/\1/p')
expect_eq "audit carries the request id the daemon logged" "$req" "$(last_audit "milestone:$m1" request_id)"

run done "$m1"
expect_eq "done twice is refused (exit 1)" "1 milestone $m1 is already done (on $TODAY)" \
    "$rc $err"
expect_eq "the refusal is audited with its reason" "invalid: milestone $m1 is already done (on $TODAY)" \
    "$(last_audit "milestone:$m1" result)"

m2=$(kpctl --json overdue | py 'd[1]["id"]')
run done "$m2" --date 2026-12-01
expect_eq "a done date in the future is refused" 1 "$rc"
expect_contains "with the day it is" "done date 2026-12-01 is in the future (today is $TODAY)" "$err"
start=$(sql "SELECT c.starts_on FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE m.id = $m2")
early=$(sql "SELECT ('$start'::date - 1)::text")
run done "$m2" --date "$early"
expect_contains "a done date before the campaign is refused" "before campaign" "$err"
expect_eq "refusals leave the milestone pending" pending "$(sql "SELECT status FROM milestone WHERE id = $m2")"
day=$(sql "SELECT to_char(greatest(c.starts_on, m.due_on - 3), 'YYYY\"年\"FMMM\"月\"FMDD\"日\"')
           FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE m.id = $m2")
run done "$m2" --date "$day"
expect_eq "done --date takes 2026年11月2日 too" "0 $(sql "SELECT greatest(c.starts_on, m.due_on - 3)
    FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE m.id = $m2")" \
    "$rc $(sql "SELECT done_on FROM milestone WHERE id = $m2")"

n=$(audits)
run done abc
expect_eq "a malformed id is a usage error (exit 2)" 2 "$rc"
expect_contains "naming the argument" "milestone ID must be a whole number" "$err"
expect_eq "a usage error never reaches the write functions" "$n" "$(audits)"
expect_eq "… and is audited as a refusal" "usage" \
    "$(sql "SELECT new->>'code' FROM audit_log WHERE action = 'control.refused' ORDER BY id DESC LIMIT 1")"
run done 99999999
expect_eq "an unknown id is not_found (exit 1)" "1 not_found no milestone 99999999" \
    "$rc $(echo "$out" | py 'd["code"]') $err"
expect_eq "audited too" "not_found: no milestone 99999999" "$(last_audit milestone:99999999 result)"

# ---- waive ------------------------------------------------------------------

m3=$(kpctl --json overdue | py 'd[0]["id"]')
run waive "$m3"
expect_eq "waive without a reason is a usage error" 2 "$rc"
expect_contains "that says what is missing" "waive needs --reason TEXT" "$err"
run waive "$m3" --reason "　 "
expect_eq "a blank reason (even a full-width blank) is no reason" 2 "$rc"
run waive "$m3" --reason "规划调整，该节点取消"
expect_eq "waive with a reason" "0 waived" "$rc $(echo "$out" | py 'd["status"]')"
expect_eq "the reason is kept" "waived|规划调整，该节点取消" \
    "$(sql "SELECT status || '|' || waived_reason FROM milestone WHERE id = $m3")"
expect_eq "waive audited" "milestone.waive|pending|waived|规划调整，该节点取消|ok" \
    "$(last_audit "milestone:$m3" "action || '|' || (old->>'status') || '|' || (new->>'status') || '|' || (new->>'waived_reason') || '|' || result")"
run waive "$m1" --reason "x"
expect_contains "a done milestone cannot be waived" "milestone $m1 is already done (on $TODAY): reopen it first" "$err"

# ---- reschedule -------------------------------------------------------------

m4=$(sql "SELECT m.id FROM milestone m JOIN campaign c ON c.id = m.campaign_id
          WHERE c.code = '2026-B6' AND m.status = 'pending' AND m.due_on BETWEEN '2026-11-26' AND '2026-12-15'
          ORDER BY m.id LIMIT 1")
old_due=$(sql "SELECT due_on FROM milestone WHERE id = $m4")
run reschedule "$m4" 2026-12-28
expect_eq "reschedule without a reason is a usage error" 2 "$rc"
run reschedule "$m4" 2026/12/28 --reason "设备到货延迟"
expect_eq "reschedule inside the campaign" "0 2026-12-28 2026-B6" "$rc $(echo "$out" | py 'd["due"] + " " + d["campaign"]')"
expect_eq "audited with old and new date and the reason" "$old_due|2026-12-28|设备到货延迟|ok" \
    "$(last_audit "milestone:$m4" "(old->>'due_on') || '|' || (new->>'due_on') || '|' || (new->>'reason') || '|' || result")"
run reschedule "$m4" 2027-01-15 --reason "跨年"
expect_eq "a date outside the campaign is refused" 1 "$rc"
expect_contains "and the way out is named" "outside campaign 2026-B6 (2026-11-01 to 2026-12-31): give a date inside it, or add --move to move the milestone to 2027-B1" "$err"
expect_eq "the refused reschedule changed nothing" 2026-12-28 "$(sql "SELECT due_on FROM milestone WHERE id = $m4")"
run reschedule "$m4" 2027-01-15 --reason "跨年" --move
expect_eq "--move takes it to the campaign holding the date" "0 2027-01-15 2027-B1" \
    "$rc $(echo "$out" | py 'd["due"] + " " + d["campaign"]')"
expect_eq "the new campaign exists with its window" "2027-01-01|2027-02-28" \
    "$(sql "SELECT starts_on || '|' || ends_on FROM campaign WHERE code = '2027-B1'")"
expect_eq "the move is audited as old and new campaign" "2026-B6|2027-B1" \
    "$(last_audit "milestone:$m4" "(old->>'campaign') || '|' || (new->>'campaign')")"
run reschedule "$m1" 2026-12-20 --reason x
expect_contains "a done milestone cannot be rescheduled" "is already done (on $TODAY): reopen it first" "$err"

# ---- reopen -----------------------------------------------------------------

run reopen "$m1"
expect_eq "reopen a done milestone" "0 overdue" "$rc $(echo "$out" | py 'd["status"]')"
expect_eq "pending again, completion date cleared" "pending|" \
    "$(sql "SELECT status || '|' || coalesce(done_on::text, '') FROM milestone WHERE id = $m1")"
expect_eq "back on the overdue list" True "$(kpctl --json overdue | py "$m1 in [r['id'] for r in d]")"
expect_eq "reopen audited" "milestone.reopen|done|$TODAY|pending|ok" \
    "$(last_audit "milestone:$m1" "action || '|' || (old->>'status') || '|' || (old->>'done_on') || '|' || (new->>'status') || '|' || result")"
run reopen "$m3"
expect_eq "reopen a waived one clears the waiver" "0 pending|" \
    "$rc $(sql "SELECT status || '|' || coalesce(waived_reason, '') FROM milestone WHERE id = $m3")"
run reopen "$m3"
expect_eq "reopen of a pending milestone is refused" 1 "$rc"
expect_contains "saying what it is" "milestone $m3 is not done or waived (it is pending, due" "$err"

# ---- monthly report ---------------------------------------------------------

code=$(sql "SELECT p.code FROM project p WHERE (SELECT count(*) FROM investment_report r WHERE r.project_id = p.id
            AND r.month IN ('2026-09-01', '2026-10-01')) = 2
            AND NOT EXISTS (SELECT 1 FROM investment_report r WHERE r.project_id = p.id AND r.month = '2026-11-01')
            ORDER BY p.code LIMIT 1")
ytd() {   # ytd MONTH → the stored year to date of $code for that month
    sql "SELECT trim_scale(r.ytd) FROM investment_report r JOIN project p ON p.id = r.project_id
         WHERE p.code = '$code' AND r.month = '$1-01'"
}
oct=$(ytd 2026-10)
run report "$code" 2026年11月 1,234.5 --progress "主体结构施工至5层"
expect_eq "report a month given as 2026年11月 with 1,234.5 万元" 0 "$rc"
expect_eq "ytd = October's ytd + this month" "$(dec "D('$oct') + D('1234.5')")" "$(ytd 2026-11)"
expect_eq "the answer shows the same" "$(ytd 2026-11)" "$(dec "D('$(echo "$out" | py 'd["ytd"]')')")"
expect_eq "reported by whom, with the progress text" "$me|主体结构施工至5层" \
    "$(sql "SELECT reported_by || '|' || progress FROM investment_report r JOIN project p ON p.id = r.project_id
            WHERE p.code = '$code' AND r.month = '2026-11-01'")"
expect_eq "a new month is audited without an old side" "|1234.5|report.submit" \
    "$(last_audit "report:$code/2026-11" "coalesce(old::text, '') || '|' || (new->>'amount') || '|' || action")"

sep_amount=$(sql "SELECT trim_scale(r.amount) FROM investment_report r JOIN project p ON p.id = r.project_id
                  WHERE p.code = '$code' AND r.month = '2026-09-01'")
sep=$(ytd 2026-09)
oct_amount=$(sql "SELECT trim_scale(r.amount) FROM investment_report r JOIN project p ON p.id = r.project_id
                  WHERE p.code = '$code' AND r.month = '2026-10-01'")
run report "$code" 2026-09 "$(dec "D('$sep_amount') + 100")"
expect_eq "a corrected September moves September's ytd" "$(dec "D('$sep') + 100")" "$(ytd 2026-09)"
expect_eq "… and October's, from September's" "$(dec "D('$(ytd 2026-09)') + D('$oct_amount')")" "$(ytd 2026-10)"
expect_eq "… and November's, from October's" "$(dec "D('$(ytd 2026-10)') + D('1234.5')")" "$(ytd 2026-11)"
expect_eq "later months appear in the same audit row" "$(ytd 2026-11)" \
    "$(last_audit "report:$code/2026-09" "new->'later_ytd'->>'2026-11'")"
n=$(audits)
run report "$code" 2026-09 "$(dec "D('$sep_amount') + 100")"
expect_eq "the same report again changes nothing" "0 False" "$rc $(echo "$out" | py 'd["changed"]')"
expect_eq "… and is audited as an empty change" "$((n + 1)) {}" "$(audits) $(last_audit "report:$code/2026-09" new)"
run report "$code" 2026-12 100
expect_eq "a month that has not begun is refused" 1 "$rc"
expect_contains "with the day it is" "month 2026-12 has not begun (today is $TODAY)" "$err"
run report "$code" 2026-10 -5
expect_eq "a negative amount is a usage error" 2 "$rc"
run report NO-SUCH-CODE 2026-10 5
expect_eq "an unknown project is not_found" "1 not_found no project with code 'NO-SUCH-CODE'" \
    "$rc $(echo "$out" | py 'd["code"]') $err"

# ---- project start and completion -------------------------------------------

pcode=$(sql "SELECT code FROM project WHERE status = 'preliminary' AND actual_start IS NULL ORDER BY code LIMIT 1")
run complete "$pcode" 2026-11-20
expect_eq "completing a project that never started is refused" 1 "$rc"
expect_contains "and says what to do" "project $pcode has not started: record its start first" "$err"
run start "$pcode" 2026-11-30
expect_contains "a start in the future is refused" "start date 2026-11-30 is in the future" "$err"
run start "$pcode" 2026-11-10
expect_eq "start" "0 building 2026-11-10" "$rc $(echo "$out" | py 'd["status"] + " " + d["actual_start"]')"
expect_eq "start audited" "project.start|preliminary|building|2026-11-10|ok" \
    "$(last_audit "project:$pcode" "action || '|' || (old->>'status') || '|' || (new->>'status') || '|' || (new->>'actual_start') || '|' || result")"
run start "$pcode" 2026-11-12
expect_contains "starting twice is refused" "project $pcode already started on 2026-11-10" "$err"
run complete "$pcode" 2026-11-01
expect_contains "completion before the start is refused" "completion date 2026-11-01 is before the project's start date 2026-11-10" "$err"
run complete "$pcode" 2026-11-24
expect_eq "complete" "0 completed|2026-11-24" \
    "$rc $(sql "SELECT status || '|' || actual_end FROM project WHERE code = '$pcode'")"
run complete "$pcode" 2026-11-25
expect_contains "completing twice is refused" "project $pcode is already completed (on 2026-11-24)" "$err"
run start "$pcode" 2026-11-24
expect_contains "a completed project cannot start again" "is already completed" "$err"
run start NO-SUCH-CODE 2026-11-01
expect_eq "start of an unknown project is not_found" 1 "$rc"
run start "$pcode" 2026-02-30
expect_eq "a day that does not exist is a usage error" 2 "$rc"

# ---- due soon ---------------------------------------------------------------

DUE_SQL="FROM milestone m WHERE m.status = 'pending' AND m.due_on BETWEEN '$TODAY' AND '$TODAY'::date"
run due --within 3
expect_eq "due --within 3 agrees with SQL, row for row" \
    "$(sql "SELECT string_agg(m.id::text, ',' ORDER BY m.id) $DUE_SQL + 3")" \
    "$(echo "$out" | py '",".join(str(i) for i in sorted(r["id"] for r in d))')"
expect_eq "days left counted from today, soonest first" True \
    "$(echo "$out" | py 'len(d) > 0 and all(0 <= r["days_left"] <= 3 for r in d) and [r["due"] for r in d] == sorted(r["due"] for r in d)')"
expect_eq "due defaults to 7 days" "$(sql "SELECT count(*) $DUE_SQL + 7")" "$(kpctl --json due | py 'len(d)')"
run due --within -1
expect_eq "a negative window is a usage error" 2 "$rc"

# ---- the same rows as a table, JSON and CSV ---------------------------------

kpctl --csv overdue --county "$county" > "$T_DIR/overdue.csv"
kpctl --json overdue --county "$county" > "$T_DIR/overdue.json"
same=$(python3 - "$T_DIR/overdue.csv" "$T_DIR/overdue.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
js = json.load(open(sys.argv[2], encoding="utf-8"))
print(len(rows) > 0 and len(rows) == len(js)
      and all(r["id"] == str(j["id"]) and r["days_overdue"] == str(j["days_overdue"])
              and r["project_name"] == j["project_name"] for r, j in zip(rows, js)))
PY
)
expect_eq "overdue as CSV parses back to the JSON rows" True "$same"
expect_contains "the table has a header" "days_overdue" "$(kpctl overdue --county "$county" | head -n 1)"
stop_daemon || fail "keyprojd did not stop cleanly (see its log)"

# ---- an operator may look, not touch ----------------------------------------

T_ADMINS='' T_OPERATORS="\"$me\"" write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
n=$(audits)
run done "$m1"
expect_eq "an operator's done is denied (exit 1)" "1 denied" "$rc $(echo "$out" | py 'd["code"]')"
expect_contains "with the reason" "'done' needs the admin level; user $me has operator" "$err"
run report "$code" 2026-10 1
expect_contains "so is an operator's report" "'report' needs the admin level" "$err"
expect_eq "a denied write never reaches the database" "$n" "$(audits)"
expect_eq "the operator still sees the overdue list" "$(sql "SELECT count(*) $OVERDUE_SQL")" \
    "$(kpctl --json overdue | py 'len(d)')"
help=$(kpctl help)
expect_contains "help shows an operator the views" "overdue" "$help"
expect_not_contains "but not the writes" "reschedule" "$help"
stop_daemon || fail "keyprojd did not stop cleanly (see its log)"
