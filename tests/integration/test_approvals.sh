#!/bin/bash
# The project office's own lists, as the office keeps them: 联审联批 items
# entered by hand, imported from the approvals sheet and made from the
# schedule's approval nodes, counted in the campaign target and in stats,
# overdue on the daemon's own clock; the 问题清单 with problems back-dated
# to the meeting that raised them, imported from the office's sheet,
# counted by category, unit and county, with the 要素保障 categories and
# one the office adds. All through keyprojctl, on a small ledger of its
# own, with the daemon's clock set by the test.
. "$top_srcdir/tests/integration/lib.sh"

TODAY=2026-11-25
me=$(id -un)

# last_audit SUBJECT ACTION COLUMNS — the newest audit row about SUBJECT.
last_audit() {
    sql "SELECT $3 FROM audit_log WHERE subject = '$1' AND action = '$2' ORDER BY id DESC LIMIT 1"
}
audits() { sql "SELECT count(*) FROM audit_log WHERE action <> 'control.refused'"; }   # (usage errors are audited as refusals)

create_db
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready

# The ledger: three projects in two counties.
cat > "$T_DIR/projects.csv" <<'CSV'
项目编号,项目名称,年度,级别,县区,领域,类别,责任单位,年度计划投资,计划开工,计划竣工
LY-2026-101,洛阳智能装备产业园,2026,市,涧西区,产业,新开工,市发改委,20000,2026-03-01,2027-12-31
LY-2026-102,伊河生态廊道,2026,市,洛龙区,生态,续建,市水利局,8000,2025-05-01,2026-12-31
LY-2026-103,涧西区老旧小区改造,2026,市,涧西区,民生,新开工,涧西区政府,5000,2026-04-01,2026-12-31
CSV
kpctl import projects "$T_DIR/projects.csv" >/dev/null || fail "import projects"

# ---- approval add -----------------------------------------------------------

n=$(audits)
run approval add LY-2026-101 用地预审 --dept 市自然资源和规划局 --due 2026-11-20 --note "已报省厅"
expect_eq "approval add answers the item, pending-or-overdue as today" \
    "0|LY-2026-101|用地预审|市自然资源和规划局|2026-11-20|overdue|已报省厅" \
    "$rc|$(echo "$out" | py '"|".join(str(d[k]) for k in ("project", "item", "unit", "planned_on", "status", "note"))')"
a1=$(echo "$out" | field id)
expect_eq "…audited as approval.add with who, the item, department and time limit" \
    "$me|ok|LY-2026-101|用地预审|市自然资源和规划局|2026-11-20" \
    "$(last_audit "approval:$a1" approval.add "concat_ws('|', actor, result, new->>'project', new->>'item', new->>'unit', new->>'planned_on')")"
expect_eq "…with the new department created and audited as a unit" "$((n + 2))|1" \
    "$(audits)|$(sql "SELECT count(*) FROM audit_log WHERE subject = 'unit:市自然资源和规划局' AND action = 'approval.add'")"
run approval add LY-2026-101 施工许可 --dept 市住建局 --due 2026年12月10日
expect_eq "a date in the sheets' form; not yet due is pending" "0|2026-12-10|pending" \
    "$rc|$(echo "$out" | py 'd["planned_on"] + "|" + d["status"]')"
a2=$(echo "$out" | field id)

n=$(audits)
run approval add LY-2026-101 用地预审 --dept 市自然资源和规划局 --due 2026-12-01
expect_eq "the same item twice is refused" 1 "$rc"
expect_contains "…naming the item there is" "project LY-2026-101 already has approval item $a1 (用地预审, due 2026-11-20)" "$err"
run approval add NO-SUCH 用地预审 --dept 市自然资源和规划局 --due 2026-12-01
expect_eq "an unknown project is not found" "1|not_found|no project with code 'NO-SUCH'" \
    "$rc|$(echo "$out" | field code)|$err"
expect_eq "both refusals audited, nothing stored" "$((n + 2))|2" "$(audits)|$(sql 'SELECT count(*) FROM approval')"
n=$(audits)
run approval add LY-2026-101 环评批复 --dept 市生态环境局 --due 2026-02-30
expect_eq "a day that does not exist is a usage error" 2 "$rc"
expect_contains "…saying so" "--due '2026-02-30' is not a date" "$err"
run approval add LY-2026-101 环评批复 --dept 市生态环境局
expect_contains "--due is required" "approval add needs --due DATE" "$err"
run approval add LY-2026-101 环评批复 --due 2026-12-01
expect_contains "--dept is required" "approval add needs --dept TEXT" "$err"
run approval add LY-2026-101 "　" --dept 市生态环境局 --due 2026-12-01
expect_eq "a blank item is a usage error" 2 "$rc"
expect_eq "usage errors never reach the database" "$n" "$(audits)"

# ---- the approvals sheet (import approvals) ------------------------------------

# The office's 联审联批 sheet, in its own words: one item already entered
# by hand (unchanged), one done, one waived, one new.
cat > "$T_DIR/approvals.csv" <<'CSV'
项目代码,审批事项,牵头部门,办理时限,办结日期,状态,备注
LY-2026-101,用地预审,市自然资源和规划局,2026-11-20,,,已报省厅
LY-2026-102,取水许可,市水利局,2026/11/30,2026/11/18,,
LY-2026-102,水土保持方案,市水利局,2026-12-15,,不需办理,纳入整体方案
LY-2026-103,施工许可,市住建局,2026年12月20日,,办理中,
CSV
before=$(ledger_digest)
run import approvals "$T_DIR/approvals.csv" --dry-run
expect_eq "a dry run says what would happen and writes nothing" "0|3|0|1|True" \
    "$rc|$(echo "$out" | py '"%d|%d|%d|%s" % (d["inserted"], d["updated"], d["unchanged"], d["dry_run"])')"
expect_eq "…the ledger untouched" "$before" "$(ledger_digest)"
run import approvals "$T_DIR/approvals.csv"
expect_eq "the sheet is imported: three new items, the hand-made one unchanged" "0|3|0|1" \
    "$rc|$(echo "$out" | py '"%d|%d|%d" % (d["inserted"], d["updated"], d["unchanged"])')"
expect_eq "each item as the sheet says: a date alone means done, 不需办理 waived" \
    "LY-2026-102|取水许可|市水利局|2026-11-30|done|2026-11-18
LY-2026-102|水土保持方案|市水利局|2026-12-15|waived|
LY-2026-103|施工许可|市住建局|2026-12-20|pending|" \
    "$(kpctl --json approval list | py '"\n".join("|".join(str(r[k] or "") for k in ("project", "item", "unit", "planned_on", "status", "done_on")) for r in sorted(d, key=lambda r: r["id"]) if r["project"] != "LY-2026-101")')"
ia=$(sql "SELECT id FROM approval WHERE item = '取水许可'")
expect_eq "each written item is audited as import.approvals under its id" "$me|done|2026-11-18" \
    "$(last_audit "approval:$ia" import.approvals "concat_ws('|', actor, new->>'status', new->>'done_on')")"
before=$(ledger_digest)
n=$(audits)
run import approvals "$T_DIR/approvals.csv"
expect_eq "importing the same sheet again changes nothing" "0|0|0|4" \
    "$rc|$(echo "$out" | py '"%d|%d|%d" % (d["inserted"], d["updated"], d["unchanged"])')"
expect_eq "…not the ledger, not the audit log" "$before|$n" "$(ledger_digest)|$(audits)"

# A sheet with mistakes: every one named by line and column as the file
# spells it, and nothing written.
cat > "$T_DIR/bad-approvals.csv" <<'CSV'
项目代码,审批事项,牵头部门,办理时限,办结日期,状态
LY-2026-999,用地预审,市自然资源和规划局,2026-11-20,,
LY-2026-103,环评批复,市生态环境局,2026-13-01,,
LY-2026-103,规划许可,市自然资源和规划局,2026-12-01,2026-12-30,
LY-2026-103,消防验收,市住建局,2026-12-01,,逾期
LY-2026-103,人防审批,市人防办,2026-12-01,2026-11-01,办理中
CSV
before=$(ledger_digest)
run import approvals "$T_DIR/bad-approvals.csv"
expect_eq "a sheet with errors is refused" "1|invalid" "$rc|$(echo "$out" | field code)"
expect_eq "…each error with its line and column as the sheet names it" \
    "3|办理时限|'2026-13-01' is not a date (expected 2026-03-15, 2026/3/15 or 2026年3月15日)
4|办结日期|2026-12-30 is in the future (today is $TODAY)
5|状态|'逾期': overdue is worked out from the time limit; write 未办结 (pending)
6|办结日期|a done date is given but the item is not done" \
    "$(echo "$out" | py '"\n".join("%s|%s|%s" % (e["line"], e["column"], e["message"]) for e in d["details"])')"
expect_eq "…and nothing written" "$before" "$(ledger_digest)"
printf '%s\n%s\n' "项目代码,审批事项,牵头部门,办理时限" "LY-2026-999,用地预审,市自然资源和规划局,2026-11-20" > "$T_DIR/unknown.csv"
run import approvals "$T_DIR/unknown.csv"
expect_eq "an unknown project code, found by the database, is named the same way" \
    "2|项目代码|unknown project code 'LY-2026-999'" \
    "$(echo "$out" | py '"\n".join("%s|%s|%s" % (e["line"], e["column"], e["message"]) for e in d["details"])')"
printf '%s\n%s\n' "项目代码,审批事项,办理时限" "LY-2026-103,环评批复,2026-12-01" > "$T_DIR/nodept.csv"
run import approvals "$T_DIR/nodept.csv"
expect_contains "a sheet without the lead department column is refused, naming it" "missing column 牵头部门 (unit)" "$err"

# ---- approval milestones make items ---------------------------------------------

cat > "$T_DIR/milestones.csv" <<'CSV'
项目编号,节点类型,节点内容,完成时限,责任单位
LY-2026-103,审批,规划许可,2026-12-05,市自然资源和规划局
LY-2026-103,开工,开工,2026-12-28,涧西区政府
CSV
run import milestones "$T_DIR/milestones.csv"
expect_eq "a milestones import with an approval node" "0|2" "$rc|$(echo "$out" | field inserted)"
node=$(sql "SELECT id FROM milestone WHERE title = '规划许可'")
item_of_node() {
    kpctl --json approval list --project LY-2026-103 |
        py "'|'.join('%s|%s|%s|%s|%s' % (r['item'], r['unit'], r['planned_on'], r['status'], r['done_on']) for r in d if r['item'] == '规划许可')"
}
expect_eq "the approval node made its item: its title, unit and due date" \
    "规划许可|市自然资源和规划局|2026-12-05|pending|None" "$(item_of_node)"
expect_eq "…and only the approval node did" "2" "$(kpctl --json approval list --project LY-2026-103 | py 'len(d)')"
fed=$(sql "SELECT id FROM approval WHERE item = '规划许可'")
run approval done "$fed"
expect_eq "an item that follows a node is done with the node, not by itself" 1 "$rc"
expect_contains "…saying which node" "follows milestone $node: mark the milestone done (done $node)" "$err"
run reschedule "$node" 2026-12-12 --reason "材料补正"
expect_eq "rescheduling the node moves the item's time limit" "规划许可|市自然资源和规划局|2026-12-12|pending|None" \
    "$(item_of_node)"
run done "$node" --date 2026-11-24
expect_eq "done on the node makes the item done on its date" "规划许可|市自然资源和规划局|2026-12-12|done|2026-11-24" \
    "$(item_of_node)"
printf '%s\n%s\n' "项目代码,审批事项,牵头部门,办理时限" "LY-2026-103,规划许可,市住建局,2026-12-30" > "$T_DIR/follow.csv"
run import approvals "$T_DIR/follow.csv"
expect_contains "an approvals sheet cannot change an item that follows a node" \
    "item 规划许可 of LY-2026-103 follows milestone $node: change the milestone instead" "$out"

# ---- counted in the campaign target and in stats ---------------------------------

# 2026-B6 (Nov–Dec): five items planned in the window that are not waived,
# two of them done (取水许可 by the sheet, 规划许可 with its node).
kpctl campaign target set 2026-B6 --approvals 80 >/dev/null || fail "campaign target set"
expect_eq "the campaign's approvals target counts the items of its window" "5|40.0|80.0" \
    "$(kpctl --json campaign targets 2026-B6 | py '"%s|%s|%s" % (d[0]["approval_items"], d[0]["approvals"], d[0]["approvals_target"])')"
expect_eq "stats counts the items: all, done, overdue (合计)" "5|2|1" \
    "$(kpctl --json stats | py '"%d|%d|%d" % [(r["approvals"], r["approvals_done"], r["approvals_overdue"]) for r in d if r["county"] == "合计"][0]')"
expect_eq "…and per county" "洛龙区 1|1|0 涧西区 4|1|1" \
    "$(kpctl --json stats | py '" ".join("%s %d|%d|%d" % (r["county"], r["approvals"], r["approvals_done"], r["approvals_overdue"]) for r in d if r["county"] != "合计")')"

# ---- problems: back-dated, time limits from the reported date ---------------------

run problem add LY-2026-101 --category 用电 --severity 一般 --text "专用变电站未建成，施工用电不足" --reported 2026-11-18
expect_eq "a problem raised at last week's meeting, recorded as such; its 7 days count from then" \
    "0|element_power|用电|2026-11-18|2026-11-25|open" \
    "$rc|$(echo "$out" | py '"|".join(str(d[k]) for k in ("category", "category_name", "reported_on", "time_limit", "status"))')"
pb1=$(echo "$out" | field id)
expect_eq "…audited as problem.add with its reported date" "problem.add|2026-11-18|element_power" \
    "$(last_audit "problem:$pb1" problem.add "concat_ws('|', action, new->>'reported_on', new->>'category')")"
run problem add LY-2026-102 --category 气 --severity 重大 --text "天然气管道迁改未完成" --reported 2026-11-02 --limit 2026-11-20
expect_eq "a time limit already past is taken when it is not before the reported date; the problem is overdue" \
    "0|element_gas|2026-11-20|overdue" "$rc|$(echo "$out" | py '"|".join(str(d[k]) for k in ("category", "time_limit", "status"))')"
n=$(audits)
run problem add LY-2026-101 --category 用水 --severity 一般 --text "施工用水未接通" --reported 2026-11-26
expect_eq "a reported date in the future is refused" "1|invalid" "$rc|$(echo "$out" | field code)"
expect_contains "…saying so" "reported date 2026-11-26 is in the future (today is $TODAY)" "$err"
run problem add LY-2026-101 --category 用水 --severity 一般 --text "施工用水未接通" --reported 2026-11-10 --limit 2026-11-05
expect_contains "a time limit before the reported date is refused" \
    "time limit 2026-11-05 is before the reported date 2026-11-10" "$err"
expect_eq "both refusals audited, nothing stored" "$((n + 2))|2" "$(audits)|$(sql 'SELECT count(*) FROM problem')"
n=$(audits)
run problem add LY-2026-101 --category 航天 --severity 一般 --text x
expect_eq "an unknown category is a usage error" 2 "$rc"
expect_contains "…listing the categories, 要素保障 among them" \
    "--category: unknown value '航天' (expected one of 资金, 规划, 用地, 环保, 征迁, 审批, 施工, 用电, 用气, 用煤, 用水, 其他 (or funding," "$err"
run problem add LY-2026-101 --category 用水 --severity 一般 --text x --reported 2026-11-31
expect_eq "a reported date that does not exist is a usage error" 2 "$rc"
expect_eq "usage errors never reach the database" "$n" "$(audits)"

# The office adds a category of its own.
run problem category add element_heat --name 用热 --aliases 供热,热力 --group 要素保障
expect_eq "problem category add (admin), audited" "0|element_heat|用热|problem_category.add|$me" \
    "$rc|$(echo "$out" | py 'd["code"] + "|" + d["name"]')|$(last_audit "problem_category:element_heat" problem_category.add "action || '|' || actor")"
run problem category add heat2 --name 暖气 --aliases 热力
expect_eq "a spelling that already means a category is refused" "1|'热力' already names category element_heat" "$rc|$err"
expect_eq "problem category lists them, 要素保障 grouped, 其他 last" \
    "element_power 用电 要素保障|element_gas 用气 要素保障|element_coal 用煤 要素保障|element_water 用水 要素保障|element_heat 用热 要素保障|other 其他 None" \
    "$(kpctl --json problem category | py '"|".join("%s %s %s" % (r["code"], r["name"], r["group"]) for r in d[7:])')"
run problem add LY-2026-103 --category 供热 --severity 一般 --text "冬季施工供热未落实" --reported 2026-11-20
expect_eq "…and problem add takes it by any of its spellings" "0|element_heat" "$rc|$(echo "$out" | field category)"
expect_eq "problem list --category takes the spellings too" "$pb1" \
    "$(kpctl --json problem list --category 电力 | py '",".join(str(r["id"]) for r in d)')"
run problem list --category 航天
expect_eq "…and refuses an unknown one" 2 "$rc"

# ---- the 问题清单 sheet (import problems) ----------------------------------------------

cat > "$T_DIR/problems.csv" <<'CSV'
项目代码,问题类别,问题描述,严重程度,责任单位,提出日期,解决时限,状态,解决日期,解决措施
LY-2026-101,用地,二期用地指标未落实,重大,市自然资源和规划局,2026/11/04,2026/12/04,,,
LY-2026-102,资金,中央预算内资金未下达,一般,市发改委,2026-11-11,,,,
LY-2026-103,征迁,12户未签协议,一般,涧西区政府,2026-11-01,2026-11-15,已解决,2026-11-14,区政府集中攻坚
LY-2026-101,用电,专用变电站未建成，施工用电不足,一般,,2026-11-18,,,,
CSV
run import problems "$T_DIR/problems.csv" --dry-run
expect_eq "a dry run of the 问题清单" "0|3|0|1|True" \
    "$rc|$(echo "$out" | py '"%d|%d|%d|%s" % (d["inserted"], d["updated"], d["unchanged"], d["dry_run"])')"
run import problems "$T_DIR/problems.csv"
expect_eq "the sheet is imported: three new problems, the one added by hand unchanged" "0|3|0|1" \
    "$rc|$(echo "$out" | py '"%d|%d|%d" % (d["inserted"], d["updated"], d["unchanged"])')"
expect_eq "each as the sheet says, the limit by severity when none is given" \
    "land|major|市自然资源和规划局|2026-11-04|2026-12-04|open
funding|ordinary|市发改委|2026-11-11|2026-11-18|overdue
demolition|ordinary|涧西区政府|2026-11-01|2026-11-15|resolved" \
    "$(kpctl --json problem list | py '"\n".join("|".join(str(r[k]) for k in ("category", "severity", "unit", "reported_on", "time_limit", "status")) for r in sorted(d, key=lambda r: r["id"]) if r["description"] in ("二期用地指标未落实", "中央预算内资金未下达", "12户未签协议"))')"
ip=$(sql "SELECT id FROM problem WHERE description = '12户未签协议'")
expect_eq "audited as import.problems under its id" "$me|resolved|2026-11-14" \
    "$(last_audit "problem:$ip" import.problems "concat_ws('|', actor, new->>'status', new->>'resolved_on')")"
before=$(ledger_digest)
n=$(audits)
run import problems "$T_DIR/problems.csv"
expect_eq "importing it again changes nothing" "0|0|0|4|$before|$n" \
    "$rc|$(echo "$out" | py '"%d|%d|%d" % (d["inserted"], d["updated"], d["unchanged"])')|$(ledger_digest)|$n"
cat > "$T_DIR/bad-problems.csv" <<'CSV'
项目代码,问题类别,问题描述,严重程度,提出日期,解决时限
LY-2026-101,航天,问题一,一般,2026-11-01,
LY-2026-101,用地,问题二,一般,2026-11-30,
LY-2026-101,用地,问题三,一般,2026-11-10,2026-11-05
LY-2026-101,用地,问题四,很重,2026-11-10,
LY-2026-101,用地,问题五,一般,,
CSV
run import problems "$T_DIR/bad-problems.csv"
expect_eq "a 问题清单 with errors: every one by line and column, nothing written" \
    "1|3|提出日期|2026-11-30 is in the future (today is $TODAY)
5|严重程度|unknown severity '很重' (expected one of 一般, 重大 (or ordinary, major))
6|提出日期|required value is empty|$before" \
    "$rc|$(echo "$out" | py '"\n".join("%s|%s|%s" % (e["line"], e["column"], e["message"]) for e in d["details"])')|$(ledger_digest)"
sed -i '3d;5,6d' "$T_DIR/bad-problems.csv"
run import problems "$T_DIR/bad-problems.csv"
expect_eq "what only the database knows is named the same way: the category, a limit before the reported date" \
    "2|问题类别|unknown category '航天' (expected one of 资金, 规划, 用地, 环保, 征迁, 审批, 施工, 用电, 用气, 用煤, 用水, 用热, 其他 (or funding, planning, land, environment, demolition, approval, construction, element_power, element_gas, element_coal, element_water, element_heat, other))
3|解决时限|time limit 2026-11-05 is before the reported date 2026-11-10" \
    "$(echo "$out" | py '"\n".join("%s|%s|%s" % (e["line"], e["column"], e["message"]) for e in d["details"])')"

# ---- problem stats -------------------------------------------------------------------

expect_eq "problem stats: by category, in the list's order, with a total" \
    "funding 资金 1|0|1|0|0 land 用地 1|1|0|0|1 demolition 征迁 1|0|0|1|0 element_power 用电 1|1|0|0|0 element_gas 用气 1|0|1|0|1 element_heat 用热 1|1|0|0|0 合计 None 6|3|2|1|2" \
    "$(kpctl --json problem stats | py '" ".join("%s %s %d|%d|%d|%d|%d" % (r["category"], r["category_name"], r["problems"], r["open"], r["overdue"], r["resolved"], r["major"]) for r in d)')"
expect_eq "--by unit: the problem's unit, else its project's" \
    "市发改委 2|1 市水利局 1|1 市自然资源和规划局 1|0 涧西区政府 2|0 合计 6|2" \
    "$(kpctl --json problem stats --by unit | py '" ".join("%s %d|%d" % (r["unit"], r["problems"], r["overdue"]) for r in d)')"
expect_eq "--by county (县区 in Chinese)" "洛龙区 2|2 涧西区 4|0 合计 6|2" \
    "$(kpctl --json problem stats --by 县区 | py '" ".join("%s %d|%d" % (r["county"], r["problems"], r["overdue"]) for r in d)')"
run problem stats --by sector
expect_eq "--by something else is a usage error" 2 "$rc"
expect_contains "…naming the choices" "--by: unknown value 'sector' (expected category, unit or county; or 类别, 单位, 县区)" "$err"


# ---- approval.overdue on the daemon's clock ----------------------------------

kpctl scan >/dev/null || fail "scan"
overdue_alerts() { sql "SELECT count(*) FROM alert WHERE kind = 'approval.overdue' AND subject = 'approval:$1'"; }
expect_eq "the item past its time limit raised approval.overdue" 1 "$(overdue_alerts "$a1")"
expect_eq "the item not yet due raised nothing" 0 "$(overdue_alerts "$a2")"
kpctl clock set 2026-12-11T10:00:00+08:00 >/dev/null || fail "clock set"
kpctl scan >/dev/null || fail "scan"
expect_eq "the day after its time limit, the other one is overdue too" 1 "$(overdue_alerts "$a2")"
expect_eq "approval list --overdue shows both, the oldest first" "$a1,$a2" \
    "$(kpctl --json approval list --overdue | py '",".join(str(r["id"]) for r in d)')"

# ---- an item made from a node is the node's, until the node is gone ------------

# Made by SQL in one transaction, so that no scan can have touched it
# before it is read: the item is written with nothing for the scan.
expect_eq "an item made from a node is born with no next check: the node's alerts speak for it" "none" \
    "$(sql "INSERT INTO milestone (project_id, campaign_id, kind, title, due_on)
              SELECT p.id, c.id, 'approval', '消防审验', '2026-11-20' FROM project p, campaign c
               WHERE p.code = 'LY-2026-102' AND c.code = '2026-B6';
            SELECT coalesce(a.next_check_on::text, 'none') FROM approval a JOIN milestone m ON m.id = a.milestone_id
             WHERE m.title = '消防审验'")"
fire=$(sql "SELECT id FROM approval WHERE item = '消防审验'")
fire_node=$(sql "SELECT id FROM milestone WHERE title = '消防审验'")
kpctl scan >/dev/null || fail "scan"
expect_eq "the overdue node raised milestone.overdue, its item nothing of its own" "1|0" \
    "$(sql "SELECT count(*) FROM alert WHERE kind = 'milestone.overdue' AND subject = 'milestone:$fire_node'")|$(overdue_alerts "$fire")"
sql "DELETE FROM milestone WHERE id = $fire_node" >/dev/null
kpctl scan >/dev/null || fail "scan"
expect_eq "its node deleted by hand, the item is the scan's again: overdue since 2026-11-20" "1|-1" \
    "$(overdue_alerts "$fire")|$(sql "SELECT coalesce(milestone_id, -1) FROM approval WHERE id = $fire")"
