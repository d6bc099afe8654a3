#!/bin/bash
# The rest of the administrators' week at the project office (2026-11-25):
# the problem list (问题清单) with its time limits, the 联审联批 items, the
# supervision orders and their replies, the 双月攻坚 window with its
# targets against what was achieved, the audit trail, the ledger exported
# for Excel and taken back unchanged, and a configuration reload — each
# write audited with the request id, each refusal clear, and an operator
# who may look but not touch.
. "$top_srcdir/tests/integration/lib.sh"

TODAY=2026-11-25
me=$(id -un)

# Rows of writes and refused writes; refused requests (control.refused,
# tested in test_access.sh) are left out.
audits() {
    sql "SELECT count(*) FROM audit_log WHERE action <> 'control.refused'"
}

# last_audit SUBJECT COLUMNS — the newest audit row about SUBJECT.
last_audit() {
    sql "SELECT $2 FROM audit_log WHERE subject = '$1' ORDER BY id DESC LIMIT 1"
}

# logged_req CMD — the request id keyprojd logged for the last CMD that succeeded.
logged_req() {
    grep -E "cmd=\"?$1\"? result=ok" "$T_LOG" | tail -n 1 | sed -n 's/.*req=\([0-9]*\).*/\1/p'
}

# ids — the "id" members of the JSON rows on stdin, sorted, comma-separated.
ids() {
    py '",".join(str(i) for i in sorted(r["id"] for r in d))'
}

# csv_rows FILE — the number of data rows of a CSV file (header left out).
csv_rows() {
    python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""))) - 1)' "$1"
}

create_db
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready

# ---- import audit rows carry the request id --------------------------------

for kind in projects milestones plans reports; do
    kpctl import $kind "$DEMO/$kind.csv" >/dev/null || fail "import $kind"
    req=$(logged_req import)
    expect_eq "import $kind: every audit row carries the logged request id $req" \
        "$(sql "SELECT count(*) FROM audit_log WHERE action = 'import.$kind'") 1 $req" \
        "$(sql "SELECT count(*) || ' ' || count(DISTINCT request_id) || ' ' || min(request_id)
                FROM audit_log WHERE action = 'import.$kind' AND request_id IS NOT NULL")"
done
# (keyprojd's own rows, such as the scorecards a scan freezes, answer no request.)
expect_eq "no import audit row without a request id" 0 \
    "$(sql "SELECT count(*) FROM audit_log WHERE request_id IS NULL AND actor <> 'keyprojd'")"

# ---- problem add ------------------------------------------------------------

code1=$(sql "SELECT code FROM project ORDER BY code LIMIT 1")
county1=$(sql "SELECT c.name FROM project p JOIN county c ON c.id = p.county_id WHERE p.code = '$code1'")
unit=市自然资源和规划局测试科
expect_eq "the unit is new" 0 "$(sql "SELECT count(*) FROM unit WHERE name = '$unit'")"
n=$(audits)
run problem add "$code1" --category 用地 --severity 重大 --text "用地指标未落实，影响二期开工" --unit "$unit"
expect_eq "problem add in Chinese" 0 "$rc"
p1=$(echo "$out" | py 'd["id"]')
expect_eq "a major problem's time limit defaults to 30 days (13710)" "2026-12-25 False open land major" \
    "$(echo "$out" | py '" ".join(str(d[k]) for k in ("time_limit", "limit_given", "status", "category", "severity"))')"
expect_eq "stored reported today, the limit left to the default" \
    "$code1|land|major|$TODAY||$unit|open" \
    "$(sql "SELECT p.code || '|' || x.category || '|' || x.severity || '|' || x.reported_on || '|'
                   || coalesce(x.time_limit::text, '') || '|' || u.name || '|' || x.status
            FROM problem x JOIN project p ON p.id = x.project_id JOIN unit u ON u.id = x.unit_id WHERE x.id = $p1")"
expect_eq "two audit rows: the new unit and the problem" $((n + 2)) "$(audits)"
expect_eq "the new unit is audited as the import audits one" "problem.add|$unit" \
    "$(last_audit "unit:$unit" "action || '|' || (new->>'name')")"
expect_eq "the problem is audited with who, what and the request id" \
    "$me|problem.add|$code1|land|major|用地指标未落实，影响二期开工|ok|$(logged_req problem)" \
    "$(last_audit "problem:$p1" "actor || '|' || action || '|' || (new->>'project') || '|' || (new->>'category') || '|'
                                 || (new->>'severity') || '|' || (new->>'description') || '|' || result || '|' || request_id")"

run problem add "$code1" --category funding --severity ordinary --text "资本金未到位"
p2=$(echo "$out" | py 'd["id"]')
expect_eq "an ordinary problem gets 7 days; the unit is the project's" \
    "2026-12-02 $(sql "SELECT u.name FROM project p JOIN unit u ON u.id = p.unit_id WHERE p.code = '$code1'")" \
    "$(echo "$out" | py 'd["time_limit"] + " " + d["unit"]')"
run problem add "$code1" --category 环保 --severity 一般 --text "环评批复待取得" --limit 2026/12/10
p3=$(echo "$out" | py 'd["id"]')
expect_eq "--limit sets the time limit (any date form)" "0 2026-12-10 True 2026-12-10" \
    "$rc $(echo "$out" | py 'd["time_limit"] + " " + str(d["limit_given"])') $(sql "SELECT time_limit FROM problem WHERE id = $p3")"

n=$(audits)
run problem add "$code1" --category land --severity ordinary --text x --limit 2026-11-20
expect_eq "a time limit before today is refused (exit 1)" "1 invalid" "$rc $(echo "$out" | py 'd["code"]')"
expect_contains "saying so" "time limit 2026-11-20 is before today ($TODAY)" "$err"
expect_eq "the refusal is audited against the project" "invalid: time limit 2026-11-20 is before today ($TODAY)" \
    "$(last_audit "project:$code1" result)"
run problem add NO-SUCH-CODE --category land --severity ordinary --text x
expect_eq "an unknown project is not_found" "1 not_found no project with code 'NO-SUCH-CODE'" \
    "$rc $(echo "$out" | py 'd["code"]') $err"
expect_eq "both refusals audited, nothing stored" "$((n + 2)) 3" "$(audits) $(sql 'SELECT count(*) FROM problem')"
n=$(audits)
run problem add "$code1" --category 航天 --severity ordinary --text x
expect_eq "an unknown category is a usage error (exit 2)" 2 "$rc"
expect_contains "listing the categories (problem_category's)" "资金, 规划, 用地, 环保, 征迁, 审批, 施工, 用电, 用气, 用煤, 用水, 其他" "$err"
run problem add "$code1" --category land --text x
expect_eq "--severity is required" 2 "$rc"
expect_contains "and the message says so" "problem add needs --severity" "$err"
run problem add "$code1" --category land --severity major --text "　"
expect_eq "a blank text is no text" 2 "$rc"
run problem add "$code1" --category land --severity major --text x --limit 2026-02-30
expect_eq "a day that does not exist is a usage error" 2 "$rc"
run problem list --text x
expect_eq "an option of another action is a usage error" 2 "$rc"
expect_contains "naming it" "'problem list' takes no --text" "$err"
run problem frob
expect_eq "an unknown action is a usage error" 2 "$rc"
expect_contains "listing the actions" "unknown problem action 'frob' (expected add, list, resolve, stats or category)" "$err"
run campaign target frob 2026-B6
expect_contains "a subcommand's own subcommands are named the same way" \
    "unknown campaign target action 'frob' (expected set); usage: campaign target set C" "$err"
expect_eq "help shows each subcommand with its level" \
    "problem add CODE:admin|problem list:operator|problem resolve ID:admin|problem stats:operator|problem category:operator|problem category add:admin" \
    "$(kpctl --json help problem | py '"|".join(" ".join(s["usage"].split()[:3 if s["level"] == "admin" else 2]) + ":" + s["level"] for s in d["subcommands"])')"
expect_eq "usage errors never reach the database" "$n" "$(audits)"

# ---- problem list -----------------------------------------------------------

# Two older problems, as if entered last month: one past its default limit,
# one past its own.
# (an industry project not started yet: it starts in the campaign below)
code2=$(sql "SELECT p.code FROM project p JOIN county c ON c.id = p.county_id WHERE c.name <> '$county1'
             AND p.sector = 'industry' AND p.actual_start IS NULL ORDER BY p.code LIMIT 1")
county2=$(sql "SELECT c.name FROM project p JOIN county c ON c.id = p.county_id WHERE p.code = '$code2'")
p4=$(sql "INSERT INTO problem (project_id, category, severity, description, reported_on)
          SELECT id, 'demolition', 'ordinary', '征迁户未签约', '2026-11-10' FROM project WHERE code = '$code2'
          RETURNING id")
p5=$(sql "INSERT INTO problem (project_id, category, severity, description, reported_on, time_limit)
          SELECT id, 'approval', 'major', '施工许可未办理', '2026-10-01', '2026-11-20' FROM project WHERE code = '$code2'
          RETURNING id")
run problem list
expect_eq "problem list shows them all" "$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM problem")" \
    "$(echo "$out" | ids)"
expect_eq "overdue first, the oldest limit first" "$p4 overdue 8|$p5 overdue 5" \
    "$(echo "$out" | py '"|".join("%s %s %s" % (r["id"], r["status"], r["days_overdue"]) for r in d[:2])')"
expect_eq "the default limit is computed for the list too" 2026-11-17 \
    "$(echo "$out" | py "[r['time_limit'] for r in d if r['id'] == $p4][0]")"
expect_eq "--status overdue (逾期)" "$p4,$p5" "$(kpctl --json problem list --status 逾期 | ids)"
expect_eq "--status open: within the limit" "$p1,$p2,$p3" "$(kpctl --json problem list --status open | ids)"
expect_eq "--county" "$p4,$p5" "$(kpctl --json problem list --county "$county2" | ids)"
expect_eq "--category in Chinese" "$p2" "$(kpctl --json problem list --category 资金 | ids)"
expect_eq "--unit is the unit answerable" "$p1" "$(kpctl --json problem list --unit "$unit" | ids)"
expect_eq "--severity and --project" "$p5" "$(kpctl --json problem list --severity major --project "$code2" | ids)"
run problem list --status later
expect_eq "an unknown status is a usage error" 2 "$rc"
kpctl --csv problem list > "$T_DIR/problems.csv"
expect_eq "as CSV: a header and one row per problem" "5 id,county,project,project_name,category" \
    "$(csv_rows "$T_DIR/problems.csv") $(head -n 1 "$T_DIR/problems.csv" | cut -d, -f1-5)"
expect_contains "as a table" "time_limit" "$(kpctl problem list | head -n 1)"
expect_eq "bare 'problem' lists" "$(kpctl --json problem list | ids)" "$(kpctl --json problem | ids)"

# ---- problem resolve ----------------------------------------------------------

run problem resolve "$p4" --note "已完成签约，征迁交地"
expect_eq "resolve" "0 resolved $TODAY" "$rc $(echo "$out" | py 'd["status"] + " " + d["resolved_on"]')"
expect_eq "stored with how" "resolved|$TODAY|已完成签约，征迁交地" \
    "$(sql "SELECT status || '|' || resolved_on || '|' || resolution FROM problem WHERE id = $p4")"
expect_eq "audited old and new" "problem.resolve|open|resolved|已完成签约，征迁交地|ok" \
    "$(last_audit "problem:$p4" "action || '|' || (old->>'status') || '|' || (new->>'status') || '|' || (new->>'resolution') || '|' || result")"
run problem resolve "$p4" --note again
expect_eq "resolving twice is refused" "1 problem $p4 is already resolved (on $TODAY)" "$rc $err"
expect_eq "and audited" "invalid: problem $p4 is already resolved (on $TODAY)" "$(last_audit "problem:$p4" result)"
run problem resolve "$p5"
expect_eq "resolve needs --note" 2 "$rc"
run problem resolve 99999 --note x
expect_eq "an unknown problem is not_found" "1 not_found" "$rc $(echo "$out" | py 'd["code"]')"
run problem resolve x1 --note x
expect_eq "a malformed id is a usage error" 2 "$rc"
expect_contains "naming the listing" "problem ID must be a whole number as 'problem list' shows it" "$err"
expect_eq "resolved problems leave the overdue list" "$p5" "$(kpctl --json problem list --status overdue | ids)"

# ---- 联审联批 items ------------------------------------------------------------

# The demo's approval nodes made items of their own (test_approvals.sh
# follows them); this part looks at items entered apart from the schedule.
sql "DELETE FROM approval WHERE milestone_id IS NOT NULL" >/dev/null
sql "INSERT INTO unit (name) VALUES ('市行政审批局测试处') ON CONFLICT DO NOTHING" >/dev/null
approval() {   # approval CODE ITEM PLANNED STATUS DONE_ON → id
    sql "INSERT INTO approval (project_id, item, unit_id, planned_on, status, done_on)
         SELECT p.id, '$2', u.id, '$3', '$4', ${5:-NULL} FROM project p, unit u
         WHERE p.code = '$1' AND u.name = '市行政审批局测试处' RETURNING id"
}
a1=$(approval "$code1" 用地预审 2026-11-10 pending)
a2=$(approval "$code1" 施工许可 2026-12-10 pending)
a3=$(approval "$code1" 环评批复 2026-10-20 done "'2026-10-18'")
a4=$(approval "$code1" 规划许可 2026-11-15 waived)
a5=$(approval "$code2" 用地预审 2026-11-20 pending)
run approval list --overdue
expect_eq "approval list --overdue: pending past the planned date, oldest first" "$a1 15|$a5 5" \
    "$(echo "$out" | py '"|".join("%s %s" % (r["id"], r["days_overdue"]) for r in d)')"
expect_eq "--status 逾期 is the same" "$a1,$a5" "$(kpctl --json approval list --status 逾期 | ids)"
expect_eq "--status pending: not yet due" "$a2" "$(kpctl --json approval list --status pending | ids)"
expect_eq "--county" "$a5" "$(kpctl --json approval list --county "$county2" | ids)"
expect_eq "all, overdue first" "$a1,$a2,$a3,$a4,$a5 overdue" \
    "$(kpctl --json approval list | py '",".join(str(i) for i in sorted(r["id"] for r in d)) + " " + d[0]["status"]')"
run approval list --overdue --status done
expect_eq "--overdue with another --status is a usage error" 2 "$rc"
kpctl --csv approval list --unit 市行政审批局测试处 > "$T_DIR/approvals.csv"
expect_eq "as CSV" 5 "$(csv_rows "$T_DIR/approvals.csv")"
expect_contains "as a table" "planned_on" "$(kpctl approval list | head -n 1)"

run approval done "$a1" --date 2026-11-20 --note "已取得预审意见"
expect_eq "approval done --date" "0 done 2026-11-20" "$rc $(echo "$out" | py 'd["status"] + " " + d["done_on"]')"
expect_eq "stored" "done|2026-11-20|已取得预审意见" \
    "$(sql "SELECT status || '|' || done_on || '|' || note FROM approval WHERE id = $a1")"
expect_eq "audited with the request id" "approval.done|pending|done|2026-11-20|ok|$(logged_req approval)" \
    "$(last_audit "approval:$a1" "action || '|' || (old->>'status') || '|' || (new->>'status') || '|' || (new->>'done_on') || '|' || result || '|' || request_id")"
run approval done "$a1"
expect_contains "done twice is refused" "approval item $a1 (用地预审) is already done (on 2026-11-20)" "$err"
run approval done "$a4"
expect_eq "a waived item cannot be done" "1 approval item $a4 (规划许可) is waived: it is no longer required" "$rc $err"
run approval done "$a2" --date 2026-12-01
expect_contains "a date in the future is refused" "done date 2026-12-01 is in the future (today is $TODAY)" "$err"
run approval done 99999
expect_eq "an unknown item is not_found" "1 not_found" "$rc $(echo "$out" | py 'd["code"]')"
run approval done "$a5"
expect_eq "done today by default" "0 $TODAY" "$rc $(sql "SELECT done_on FROM approval WHERE id = $a5")"

# ---- supervision orders ---------------------------------------------------------

order() {   # order CODE KIND ISSUED DUE [REPLIED] → id
    sql "INSERT INTO supervision_order (project_id, kind, doc_no, to_unit_id, issued_on, reply_due, replied_on, reason)
         SELECT p.id, '$2', '洛重督〔2026〕' || (SELECT count(*) + 1 FROM supervision_order), p.unit_id, '$3', '$4',
                ${5:-NULL}, '连续两月红灯' FROM project p WHERE p.code = '$1' RETURNING id"
}
o1=$(order "$code1" supervision 2026-11-10 2026-11-20)
o2=$(order "$code2" reminder 2026-11-20 2026-11-30)
o3=$(order "$code2" assignment 2026-11-01 2026-11-10 "'2026-11-08'")
run orders
expect_eq "orders: unanswered past the reply date first" "$o1 overdue 5|$o2 open None|$o3 replied None" \
    "$(echo "$out" | py '"|".join("%s %s %s" % (r["id"], r["status"], r["days_overdue"]) for r in d)')"
expect_eq "--status overdue" "$o1" "$(kpctl --json orders --status overdue | ids)"
expect_eq "--status 已回复" "$o3" "$(kpctl --json orders --status 已回复 | ids)"
expect_eq "--kind 督办函" "$o1" "$(kpctl --json orders --kind 督办函 | ids)"
expect_eq "--county" "$o2,$o3" "$(kpctl --json orders --county "$county2" | ids)"
kpctl --csv orders > "$T_DIR/orders.csv"
expect_eq "as CSV" 3 "$(csv_rows "$T_DIR/orders.csv")"
expect_contains "as a table" "reply_due" "$(kpctl orders | head -n 1)"

run order reply "$o1" --note "已约谈项目单位，整改方案已报送"
expect_eq "order reply" "0 replied $TODAY" "$rc $(echo "$out" | py 'd["status"] + " " + d["replied_on"]')"
expect_eq "stored with the note" "$TODAY|已约谈项目单位，整改方案已报送" \
    "$(sql "SELECT replied_on || '|' || reply_note FROM supervision_order WHERE id = $o1")"
expect_eq "audited" "order.reply||$TODAY|ok" \
    "$(last_audit "order:$o1" "action || '|' || coalesce(old->>'replied_on', '') || '|' || (new->>'replied_on') || '|' || result")"
run order reply "$o1"
expect_eq "replying twice is refused" "1 order $o1 was already replied to (on $TODAY)" "$rc $err"
run order reply "$o2" --date 2026-11-19
expect_contains "a reply before the order was issued is refused" "reply date 2026-11-19 is before the order was issued (2026-11-20)" "$err"
run order reply "$o2" --date 2026-11-26
expect_contains "a reply in the future is refused" "is in the future" "$err"
run order reply 99999
expect_eq "an unknown order is not_found" "1 not_found no supervision order 99999" "$rc $(echo "$out" | py 'd["code"]') $err"
run order
expect_eq "order without an action is a usage error" 2 "$rc"
run order frob 1
expect_contains "an unknown order action is a usage error" "unknown order action 'frob' (expected issue, show or reply)" "$err"
expect_eq "no overdue orders left" "" "$(kpctl --json orders --status overdue | ids)"

# ---- campaigns ----------------------------------------------------------------------

run campaign
expect_eq "campaign lists every campaign" "$(sql 'SELECT count(*) FROM campaign')" "$(echo "$out" | py 'len(d)')"
expect_eq "2026-B6 is the current one, with its counts" \
    "current $(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'done') || ' '
                    || count(*) FILTER (WHERE status = 'pending' AND due_on < '$TODAY')
                    FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE c.code = '2026-B6'")" \
    "$(echo "$out" | py '[" ".join(str(r[k]) for k in ("state", "milestones", "done", "overdue")) for r in d if r["code"] == "2026-B6"][0]')"

B6="FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE c.code = '2026-B6'"
run campaign show
expect_eq "campaign show: the current window by default, with its days" "2026-B6 current 61 24 37" \
    "$(echo "$out" | py '" ".join(str(d[k]) for k in ("code", "state", "days_total", "days_gone", "days_left"))')"
expect_eq "milestones done, not yet due and overdue in it" \
    "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'done') || ' '
            || count(*) FILTER (WHERE status = 'pending' AND due_on >= '$TODAY') || ' '
            || count(*) FILTER (WHERE status = 'pending' AND due_on < '$TODAY') || ' '
            || count(*) FILTER (WHERE status = 'waived') $B6")" \
    "$(echo "$out" | py '" ".join(str(d[k]) for k in ("milestones", "done", "not_yet_due", "overdue", "waived"))')"
expect_eq "county by county, adding up" "$(sql "SELECT count(DISTINCT p.county_id) || ' ' || count(*)
    FROM milestone m JOIN campaign c ON c.id = m.campaign_id JOIN project p ON p.id = m.project_id WHERE c.code = '2026-B6'")" \
    "$(echo "$out" | py 'str(len(d["by_county"])) + " " + str(sum(r["milestones"] for r in d["by_county"]))')"
expect_eq "campaign show 2026年第5期: a past window has no days left" "2026-B5 past 0" \
    "$(kpctl --json campaign show 2026年第5期 | py '" ".join(str(d[k]) for k in ("code", "state", "days_left"))')"
expect_contains "as a table, with the counties after" "by_county:" "$(kpctl campaign show)"
run campaign show 百日攻坚
expect_eq "an unknown campaign is not_found" "1 not_found" "$rc $(echo "$out" | py 'd["code"]')"

n=$(audits)
run campaign target set 2026-B6 --starts 20 --investment 50,000 --approvals 80%
expect_eq "target set: city-wide" "0 True 20 50000 80" \
    "$rc $(echo "$out" | py '" ".join(str(d[k]) for k in ("created", "starts", "investment", "approvals"))')"
expect_eq "stored for all counties and sectors" "20|50000|80||" \
    "$(sql "SELECT starts || '|' || trim_scale(investment) || '|' || trim_scale(approvals) || '|' || coalesce(county_id::text, '')
            || '|' || coalesce(sector, '') FROM campaign_target t JOIN campaign c ON c.id = t.campaign_id WHERE c.code = '2026-B6'")"
expect_eq "audited: the new values" "campaign_target.set|20|50000|80|ok" \
    "$(last_audit 'campaign_target:2026-B6/*/*' "action || '|' || (new->>'starts') || '|' || (new->>'investment') || '|' || (new->>'approvals') || '|' || result")"
run campaign target set 2026年第6期 --starts 25 --completions 3
expect_eq "setting again changes only what is given" "25|3|50000|80" \
    "$(sql "SELECT starts || '|' || completions || '|' || trim_scale(investment) || '|' || trim_scale(approvals)
            FROM campaign_target WHERE county_id IS NULL AND sector IS NULL")"
expect_eq "audited old and new of what changed" '{"starts": 20, "completions": null}|{"starts": 25, "completions": 3}' \
    "$(last_audit 'campaign_target:2026-B6/*/*' "old::text || '|' || new::text")"
run campaign target set 2026-B6 --starts 25
expect_eq "the same value again: nothing changes, an empty change is audited" "False {}" \
    "$(echo "$out" | py 'd["changed"]') $(last_audit 'campaign_target:2026-B6/*/*' new)"
run campaign target set 2026-B6 --approvals none
expect_eq "none removes a target" "" "$(sql "SELECT approvals FROM campaign_target WHERE county_id IS NULL AND sector IS NULL")"
expect_contains "a write's answer as a table: key, value" "changed:     no" "$(kpctl campaign target set 2026-B6 --completions 3)"
run campaign target set 2026-B6 --county "$county2" --sector 产业 --starts 2 --investment 3000
expect_eq "a county and sector target" "0 $county2 industry" "$rc $(echo "$out" | py 'd["county"] + " " + d["sector"]')"
run campaign target set 2027-B1 --starts 10
expect_eq "a two-month campaign is created for its targets" "2027-01-01|2027-02-28|campaign_target.set" \
    "$(sql "SELECT starts_on || '|' || ends_on FROM campaign WHERE code = '2027-B1'")|$(last_audit campaign:2027-B1 action)"
n=$(audits)
run campaign target set 2026-B6
expect_eq "no target given is a usage error" 2 "$rc"
run campaign target set 2026-B6 --starts -1
expect_eq "a negative count is a usage error" 2 "$rc"
run campaign target set 2026-B6 --approvals 120
expect_contains "a share over 100% is a usage error" "not a percentage from 0 to 100" "$err"
run campaign target put 2026-B6 --starts 1
expect_eq "target needs 'set'" 2 "$rc"
expect_eq "usage errors never reach the database" "$n" "$(audits)"
run campaign target set 2026-B6 --county 涧西 --starts 1
expect_eq "an unknown county is not_found" "1 not_found no county '涧西'" "$rc $(echo "$out" | py 'd["code"]') $err"
run campaign target set 百日攻坚 --starts 1
expect_eq "an unknown campaign that is not a two-month one is not_found" "1 not_found" \
    "$rc $(echo "$out" | py 'd["code"]')"
expect_eq "refusals are audited" "$((n + 2))" "$(audits)"

# What was achieved, counted independently: one more start in the window,
# and the approval items planned in it (a waived one does not count).
kpctl start "$code2" 2026-11-18 >/dev/null || fail "start $code2"
run campaign targets
expect_eq "campaign targets: city-wide first" "None None|$county2 industry" \
    "$(echo "$out" | py '"|".join("%s %s" % (r["county"], r["sector"]) for r in d)')"
expect_eq "starts and completions: projects started or completed in the window" \
    "$(sql "SELECT count(*) FILTER (WHERE actual_start BETWEEN '2026-11-01' AND '2026-12-31') || ' 25 '
            || count(*) FILTER (WHERE actual_end BETWEEN '2026-11-01' AND '2026-12-31') || ' 3' FROM project")" \
    "$(echo "$out" | py '" ".join(str(d[0][k]) for k in ("starts", "starts_target", "completions", "completions_target"))')"
# numbers as trim_scale prints them: 1234.5, 0
num='format(__import__("decimal").Decimal(str(v)).normalize(), "f")'
expect_eq "investment: the reports of the window's months" \
    "$(sql "SELECT coalesce(trim_scale(sum(amount)), 0) FROM investment_report WHERE month >= '2026-11-01'")" \
    "$(echo "$out" | py "(lambda v: $num)(d[0]['investment'])")"
expect_eq "approvals: the share done of the items planned in the window (waived ones left out)" \
    "$(sql "SELECT trim_scale(round(100.0 * count(*) FILTER (WHERE status = 'done') / count(*), 1)) || ' ' || count(*)
            FROM approval WHERE status <> 'waived' AND planned_on BETWEEN '2026-11-01' AND '2026-12-31'")" \
    "$(echo "$out" | py "(lambda v: $num)(d[0]['approvals']) + ' ' + str(d[0]['approval_items'])")"
expect_eq "the county's row counts its own projects only" \
    "$(sql "SELECT count(*) FROM project p JOIN county c ON c.id = p.county_id WHERE c.name = '$county2'
            AND p.sector = 'industry' AND p.actual_start BETWEEN '2026-11-01' AND '2026-12-31'") 2" \
    "$(echo "$out" | py 'str(d[1]["starts"]) + " " + str(d[1]["starts_target"])')"
expect_eq "a campaign without targets has an empty list" "0 0" \
    "$(kpctl --json campaign targets 2026-B5 | py 'len(d)') $?"
run campaign targets 百日攻坚
expect_eq "targets of an unknown campaign: not_found" 1 "$rc"
kpctl --csv campaign targets > "$T_DIR/targets.csv"
expect_eq "targets as CSV" "2 county,sector,starts,starts_target" \
    "$(csv_rows "$T_DIR/targets.csv") $(head -n 1 "$T_DIR/targets.csv" | cut -d, -f1-4)"
expect_contains "targets as a table" "investment_target" "$(kpctl campaign targets | head -n 1)"
expect_contains "campaign list as a table" "2027-B1" "$(kpctl campaign list)"
expect_eq "campaign list as CSV" "$(sql 'SELECT count(*) FROM campaign')" \
    "$(kpctl --csv campaign list > "$T_DIR/campaigns.csv" && csv_rows "$T_DIR/campaigns.csv")"

# ---- audit ------------------------------------------------------------------------

run audit
expect_eq "audit: 100 rows by default, newest first" "100 True" \
    "$(echo "$out" | py 'str(len(d)) + " " + str([r["id"] for r in d] == sorted((r["id"] for r in d), reverse=True))')"
expect_eq "the newest is the last change" "$(sql 'SELECT max(id) FROM audit_log')" "$(echo "$out" | py 'd[0]["id"]')"
expect_eq "--action problem: every problem action" \
    "$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'problem.%'") True" \
    "$(kpctl --json audit --action problem | py 'str(len(d)) + " " + str(all(r["action"].startswith("problem.") for r in d))')"
expect_eq "--subject problem:ID: its history, newest first" \
    "problem.resolve invalid: problem $p4 is already resolved (on $TODAY)|problem.resolve ok" \
    "$(kpctl --json audit --subject "problem:$p4" | py '"|".join(r["action"] + " " + r["result"] for r in d)')"
expect_eq "--subject report:CODE takes the months too" \
    "$(sql "SELECT count(*) FROM audit_log WHERE subject LIKE 'report:$code1/%'")" \
    "$(kpctl --json audit --subject "report:$code1" --limit 10000 | py 'len(d)')"
expect_eq "… but not a subject that only begins with the same characters (report:CODE minus its last one)" 0 \
    "$(kpctl --json audit --subject "report:${code1%?}" --limit 10000 | py 'len(d)')"
expect_eq "--actor and --limit" "3 $me" \
    "$(kpctl --json audit --actor "$me" --limit 3 | py 'str(len(d)) + " " + d[0]["actor"]')"
expect_eq "--actor nobody: nothing" 0 "$(kpctl --json audit --actor nobody | py 'len(d)')"
expect_eq "--since 7d: everything this test did" "$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'problem.%'")" \
    "$(kpctl --json audit --since 7d --action problem | py 'len(d)')"
expect_eq "--since a day to come: nothing" 0 "$(kpctl --json audit --since 2099-01-01 | py 'len(d)')"
expect_eq "old and new are objects, the request id is there" "dict dict $(logged_req approval)" \
    "$(kpctl --json audit --subject "approval:$a5" | py 'type(d[0]["old"]).__name__ + " " + type(d[0]["new"]).__name__ + " " + d[0]["request_id"]')"
run audit --limit 0
expect_eq "--limit 0 is a usage error" 2 "$rc"
run audit --since yesterday
expect_eq "an unreadable --since is a usage error" 2 "$rc"
kpctl --csv audit --limit 5 > "$T_DIR/audit.csv"
expect_eq "audit as CSV (JSON cells quoted)" 5 "$(csv_rows "$T_DIR/audit.csv")"
expect_contains "audit as a table" "request_id" "$(kpctl audit --limit 3 | head -n 1)"

# ---- export, and the round trip through import ----------------------------------

# Values a CSV must quote: a comma, quotes, a line break.
mnote=$(sql "SELECT id FROM milestone WHERE status = 'done' ORDER BY id LIMIT 1")
sql "UPDATE milestone SET note = E'现场核实, \"已完成\"\n二期待定' WHERE id = $mnote" >/dev/null
sql "UPDATE project SET name = name || ',\"一期\"' WHERE code = '$code2'" >/dev/null

kpctl export projects > "$T_DIR/projects.csv" || fail "export projects"
expect_eq "the file begins with the UTF-8 byte order mark" efbbbf "$(head -c 3 "$T_DIR/projects.csv" | od -An -tx1 | tr -d ' \n')"
expect_eq "every line ends with CRLF" True \
    "$(python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); print(b.endswith(b"\r\n") and b.count(b"\n") == b.count(b"\r\n"))' "$T_DIR/projects.csv")"
expect_eq "the headers the import knows, in Chinese" "项目编号,项目名称,年度,级别,县区,领域,类别,状态" \
    "$(head -n 1 "$T_DIR/projects.csv" | sed 's/^\xef\xbb\xbf//' | cut -d, -f1-8)"
expect_eq "one row per project" "$(sql 'SELECT count(*) FROM project')" "$(csv_rows "$T_DIR/projects.csv")"
expect_eq "values as the spreadsheets write them (a comma and quotes kept)" \
    "$(sql "SELECT p.name || '|' || c.name || '|' || CASE p.level WHEN 'city' THEN '市' ELSE '省' END || '|产业|在建|'
            || CASE WHEN p.completes_this_year THEN '是' ELSE '否' END || '|' || trim_scale(p.total_investment)
            FROM project p JOIN county c ON c.id = p.county_id WHERE p.code = '$code2'")" \
    "$(python3 - "$T_DIR/projects.csv" "$code2" <<'PY'
import csv, sys
r = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")) if r["项目编号"] == sys.argv[2]][0]
print("|".join(r[k] for k in ("项目名称", "县区", "级别", "领域", "状态", "当年竣工", "总投资（万元）")))
PY
)"
expect_eq "keyprojctl --csv writes the same bytes" "$(md5sum < "$T_DIR/projects.csv")" \
    "$(kpctl --csv export projects | md5sum)"
expect_eq "--json gives the file as a string" "$(md5sum < "$T_DIR/projects.csv")" \
    "$(kpctl --json export projects | python3 -c 'import json, sys; sys.stdout.buffer.write(json.load(sys.stdin)["file"].encode())' | md5sum)"

before=$(ledger_digest)
n=$(audits)
run import projects "$T_DIR/projects.csv"
expect_eq "re-importing the exported projects changes nothing" "0 0 0 $(sql 'SELECT count(*) FROM project')" \
    "$rc $(echo "$out" | py '" ".join(str(d[k]) for k in ("inserted", "updated", "unchanged"))')"

kpctl export milestones > "$T_DIR/milestones.csv" || fail "export milestones"
expect_eq "one row per milestone" "$(sql 'SELECT count(*) FROM milestone')" "$(csv_rows "$T_DIR/milestones.csv")"
run import milestones "$T_DIR/milestones.csv"
expect_eq "re-importing the exported milestones changes nothing" "0 0 0 $(sql 'SELECT count(*) FROM milestone')" \
    "$rc $(echo "$out" | py '" ".join(str(d[k]) for k in ("inserted", "updated", "unchanged"))')"
expect_eq "the columns only for the reader are named as ignored" '["节点ID", "项目名称", "县区", "免除原因"]' \
    "$(echo "$out" | py 'd["ignored_columns"]')"
expect_eq "the ledger is as it was, no audit rows" "$before $n" "$(ledger_digest) $(audits)"

expect_eq "export projects --county" "$(sql "SELECT count(*) FROM project p JOIN county c ON c.id = p.county_id WHERE c.name = '$county1'")" \
    "$(kpctl export projects --county "$county1" > "$T_DIR/p1.csv" && csv_rows "$T_DIR/p1.csv")"
expect_eq "export milestones --campaign 2026年第6期 --status 逾期" \
    "$(sql "SELECT count(*) $B6 AND m.status = 'pending' AND m.due_on < '$TODAY'")" \
    "$(kpctl export milestones --campaign 2026年第6期 --status 逾期 > "$T_DIR/m1.csv" && csv_rows "$T_DIR/m1.csv")"
# Every listing filter, as the views take it; the file in both forms.
P_FROM="FROM project p JOIN county co ON co.id = p.county_id LEFT JOIN unit pu ON pu.id = p.unit_id
        LEFT JOIN person l ON l.id = p.leader_id"
M_FROM="FROM milestone m JOIN project p ON p.id = m.project_id JOIN county co ON co.id = p.county_id
        JOIN campaign cp ON cp.id = m.campaign_id LEFT JOIN unit mu ON mu.id = m.unit_id
        LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id"
kpctl scan >/dev/null || fail "scan"
f_unit=$(sql "SELECT pu.name $P_FROM WHERE pu.name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
f_leader=$(sql "SELECT l.name $P_FROM WHERE l.name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
f_light=$(sql "SELECT light FROM project WHERE light IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
# file_rows ARGS… — the data rows of the exported file, from the CSV and from --json.
file_rows() {
    kpctl export "$@" > "$T_DIR/f.csv" || fail "export $*"
    kpctl --json export "$@" | python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["file"])' > "$T_DIR/f.json.csv"
    echo "$(csv_rows "$T_DIR/f.csv") $(csv_rows "$T_DIR/f.json.csv")"
}
for f in "county|$county1|co.name = '$county1'" "sector|基础设施|p.sector = 'infrastructure'" \
         "level|市|p.level = 'city'" "leader|$f_leader|l.name = '$f_leader'" "light|$f_light|p.light = '$f_light'"; do
    IFS='|' read -r opt val cond <<< "$f"
    n=$(sql "SELECT count(*) $P_FROM WHERE $cond")
    [ "$n" -gt 0 ] || fail "export --$opt $val: SQL keeps nothing"
    expect_eq "export projects --$opt $val" "$n $n" "$(file_rows projects --"$opt" "$val")"
    n=$(sql "SELECT count(*) $M_FROM WHERE $cond")
    expect_eq "export milestones --$opt $val" "$n $n" "$(file_rows milestones --"$opt" "$val")"
done
n=$(sql "SELECT count(*) $P_FROM WHERE pu.name = '$f_unit'")
expect_eq "export projects --unit: the project's unit" "$n $n" "$(file_rows projects --unit "$f_unit")"
n=$(sql "SELECT count(*) $M_FROM WHERE coalesce(mu.name, pu.name) = '$f_unit'")
expect_eq "export milestones --unit: the unit answerable" "$n $n" "$(file_rows milestones --unit "$f_unit")"
n=$(sql "SELECT count(*) FROM project p WHERE EXISTS (SELECT 1 $B6 AND m.project_id = p.id)")
expect_eq "export projects --campaign: those with a milestone in it" "$n $n" "$(file_rows projects --campaign 2026-B6)"
run export milestones --category 续建
expect_eq "a projects-only filter on milestones is a usage error" 2 "$rc"
run export projects --light purple
expect_eq "an unknown light is a usage error" 2 "$rc"
run export milestones --county 涧西
expect_eq "an unknown county is refused" "1 not_found" "$rc $(echo "$out" | field code)"
run export problems
expect_eq "an unknown kind is a usage error" 2 "$rc"

# ---- reload -----------------------------------------------------------------------

run reload
expect_eq "reload" "0 True $T_CONF" "$rc $(echo "$out" | py 'str(d["reloaded"]) + " " + d["config"]')"
write_config 'alerts = { problem_days = 5; };'
run reload
expect_eq "a changed file applies" 0 "$rc"
expect_eq "the problem list follows the new default limit" 2026-11-30 \
    "$(kpctl --json problem list --project "$code1" | py "[r['time_limit'] for r in d if r['id'] == $p2][0]")"
cp "$T_CONF" "$T_DIR/good.conf"
echo 'alerts = { problem_days = "many"; };' >> "$T_CONF"
run reload
expect_eq "a bad file is refused (exit 1)" "1 invalid" "$rc $(echo "$out" | py 'd["code"]')"
expect_contains "naming the file" "$T_CONF" "$err"
expect_contains "and keeping what runs" "the running configuration is kept" "$err"
expect_eq "the running configuration is unchanged" 2026-11-30 \
    "$(kpctl --json problem list --project "$code1" | py "[r['time_limit'] for r in d if r['id'] == $p2][0]")"
cp "$T_DIR/good.conf" "$T_CONF"
stop_daemon || fail "keyprojd did not stop cleanly (see its log)"

# ---- an operator may look, not touch ------------------------------------------------

T_ADMINS='' T_OPERATORS="\"$me\"" write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
n=$(audits)
run problem add "$code1" --category land --severity major --text x
expect_eq "an operator's problem add is denied" "1 denied" "$rc $(echo "$out" | py 'd["code"]')"
expect_contains "with the reason" "'problem add' needs the admin level; user $me has operator" "$err"
run problem resolve "$p5" --note x
expect_contains "so is problem resolve" "'problem resolve' needs the admin level" "$err"
run approval done "$a2"
expect_contains "approval done" "'approval done' needs the admin level" "$err"
run order reply "$o2"
expect_contains "order reply" "'order reply' needs the admin level" "$err"
run campaign target set 2026-B6 --starts 1
expect_contains "campaign target set" "'campaign target' needs the admin level" "$err"
run reload
expect_contains "and reload" "'reload' needs the admin level" "$err"
expect_eq "denied writes never reach the database" "$n" "$(audits)"
expect_eq "the operator sees the lists" "3 5 3 True 2" \
    "$(kpctl --json problem list --status open | py 'len(d)') $(kpctl --json approval list | py 'len(d)') $(kpctl --json orders | py 'len(d)') $(kpctl --json campaign show | py 'd["code"] == "2026-B6"') $(kpctl --json campaign targets | py 'len(d)')"
expect_eq "the audit trail and the export" "5 $(sql 'SELECT count(*) FROM project')" \
    "$(kpctl --json audit --limit 5 | py 'len(d)') $(kpctl export projects > "$T_DIR/op.csv" && csv_rows "$T_DIR/op.csv")"
help=$(kpctl help)
expect_contains "help shows the operator the problem list" "problem add" "$help"
expect_contains "… the audit trail" "audit [--since" "$help"
expect_eq "but not reload, nor order reply" 0 "$(echo "$help" | grep -c -E '^(reload|order reply)')"
stop_daemon || fail "keyprojd did not stop cleanly (see its log)"
