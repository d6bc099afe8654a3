#!/bin/bash
# One 双月攻坚 window (2026-B6, November and December) of the project
# office's work, end to end, through keyprojctl only: the ledger and its
# 联审联批 sheet imported, problems raised at last week's meeting recorded
# with their own date, letters issued by hand with their numbers, a project
# taken off the list and re-admitted, a road completed by its 通车 node, the
# window closed and its 按期完成率 frozen, unchanged by a later `done`.
# The daemon's clock is the test's.
. "$top_srcdir/tests/integration/lib.sh"

# at TIME — moves the daemon's clock and lets a scan judge the ledger.
at() {
    kpctl clock set "$1" >/dev/null || fail "clock set $1"
    kpctl scan >/dev/null || fail "scan at $1"
}
# node TITLE — the id of the B6 milestone with that title.
node() {
    kpctl --json milestones --campaign 2026-B6 | py "[r['id'] for r in d if r['title'] == '$1'][0]"
}

create_db
write_config
start_daemon --now "2026-11-02T09:00:00+08:00"
wait_ready

# ---- the ledger and its sheets (2 November) -----------------------------------
cat > "$T_DIR/projects.csv" <<'CSV'
项目编号,项目名称,年度,级别,县区,领域,类别,责任单位,分包领导,年度计划投资,计划开工,计划竣工
LY-2026-201,王城大道北延,2026,市,洛龙区,基础设施,续建,市交通运输局,张建国,30000,2025-06-01,2026-12-31
LY-2026-202,伊滨区智能制造产业园,2026,省,伊滨区,产业,续建,伊滨区管委会,李卫东,45000,2025-09-01,2027-10-31
LY-2026-203,涧西区老旧小区改造,2026,市,涧西区,民生,新开工,涧西区政府,王红梅,8000,2026-04-01,2027-06-30
LY-2026-204,洛河生态修复二期,2026,市,洛龙区,生态,续建,市水利局,张建国,12000,2025-03-01,2027-03-31
CSV
cat > "$T_DIR/milestones.csv" <<'CSV'
project,campaign,kind,title,due,unit,status,done_on
LY-2026-201,2026-B6,structure,沥青面层完成,2026-11-15,市交通运输局,,
LY-2026-201,2026-B6,completion,通车,2026-11-30,市交通运输局,,
LY-2026-202,2026-B6,structure,主厂房封顶,2026-11-20,伊滨区管委会,,
LY-2026-202,2026-B6,approval,施工许可,2026-11-10,市住建局,,
LY-2026-203,2026-B6,start,一期开工,2026-11-10,涧西区政府,,
LY-2026-203,2026-B6,other,管网改造完成,2026-12-20,涧西区政府,,
LY-2026-204,2026-B6,other,岸线整治完成,2026-12-15,市水利局,,
CSV
cat > "$T_DIR/approvals.csv" <<'CSV'
项目代码,审批事项,牵头部门,办理时限,办结日期,状态,备注
LY-2026-202,环评批复,市生态环境局,2026-11-25,,,
LY-2026-203,用地预审,市自然资源和规划局,2026-11-30,,,
CSV
for kind in projects milestones approvals; do
    run import $kind "$T_DIR/$kind.csv"
    expect_eq "import $kind" 0 "$rc"
done
expect_eq "4 projects, 7 B6 nodes, and 3 联审联批 items: the sheet's 2 and the 施工许可 node's" "4 7 3" \
    "$(kpctl --json projects | py 'len(d)') $(kpctl --json milestones --campaign 2026-B6 | py 'len(d)') $(kpctl --json approval list | py 'len(d)')"

# ---- problems from last week's meeting, recorded on 2 November -------------------
run problem add LY-2026-202 --category 用电 --severity 重大 --text "专用变电站未建成" --reported 2026-10-28 --limit 2026-11-12
expect_eq "a problem raised at the 28 October meeting keeps that date and its limit" "0 2026-10-28 2026-11-12" \
    "$rc $(echo "$out" | py 'd["reported_on"] + " " + d["time_limit"]')"
run problem add LY-2026-203 --category 用地 --severity 一般 --text "12户未签协议" --reported 2026-11-09
expect_eq "a report date in the future is refused" "1|invalid" "$rc|$(echo "$out" | field code)"
expect_contains "…saying why" "reported date 2026-11-09 is in the future (today is 2026-11-02)" "$err"

# ---- letters by hand, numbered ------------------------------------------------------
nos=
for args in "reminder LY-2026-203 --reason 一期未按期开工" "assignment LY-2026-202 --reason 协调解决施工用电" \
            "reminder LY-2026-204 --reason 岸线整治进度滞后"; do
    run order issue $args
    expect_eq "order issue $args" 0 "$rc"
    nos="$nos $(echo "$out" | field doc_no)"
    last=$(echo "$out" | field id)
done
expect_eq "numbered per kind and year" " 重点提〔2026〕1号 重点交〔2026〕1号 重点提〔2026〕2号" "$nos"
expect_contains "order show prints the letter with its number" "重点提〔2026〕2号" "$(kpctl order show "$last")"

# ---- the list changes: 调出 and 调入 ----------------------------------------------
kpctl archive LY-2026-204 --reason "调出市重点项目" >/dev/null || fail "archive"
expect_eq "a project taken off the list leaves projects and the window's counts" "3 6" \
    "$(kpctl --json projects | py 'len(d)') $(kpctl --json campaign show 2026-B6 | field milestones)"
kpctl readmit LY-2026-204 --reason "重新列入" >/dev/null || fail "readmit"
expect_eq "…and comes back with its nodes" "4 7" \
    "$(kpctl --json projects | py 'len(d)') $(kpctl --json campaign show 2026-B6 | field milestones)"

# ---- the month's work ------------------------------------------------------------------
at 2026-11-18T10:00:00+08:00
kpctl done "$(node 沥青面层完成)" --date 2026-11-14 >/dev/null || fail "done 沥青面层完成"
kpctl done "$(node 一期开工)" --date 2026-11-16 >/dev/null || fail "done 一期开工"        # late (due 11-10)
kpctl done "$(node 施工许可)" --date 2026-11-09 >/dev/null || fail "done 施工许可"
run project LY-2026-201
expect_eq "the road is not complete before its 通车 node" "None" "$(echo "$out" | field actual_end | sed 's/^$/None/')"
at 2026-11-29T10:00:00+08:00
run done "$(node 通车)" --date 2026-11-28
expect_eq "通车 done on 11-28 completes the road on that day" "0 completed 2026-11-28" \
    "$rc $(echo "$out" | py 'd["completed_project"]["status"] + " " + d["completed_project"]["actual_end"]')"
at 2026-12-12T10:00:00+08:00
kpctl done "$(node 岸线整治完成)" --date 2026-12-10 >/dev/null || fail "done 岸线整治完成"
# 主厂房封顶 (due 11-20) and 管网改造完成 (due 12-20) stay open.

# ---- the window closes -------------------------------------------------------------------
at 2027-01-01T08:00:00+08:00
# 7 nodes: 4 on time (沥青面层, 施工许可, 通车, 岸线整治), 1 late (一期开工), 2 open.
expect_eq "B6 frozen by the first scan of 2027: 7 nodes, 4 on time, 1 late, 2 open, 57.1%" \
    "7 4 1 2 57.1 2027-01-01" \
    "$(kpctl --json campaign scorecard 2026-B6 | py '" ".join(str(d[0][k]) for k in ("nodes", "on_time", "late", "open", "on_time_pct", "frozen_on"))')"
expect_eq "…洛龙区 (the road and the river) 3 of 3 on time, 伊滨区 1 of 2, 涧西区 0 of 2" \
    "洛龙区 3 3|伊滨区 2 1|涧西区 2 0" \
    "$(kpctl --json campaign scorecard 2026-B6 | py '"|".join(" ".join(str(r[k]) for k in ("county", "nodes", "on_time")) for r in d[1:])')"

# A late report in January: the node is marked done with a December date.
at 2027-01-05T10:00:00+08:00
kpctl done "$(node 管网改造完成)" --date 2026-12-18 >/dev/null || fail "done 管网改造完成"
expect_eq "the frozen scorecard is unchanged; today's count and the correction stand beside it" \
    "4 57.1 5 71.4 14.3" \
    "$(kpctl --json campaign scorecard 2026-B6 | py '" ".join(str(d[0][k]) for k in ("on_time", "on_time_pct", "on_time_now", "on_time_pct_now", "correction_pts"))')"
expect_eq "…and each county's frozen count is unchanged, today's beside it: 涧西区's late node makes 1 of 2, +50 points" \
    "洛龙区 3 100.0 3 100.0 0.0|伊滨区 1 50.0 1 50.0 0.0|涧西区 0 0.0 1 50.0 50.0" \
    "$(kpctl --json campaign scorecard 2026-B6 | py '"|".join(" ".join(str(r[k]) for k in ("county", "on_time", "on_time_pct", "on_time_now", "on_time_pct_now", "correction_pts")) for r in d[1:])')"
expect_eq "…each county's frozen date is the window's" "2027-01-01 2027-01-01 2027-01-01" \
    "$(kpctl --json campaign scorecard 2026-B6 | py '" ".join(r["frozen_on"] for r in d[1:])')"

# campaign show as the office reads it: the window's nodes by county and by
# sector, each a table under its label (done counts the late node too).
kpctl campaign show 2026-B6 > "$T_DIR/show.txt" || fail "campaign show"
expect_eq "campaign show: by_county and by_sector, each a table under its label" \
    "$(cat <<'TXT'
by_county:
county  milestones  done  on_time  not_yet_due  overdue  waived  done_pct
------  ----------  ----  -------  -----------  -------  ------  --------
伊滨区           2     1        1            0        1       0        50
洛龙区           3     3        3            0        0       0       100
涧西区           2     2        1            0        0       0       100
(3 rows)

by_sector:
sector          milestones  done  on_time  not_yet_due  overdue  waived  done_pct
--------------  ----------  ----  -------  -----------  -------  ------  --------
ecology                  1     1        1            0        0       0       100
industry                 2     1        1            0        1       0        50
infrastructure           2     2        2            0        0       0       100
livelihood               2     2        1            0        0       0       100
(4 rows)
TXT
)" "$(sed -n '/^by_county:$/,$p' "$T_DIR/show.txt")"
if [ -f "$KEYPROJ_LOCALEDIR/zh_CN/LC_MESSAGES/keyproj.mo" ] && locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\{0,1\}8'; then
    env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=zh_CN.UTF-8 "$KEYPROJCTL" -s "$T_SOCK" campaign show 2026-B6 \
        > "$T_DIR/show-zh.txt" || fail "campaign show under zh_CN.UTF-8"
    expect_eq "…and under zh_CN.UTF-8: 按县区 and 按领域, Chinese headers and sectors" \
        "$(cat <<'TXT'
按县区:
县区    节点数  已完成  按期完成  未到期  逾期  免除  完成率（%）
------  ------  ------  --------  ------  ----  ----  -----------
伊滨区       2       1         1       0     1     0           50
洛龙区       3       3         3       0     0     0          100
涧西区       2       2         1       0     0     0          100
（共 3 条）

按领域:
领域      节点数  已完成  按期完成  未到期  逾期  免除  完成率（%）
--------  ------  ------  --------  ------  ----  ----  -----------
生态           1       1         1       0     0     0          100
产业           2       1         1       0     1     0           50
基础设施       2       2         2       0     0     0          100
民生           2       2         1       0     0     0          100
（共 4 条）
TXT
)" "$(sed -n '/^按县区:$/,$p' "$T_DIR/show-zh.txt")"
else
    skip "campaign show under zh_CN.UTF-8: no zh_CN catalog or locale on this machine"
fi

stop_daemon || fail "keyprojd exited badly"
echo "1..$T_CHECKS"
