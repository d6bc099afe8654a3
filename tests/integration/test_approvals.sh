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

# @@LATER@@

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
