#!/bin/bash
# The project office (项目办) keeps its list through the year: a road opens
# to traffic (通车) and its project is completed by that node alone; a
# spreadsheet with a typo county (洛龙县) is refused with a suggestion and
# writes nothing, and so is one naming a county the ledger does not know
# until it is declared (units too, when the office sets new_units = refuse); a project taken off the list (调出) leaves the counts, the
# ranking and the alerts, and comes back (调入) with its history. All
# through keyprojctl, on the demo ledger, on the daemon's own clock.
. "$top_srcdir/tests/integration/lib.sh"

TODAY=2026-11-25
me=$(id -un)

# last_audit SUBJECT ACTION COLUMNS — the newest audit row about SUBJECT.
last_audit() {
    sql "SELECT $3 FROM audit_log WHERE subject = '$1' AND action = '$2' ORDER BY id DESC LIMIT 1"
}

create_demo_db      # the demo ledger, imported
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
kpctl scan >/dev/null || fail "scan"    # the lights settle

# ---- completion by milestone ---------------------------------------------

# 纬六路（富民路—经六路段）, due to end on 03-03, passed its handover
# acceptance (交工验收) on 02-10 and opened to traffic (通车) on 02-19:
# imported as done, the earlier of these nodes completed the project.
fumin=2024-410372-47-01-636321
run project "$fumin"
expect_eq "the demo's 交工验收 node, imported as done, completed its project on its date" \
    "completed|2026-02-10|None" \
    "$(echo "$out" | py 'd["status"] + "|" + str(d["actual_end"]) + "|" + str([r for r in (d["light_reasons"] or []) if r == "completion"] or None)')"
tonode=$(sql "SELECT m.id FROM milestone m JOIN project p ON p.id = m.project_id WHERE p.code = '$fumin' AND m.title = '交工验收'")
expect_eq "…audited as project.complete, the node named as the reason" \
    "$me|completed|2026-02-10|milestone $tonode (2026-B1 交工验收) done on 2026-02-10|milestone:$tonode" \
    "$(last_audit "project:$fumin" project.complete "concat_ws('|', actor, new->>'status', new->>'actual_end', new->>'reason', new->>'milestone')")"
expect_eq "no project with a done completing node is left unfinished (the 78 reds of the issue)" 0 \
    "$(sql "SELECT count(DISTINCT p.id) FROM project p JOIN milestone m ON m.project_id = p.id
            WHERE m.kind IN ('completion', 'operation') AND m.status = 'done'
              AND p.status NOT IN ('completed', 'operating')
              AND (p.actual_start IS NULL OR p.actual_start <= m.done_on)")"
expect_eq "and none is red for its completion" 0 \
    "$(sql "SELECT count(*) FROM project p WHERE 'completion' = ANY (p.light_reasons)
            AND EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = p.id AND m.status = 'done'
                        AND m.kind IN ('completion', 'operation'))")"

# 老城区's project finished its acceptance (竣工验收) on 09-10, reported late:
# red for its completion until the node is marked done.
laocheng=2026-410302-32-01-130495
node=$(sql "SELECT m.id FROM milestone m JOIN project p ON p.id = m.project_id
            WHERE p.code = '$laocheng' AND m.title = '竣工验收'")
expect_eq "before: not completed, red for its completion" "False|red|True" \
    "$(kpctl --json project "$laocheng" | py 'str(d["status"] == "completed") + "|" + d["light"] + "|" + str("completion" in d["light_reasons"])')"
run done "$node" --date 2026-09-10
expect_eq "done on a 竣工验收 node answers the node and the project it completed" \
    "done|$laocheng|completed|2026-09-10" \
    "$(echo "$out" | py 'd["status"] + "|" + d["completed_project"]["project"] + "|" + d["completed_project"]["status"] + "|" + d["completed_project"]["actual_end"]')"
expect_eq "the project is completed on the node's date" "completed|2026-09-10" \
    "$(kpctl --json project "$laocheng" | py 'd["status"] + "|" + d["actual_end"]')"
expect_eq "audited: the node, then the project with the node as reason" \
    "milestone.done|milestone:$node
project.complete|project:$laocheng|milestone:$node" \
    "$(sql "SELECT action || '|' || subject || coalesce('|' || (new->>'milestone'), '') FROM audit_log
            WHERE id >= (SELECT max(id) FROM audit_log WHERE subject = 'milestone:$node') ORDER BY id")"
kpctl scan >/dev/null || fail "scan"
expect_eq "after the next scan its completion light has cleared" False \
    "$(kpctl --json project "$laocheng" | py '"completion" in (d["light_reasons"] or [])')"
run complete "$laocheng" 2026-09-12
expect_contains "and \`complete\` says it is already completed" "is already completed (on 2026-09-10)" "$err"

# ---- known counties ---------------------------------------------------------

# A sheet from 洛龙区 comes in with its county typed 洛龙县: refused, with
# the county it probably means, and nothing written.
printf '%s\n%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别" \
    "LY-2026-901,洛龙区智慧物流园,2026,市,洛龙县,产业,新开工" \
    "LY-2026-902,洛龙区社区养老中心,2026,市,洛龙区,民生,新开工" > "$T_DIR/typo.csv"
before=$(ledger_digest)
counties=$(kpctl --json county | py 'len(d)')
run import projects "$T_DIR/typo.csv"
expect_eq "an import naming a county one character from a known one is refused" 1 "$rc"
expect_contains "…with the county it probably means" "unknown county '洛龙县' (did you mean 洛龙区?)" "$out"
expect_contains "…and how to declare it if it is real" "county add 洛龙县 --group 县组" "$out"
expect_eq "nothing was written: the ledger and the audit log are unchanged" "$before" "$(ledger_digest)"
expect_eq "no county was created" "$counties|False" \
    "$(kpctl --json county | py 'str(len(d)) + "|" + str(any(r["county"] == "洛龙县" for r in d))')"
run rank
expect_not_contains "and 洛龙县 is not in the ranking" "洛龙县" "$out"

# Fixed, the same sheet goes in.
sed -i 's/洛龙县/洛龙区/' "$T_DIR/typo.csv"
run import projects "$T_DIR/typo.csv"
expect_eq "the corrected sheet is imported" "0|2" "$rc|$(echo "$out" | field inserted)"

# A county that really is one character from another is declared first.
run county add 涧东区 --group 城区组
expect_eq "county add declares a county (admin), audited" \
    "0|涧东区|district|county.add|$me" \
    "$rc|$(echo "$out" | py 'd["name"] + "|" + d["group"]')|$(last_audit "county:涧东区" county.add "action || '|' || actor")"
run county add 涧东区 --group 城区组
expect_contains "declaring it twice is refused" "county 涧东区 is already known" "$err"
run county add 某区 --group 省组
expect_eq "an unknown group is a usage error" 2 "$rc"
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别" \
    "LY-2026-903,涧东区某项目,2026,市,涧东区,产业,新开工" > "$T_DIR/declared.csv"
run import projects "$T_DIR/declared.csv"
expect_eq "a declared county is known to the import" "0|1" "$rc|$(echo "$out" | field inserted)"

# The counties are a known list: only the ledger's first import creates the
# counties it names. 新安新区, a new zone near no county the ledger knows,
# comes in a later sheet beside a project of 洛龙区: refused, saying how
# many counties the ledger knows and how to declare it, and nothing written.
printf '%s\n%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别,年度计划投资" \
    "LY-2026-907,新安新区智能制造园,2026,市,新安新区,产业,新开工,5000" \
    "LY-2026-908,洛龙区社区养老中心二期,2026,市,洛龙区,民生,新开工,800" > "$T_DIR/new-county.csv"
before=$(ledger_digest)
counties=$(kpctl --json county | py 'len(d)')
run import projects "$T_DIR/new-county.csv"
expect_eq "an import naming a county the ledger does not know is refused" 1 "$rc"
expect_contains "…saying how many it knows and how to declare it" \
    "unknown county '新安新区': the ledger knows $counties counties; declare it first with \`county add 新安新区 --group 功能区组\`" \
    "$out"
expect_eq "…on its line only, in the sheet's column" "2 县区" \
    "$(echo "$out" | py '" ".join(str(e[k]) for e in d["details"] for k in ("line", "column"))')"
expect_eq "nothing was written, not even the line of 洛龙区" "$before" "$(ledger_digest)"
expect_eq "no county was created" "$counties|False" \
    "$(kpctl --json county | py 'str(len(d)) + "|" + str(any(r["county"] == "新安新区" for r in d))')"
run rank
expect_not_contains "and 新安新区 is not in the ranking" "新安新区" "$out"
run county add 新安新区 --group 功能区组
expect_eq "county add declares it" 0 "$rc"
run import projects "$T_DIR/new-county.csv"
expect_eq "then the same sheet is imported" "0|2" "$rc|$(echo "$out" | field inserted)"
expect_eq "…and 新安新区 is ranked among the zones" "zone" \
    "$(kpctl --json rank | py '[r["group"] for r in d if r["county"] == "新安新区"][0]')"

# The pure part: the distance is counted in characters, not bytes.
expect_eq "keyproj_edit_distance counts characters" "1 1 2 0 3 2" \
    "$(sql "SELECT concat_ws(' ', keyproj_edit_distance('洛龙县', '洛龙区'), keyproj_edit_distance('涧西', '涧西区'),
                                 keyproj_edit_distance('洛龙县', '嵩县'), keyproj_edit_distance('嵩县', '嵩县'),
                                 keyproj_edit_distance('', 'abc'), keyproj_edit_distance('kitten', 'sitting') - 1)")"

# ---- known units ------------------------------------------------------------
# A unit one character from a known one, after the first two that name its
# place or body (市工倍局 for 市工信局), is a typo: refused everywhere it can
# be named, with the unit it probably means; 伊川县政府 and 栾川县政府, both
# in the demo, stay two units.
units=$(kpctl --json unit | py 'len(d)')
expect_eq "the demo's units are known, 伊川县政府 and 栾川县政府 among them" "True" \
    "$(kpctl --json unit | py '{"伊川县政府", "栾川县政府", "市工信局"} <= set(r["unit"] for r in d)')"
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别,责任单位" \
    "LY-2026-905,洛龙区某配套项目,2026,市,洛龙区,产业,新开工,市工倍局" > "$T_DIR/unit-typo.csv"
run import projects "$T_DIR/unit-typo.csv"
expect_eq "an import naming 市工倍局 is refused, writing nothing" "1|$units" "$rc|$(kpctl --json unit | py 'len(d)')"
expect_contains "…with the unit it probably means and how to declare it" \
    "unknown unit '市工倍局' (did you mean 市工信局?): correct it, or declare it first with \`unit add 市工倍局\`" "$out"
run problem add "$fumin" --category 资金 --severity 一般 --text "配套资金未到位" --unit 市工倍局
expect_eq "problem add --unit 市工倍局 is refused too" "1|invalid" "$rc|$(echo "$out" | field code)"
run approval add "$fumin" 节能审查 --dept 市工倍局 --due 2026-12-20
expect_contains "…and approval add --dept" "did you mean 市工信局?" "$err"
run unit add 市工倍局
expect_eq "unit add declares it (admin), audited" "0|市工倍局|unit.add" \
    "$rc|$(echo "$out" | field name)|$(last_audit "unit:市工倍局" unit.add action)"
run import projects "$T_DIR/unit-typo.csv"
expect_eq "a declared unit is known to the import" "0|1" "$rc|$(echo "$out" | field inserted)"
run unit add 市工倍局
expect_contains "declaring it twice is refused" "unit 市工倍局 is already known" "$err"
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别,责任单位" \
    "LY-2026-906,洛龙区新单位项目,2026,市,洛龙区,产业,新开工,市大数据局" > "$T_DIR/unit-new.csv"
run import projects "$T_DIR/unit-new.csv"
expect_eq "a unit near none (市大数据局) is created by the import as before" "0|1" \
    "$rc|$(kpctl --json unit | py 'sum(r["unit"] == "市大数据局" for r in d)')"

# With import.new_units = "refuse" the units are a known list as the
# counties are: a unit near none (市数据局) is refused until declared.
stop_daemon || fail "keyprojd exited badly"
write_config 'import = { new_units = "refuse"; };'
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别,责任单位" \
    "LY-2026-909,洛龙区算力中心,2026,市,洛龙区,产业,新开工,市数据局" > "$T_DIR/unit-refused.csv"
before=$(ledger_digest)
units=$(kpctl --json unit | py 'len(d)')
run import projects "$T_DIR/unit-refused.csv"
expect_eq "under new_units = refuse, an import naming a unit the ledger does not know is refused" 1 "$rc"
expect_eq "…saying how many it knows and how to declare it" \
    "unknown unit '市数据局': the ledger knows $units units and creates no other (import.new_units = \"refuse\"); declare it first with \`unit add 市数据局\`" \
    "$(echo "$out" | py 'd["details"][0]["message"]')"
expect_eq "nothing was written, no unit created" "$before|$units" "$(ledger_digest)|$(kpctl --json unit | py 'len(d)')"
run import projects "$T_DIR/unit-typo.csv"
expect_eq "a known unit passes (市工倍局, declared above)" 0 "$rc"
run unit add 市数据局
expect_eq "unit add declares it" 0 "$rc"
run import projects "$T_DIR/unit-refused.csv"
expect_eq "then the same sheet is imported" "0|1" "$rc|$(echo "$out" | field inserted)"

# The same setting covers the commands that name a unit: problem add --unit
# and approval add --dept refuse 新单位, with the import's words, write no
# unit and no row, and audit the refusal; once declared, both go through.
units=$(kpctl --json unit | py 'len(d)')
unknown="unknown unit '新单位': the ledger knows $units units and creates no other (import.new_units = \"refuse\"); declare it first with \`unit add 新单位\`"
problems=$(sql "SELECT count(*) FROM problem")
approvals=$(sql "SELECT count(*) FROM approval")
run problem add "$fumin" --category 资金 --severity 一般 --text "新单位配套资金未到位" --unit 新单位
expect_eq "under new_units = refuse, problem add --unit 新单位 is refused with the import's message" \
    "1|invalid|$unknown" "$rc|$(echo "$out" | field code)|$(echo "$out" | field message)"
expect_eq "…audited as problem.add, refused" "invalid: $unknown" \
    "$(last_audit "project:$fumin" problem.add result)"
run approval add "$fumin" 某事项 --dept 新单位 --due 2026-12-20
expect_eq "approval add --dept 新单位 is refused the same way" "1|invalid|$unknown" \
    "$rc|$(echo "$out" | field code)|$(echo "$out" | field message)"
expect_eq "…audited as approval.add, refused" "invalid: $unknown" \
    "$(last_audit "project:$fumin" approval.add result)"
expect_eq "neither created the unit nor wrote a row" "$units|$problems|$approvals" \
    "$(kpctl --json unit | py 'len(d)')|$(sql "SELECT count(*) FROM problem")|$(sql "SELECT count(*) FROM approval")"
run unit add 新单位
expect_eq "unit add declares 新单位" 0 "$rc"
run problem add "$fumin" --category 资金 --severity 一般 --text "新单位配套资金未到位" --unit 新单位
expect_eq "then problem add --unit 新单位 goes through" "0|新单位" "$rc|$(echo "$out" | field unit)"
run approval add "$fumin" 某事项 --dept 新单位 --due 2026-12-20
expect_eq "…and approval add --dept 新单位" "0|新单位" "$rc|$(echo "$out" | field unit)"
expect_eq "one row each, under the one declared unit" "$((units + 1))|$((problems + 1))|$((approvals + 1))" \
    "$(kpctl --json unit | py 'len(d)')|$(sql "SELECT count(*) FROM problem")|$(sql "SELECT count(*) FROM approval")"

# ---- the list changes: 调出 and 调入 again -----------------------------------

# A project of this year with alerts raised, taken off the list on 11-20.
gone=$(sql "SELECT p.code FROM project p WHERE p.year = 2026 AND p.annual_plan > 0
              AND EXISTS (SELECT 1 FROM alert a WHERE a.project_id = p.id)
              AND EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = p.id AND m.status = 'pending'
                          AND m.due_on < '$TODAY')
            ORDER BY p.code LIMIT 1")
[ -n "$gone" ] || fail "the demo has a project with alerts and an overdue node"
listed() { kpctl --json projects | py "sum(1 for r in d if r['code'] == '$gone')"; }
total() { kpctl --json stats | py '[r["projects"] for r in d if r["county"] == "合计"][0]'; }
county_of=$(sql "SELECT c.name FROM project p JOIN county c ON c.id = p.county_id WHERE p.code = '$gone'")
ranked() { kpctl --json rank | py "[r['projects'] for r in d if r['county'] == '$county_of'][0]"; }
projects_before=$(status_field projects)
total_before=$(total)
ranked_before=$(ranked)
expect_eq "before: the project is listed" 1 "$(listed)"

run archive "$gone" --reason "已列入省重点，调出市重点" --date 2026-11-20
expect_eq "archive (调出) answers the project with its date and reason" \
    "0|2026-11-20|已列入省重点，调出市重点" \
    "$rc|$(echo "$out" | py 'd["archived_on"] + "|" + d["archive_reason"]')"
expect_eq "…audited as project.archive, by whom, with date and reason" \
    "$me|ok|2026-11-20|已列入省重点，调出市重点" \
    "$(last_audit "project:$gone" project.archive "concat_ws('|', actor, result, new->>'archived_on', new->>'archive_reason')")"
expect_eq "it is gone from projects" 0 "$(listed)"
expect_eq "stats' total counts one project less" "$((total_before - 1))" "$(total)"
expect_eq "status counts one project less" "$((projects_before - 1))" "$(status_field projects)"
expect_eq "rank counts one project less in its county" "$((ranked_before - 1))" "$(ranked)"
expect_eq "its unsent deliveries are not sent: none is left pending" 0 \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id JOIN project p ON p.id = a.project_id
            WHERE p.code = '$gone' AND d.status = 'pending'")"
expect_eq "project CODE still shows it, marked 已调出, with its milestones" \
    "已调出|2026-11-20|True" \
    "$(kpctl --json project "$gone" | py 'd["list"] + "|" + d["archived_on"] + "|" + str(len(d["milestones"]) > 0)')"

# Its rows are checked again as if newly due: the scan raises nothing for it.
recheck() {
    sql "DELETE FROM alert a USING project p WHERE p.id = a.project_id AND p.code = '$gone';
         UPDATE milestone_state s SET next_check_on = '-infinity' FROM milestone m, project p
          WHERE m.id = s.milestone_id AND p.id = m.project_id AND p.code = '$gone';
         UPDATE project_state SET next_check_on = '-infinity' WHERE project_id = (SELECT id FROM project WHERE code = '$gone')" >/dev/null
    kpctl scan >/dev/null || fail "scan"
}
alerts_of() { sql "SELECT count(*) FROM alert a JOIN project p ON p.id = a.project_id WHERE p.code = '$gone'"; }
recheck
expect_eq "a scan raises no alert for an archived project" 0 "$(alerts_of)"
expect_eq "…though its overdue node is still overdue in its history" True \
    "$(kpctl --json project "$gone" | py 'any(m["status"] == "overdue" for m in d["milestones"])')"

run archive "$gone" --reason again
expect_eq "archiving an archived project is refused" 1 "$rc"
expect_contains "…saying since when" "project $gone is already archived (调出 on 2026-11-20" "$err"
run archive NO-SUCH-CODE --reason typo
expect_eq "archiving an unknown code is refused" 1 "$rc"
expect_contains "…naming it" "no project with code 'NO-SUCH-CODE'" "$err"
run archive "$gone"
expect_eq "an archive without a reason is a usage error" 2 "$rc"
run readmit "$fumin" --reason "not archived"
expect_contains "readmitting a listed project is refused" "project $fumin is not archived" "$err"

run readmit "$gone" --reason "省重点未批，调回市重点"
expect_eq "readmit (调入) puts it back on the list" "0|None" "$rc|$(echo "$out" | py 'str(d["archived_on"])')"
expect_eq "…audited as project.readmit with the old archive date and the reason" \
    "$me|2026-11-20|省重点未批，调回市重点" \
    "$(last_audit "project:$gone" project.readmit "concat_ws('|', actor, old->>'archived_on', new->>'reason')")"
expect_eq "it is listed again" 1 "$(listed)"
expect_eq "stats' total is back" "$total_before" "$(total)"
expect_eq "…and so is its county's in rank" "$ranked_before" "$(ranked)"
expect_eq "status counts it again" "$projects_before" "$(status_field projects)"
expect_eq "project CODE shows it on the list" 在册 "$(kpctl --json project "$gone" | field list)"
recheck
expect_eq "and a scan raises its alerts again" True "$(test "$(alerts_of)" -gt 0 && echo True || echo False)"
