#!/bin/bash
# stats and rank on the demo data, each figure checked against SQL written
# independently of the daemon's (per-county GROUP BY, DISTINCT ON for the
# latest report), in each output format.
. "$top_srcdir/tests/integration/lib.sh"

create_demo_db      # the demo ledger, imported
write_config
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
kpctl scan >/dev/null || fail "scan"    # the lights settle
TODAY=2026-11-25
MONTH=2026-10-01     # the default month: the one before today's

py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- stats by county: milestones ----------------------------------------
kpctl --json stats > "$T_DIR/stats.json" || fail "stats"
got=$(py '"\n".join("%s|%d|%d|%d" % (r["county"], r["milestones_due"], r["milestones_done"], r["milestones_overdue"]) for r in d if r["county"] != "合计")' < "$T_DIR/stats.json")
want=$(sql "SELECT co.name || '|' || count(m.id) FILTER (WHERE m.status <> 'waived' AND m.due_on < '$TODAY')
                  || '|' || count(m.id) FILTER (WHERE m.status = 'done' AND m.due_on < '$TODAY')
                  || '|' || count(m.id) FILTER (WHERE m.status = 'pending' AND m.due_on < '$TODAY')
            FROM county co JOIN project p ON p.county_id = co.id AND p.year = 2026
            LEFT JOIN milestone m ON m.project_id = p.id
            GROUP BY co.name ORDER BY co.name COLLATE \"C\"")
got_sorted=$(echo "$got" | LC_ALL=C sort)
expect_eq "stats: milestones due/done/overdue per county" "$want" "$got_sorted"
expect_eq "stats: the total row's overdue is status's" "$(status_field milestones_overdue)" \
    "$(py '[r for r in d if r["county"] == "合计"][0]["milestones_overdue"]' < "$T_DIR/stats.json")"
expect_eq "stats: completion rate = done / due" \
    "$(sql "SELECT round(100.0 * count(*) FILTER (WHERE status = 'done') / count(*), 1) FROM milestone
            WHERE status <> 'waived' AND due_on < '$TODAY'")" \
    "$(py '[r for r in d if r["county"] == "合计"][0]["completion_rate"]' < "$T_DIR/stats.json")"

# ---- investment against plan and 序时进度 --------------------------------
INV="WITH latest AS (SELECT DISTINCT ON (project_id) project_id, ytd FROM investment_report
                     WHERE month >= '2026-01-01' AND month <= '$MONTH' ORDER BY project_id, month DESC),
      x AS (SELECT co.name AS county, co.grp, p.annual_plan AS plan, coalesce(l.ytd, 0) AS ytd,
                   coalesce(ip.planned_cumulative, p.annual_plan * 10 / 12) AS due
            FROM project p JOIN county co ON co.id = p.county_id
            LEFT JOIN latest l ON l.project_id = p.id
            LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = '$MONTH'
            WHERE p.year = 2026 AND p.annual_plan > 0)"
for c in 涧西区 洛宁县; do
    expect_eq "stats: $c invested, rate, 序时进度 and points" \
        "$(sql "$INV SELECT round(sum(ytd), 2)::float8 || '|' || round(100 * sum(ytd) / sum(plan), 1)
                || '|' || round(100 * sum(due) / sum(plan), 1) || '|' || round(100 * (sum(ytd) - sum(due)) / sum(plan), 1)
                FROM x WHERE county = '$c'" | sed 's/\.0|/|/g; s/\.0$//')" \
        "$(py '["|".join(str(v) for v in [round(r["invested"], 2), r["investment_rate"], r["schedule_rate"], r["points_vs_schedule"]]) for r in d if r["county"] == "'$c'"][0]' < "$T_DIR/stats.json" | sed 's/\.0|/|/g; s/\.0$//')"
done
expect_eq "stats: total annual plan" "$(sql "SELECT round(sum(annual_plan), 2)::float8 FROM project WHERE year = 2026 AND annual_plan > 0")" \
    "$(py 'round([r for r in d if r["county"] == "合计"][0]["annual_plan"], 2)' < "$T_DIR/stats.json" | sed 's/\.0$//')"

# ---- starts, completions, lights ----------------------------------------
expect_eq "stats: starts planned and done by today" \
    "$(sql "SELECT count(*) || '|' || count(*) FILTER (WHERE actual_start IS NOT NULL) FROM project
            WHERE year = 2026 AND planned_start >= '2026-01-01' AND planned_start <= '$TODAY'")" \
    "$(py '"%d|%d" % tuple([(r["starts_planned"], r["starts_done"]) for r in d if r["county"] == "合计"][0])' < "$T_DIR/stats.json")"
expect_eq "stats: completions planned and done by today" \
    "$(sql "SELECT count(*) || '|' || count(*) FILTER (WHERE actual_end IS NOT NULL) FROM project
            WHERE year = 2026 AND planned_end >= '2026-01-01' AND planned_end <= '$TODAY'")" \
    "$(py '"%d|%d" % tuple([(r["completions_planned"], r["completions_done"]) for r in d if r["county"] == "合计"][0])' < "$T_DIR/stats.json")"
expect_eq "stats: lights" \
    "$(sql "SELECT count(*) FILTER (WHERE light = 'red') || '|' || count(*) FILTER (WHERE light = 'yellow')
            || '|' || count(*) FILTER (WHERE light = 'green') FROM project WHERE year = 2026")" \
    "$(py '"%d|%d|%d" % tuple([(r["red"], r["yellow"], r["green"]) for r in d if r["county"] == "合计"][0])' < "$T_DIR/stats.json")"

# ---- other groupings, a campaign ----------------------------------------
expect_eq "stats --by sector: one row per sector and a total" \
    "$(sql "SELECT string_agg(sector, ',' ORDER BY sector COLLATE \"C\") FROM (SELECT DISTINCT sector FROM project WHERE year = 2026) s"),合计" \
    "$(kpctl --json stats --by sector | py '",".join(r["sector"] for r in d)')"
expect_eq "stats --by leader: the projects add up" "$(sql "SELECT count(*) FROM project WHERE year = 2026")" \
    "$(kpctl --json stats --by leader | py 'sum(r["projects"] for r in d if r["leader"] != "合计")')"
expect_eq "stats --campaign 2026-B6: its milestones only" \
    "$(sql "SELECT count(*) || '|' || count(*) FILTER (WHERE m.status = 'pending')
            FROM milestone m JOIN campaign c ON c.id = m.campaign_id
            WHERE c.code = '2026-B6' AND m.status <> 'waived' AND m.due_on < '$TODAY'")" \
    "$(kpctl --json stats --campaign 2026年第6期 | py '"%d|%d" % tuple([(r["milestones_due"], r["milestones_overdue"]) for r in d if r["county"] == "合计"][0])')"
expect_eq "stats --campaign: starts planned in its window" \
    "$(sql "SELECT count(*) FROM project WHERE year = 2026 AND planned_start BETWEEN '2026-11-01' AND '2026-12-31'")" \
    "$(kpctl --json stats --campaign 2026-B6 | py '[r for r in d if r["county"] == "合计"][0]["starts_planned"]')"
kpctl stats --campaign 2099-B1 >/dev/null 2>"$T_DIR/err"; rc=$?
expect_eq "stats: an unknown campaign is refused" 1 "$rc"
expect_contains "… saying which" "2099-B1" "$(cat "$T_DIR/err")"
kpctl stats --by town >/dev/null 2>&1; rc=$?
expect_eq "stats --by town is a usage error" 2 "$rc"
kpctl rank --month 2026-13 >/dev/null 2>&1; rc=$?
expect_eq "rank --month 2026-13 is a usage error" 2 "$rc"

# ---- rank -----------------------------------------------------------------
kpctl --json rank > "$T_DIR/rank.json" || fail "rank"
expect_eq "rank: 城区组, 县组, 功能区组 in that order, by their canonical names" "district,county,zone" \
    "$(py '",".join(dict.fromkeys(r["group"] for r in d))' < "$T_DIR/rank.json")"
expect_eq "rank: each group holds its counties" \
    "$(sql "SELECT string_agg(name, ',' ORDER BY name COLLATE \"C\") FROM county WHERE grp = 'county'
            AND EXISTS (SELECT 1 FROM project p WHERE p.county_id = county.id AND p.year = 2026 AND p.annual_plan > 0)")" \
    "$(py '",".join(sorted((r["county"] for r in d if r["group"] == "county"), key=lambda s: s.encode()))' < "$T_DIR/rank.json")"
expect_eq "rank: 县组's first is the county furthest ahead of 序时进度" \
    "$(sql "$INV SELECT county FROM x WHERE grp = 'county' GROUP BY county ORDER BY (sum(ytd) - sum(due)) / sum(plan) DESC LIMIT 1")" \
    "$(py '[r["county"] for r in d if r["group"] == "county" and r["rank"] == 1][0]' < "$T_DIR/rank.json")"
expect_eq "rank: ranks run 1…n with points falling within each group" "True" \
    "$(py 'all([r["rank"] for r in d if r["group"] == g] == list(range(1, 1 + sum(r["group"] == g for r in d))) and
               all(a["points_vs_schedule"] >= b["points_vs_schedule"] for a, b in zip([r for r in d if r["group"] == g], [r for r in d if r["group"] == g][1:]))
               for g in ("district", "county", "zone"))' < "$T_DIR/rank.json")"
expect_eq "rank --month 2026-09 (2026年9月) ranks September" "2026-09 2026-09" \
    "$(kpctl --json rank --month 2026-09 | py 'd[0]["month"]') $(kpctl --json rank --month 2026年9月 | py 'd[-1]["month"]')"
expect_eq "rank: 涧西区's September rate against SQL" \
    "$(sql "WITH latest AS (SELECT DISTINCT ON (project_id) project_id, ytd FROM investment_report
                            WHERE month BETWEEN '2026-01-01' AND '2026-09-01' ORDER BY project_id, month DESC)
            SELECT round(100 * sum(coalesce(l.ytd, 0)) / sum(p.annual_plan), 1) FROM project p
            JOIN county co ON co.id = p.county_id LEFT JOIN latest l ON l.project_id = p.id
            WHERE co.name = '涧西区' AND p.year = 2026 AND p.annual_plan > 0")" \
    "$(kpctl --json rank --month 2026-09 | py '[r["investment_rate"] for r in d if r["county"] == "涧西区"][0]')"

# ---- formats ----------------------------------------------------------------
expect_eq "rank --csv: a header and one line per county" \
    "group,rank,county,month,projects,annual_plan,invested,investment_rate,schedule_rate,points_vs_schedule $(($(py 'len(d)' < "$T_DIR/rank.json") + 1))" \
    "$(kpctl --csv rank | head -1 | tr -d '\r\357\273\277') $(kpctl --csv rank | wc -l)"
table=$(kpctl stats --by level)
expect_contains "stats table: a header" "milestones_overdue" "$table"
expect_contains "… and the total row" "合计" "$table"

# ---- filters narrow the projects counted, on top of --by ---------------------
P_FROM="FROM project p JOIN county co ON co.id = p.county_id LEFT JOIN unit pu ON pu.id = p.unit_id
        LEFT JOIN person l ON l.id = p.leader_id WHERE p.year = 2026"
F_COUNTY=$(sql "SELECT co.name $P_FROM GROUP BY co.name ORDER BY count(*) DESC, co.name LIMIT 1")
F_UNIT=$(sql "SELECT pu.name $P_FROM AND pu.name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
F_LEADER=$(sql "SELECT l.name $P_FROM AND l.name IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
# total ARGS… — the 合计 row's projects|overdue as JSON and as CSV, and the
# table's number of rows: "P|O P|O N".
total() {
    local j c t
    j=$(kpctl --json stats "$@" | py '"%d|%d" % [(r["projects"], r["milestones_overdue"]) for r in d if "合计" in r.values()][0]')
    c=$(kpctl --csv stats "$@" | python3 -c 'import csv, sys
r = [r for r in csv.DictReader(sys.stdin) if "合计" in r.values()][0]
print("%s|%s" % (r["projects"], r["milestones_overdue"]))')
    t=$(kpctl stats "$@" | sed -n 's/^(\([0-9]*\) rows\{0,1\})$/\1/p')
    echo "$j $c $t"
}
for f in "county|$F_COUNTY|co.name = '$F_COUNTY'|sector" "sector|城建|p.sector = 'urban'|county" \
         "level|市|p.level = 'city'|county" "unit|$F_UNIT|pu.name = '$F_UNIT'|leader" \
         "leader|$F_LEADER|l.name = '$F_LEADER'|unit" "light|黄|p.light = 'yellow'|level"; do
    IFS='|' read -r opt val cond by <<< "$f"
    po=$(sql "SELECT count(*) || '|' || coalesce(sum((SELECT count(*) FROM milestone m WHERE m.project_id = p.id
                AND m.status = 'pending' AND m.due_on < '$TODAY')), 0) $P_FROM AND $cond")
    case $by in
        county) groups=$(sql "SELECT count(DISTINCT co.name) + 1 $P_FROM AND $cond") ;;
        sector | level) groups=$(sql "SELECT count(DISTINCT p.$by) + 1 $P_FROM AND $cond") ;;
        unit) groups=$(sql "SELECT count(DISTINCT coalesce(pu.name, '')) + 1 $P_FROM AND $cond") ;;
        leader) groups=$(sql "SELECT count(DISTINCT coalesce(l.name, '')) + 1 $P_FROM AND $cond") ;;
    esac
    [ "${po%%|*}" -gt 0 ] || fail "stats --$opt $val: SQL keeps no project"
    expect_eq "stats --by $by --$opt $val: projects and overdue (JSON, CSV), rows (table)" \
        "$po $po $groups" "$(total --by "$by" --"$opt" "$val")"
done
expect_eq "stats --campaign with --county: its milestones of that county" \
    "$(sql "SELECT count(*) FROM milestone m JOIN campaign c ON c.id = m.campaign_id JOIN project p ON p.id = m.project_id
            JOIN county co ON co.id = p.county_id
            WHERE c.code = '2026-B6' AND m.status = 'pending' AND m.due_on < '$TODAY' AND p.year = 2026 AND co.name = '$F_COUNTY'")" \
    "$(kpctl --json stats --campaign 2026-B6 --county "$F_COUNTY" | py '[r["milestones_overdue"] for r in d if r["county"] == "合计"][0]')"
kpctl stats --light purple >/dev/null 2>"$T_DIR/err"; rc=$?
expect_eq "stats --light purple is a usage error" 2 "$rc"
kpctl stats --county 涧西 >/dev/null 2>"$T_DIR/err"; rc=$?
expect_eq "stats --county 涧西 (no such county) is refused, naming it" "1 True" \
    "$rc $(grep -q "no county '涧西'" "$T_DIR/err" && echo True)"

# rank: --sector, --level, --unit, --leader, --light narrow the projects ranked.
for f in "level|省|p.level = 'province'" "sector|产业|p.sector = 'industry'" "light|green|p.light = 'green'" \
         "leader|$F_LEADER|p.leader_id = (SELECT id FROM person WHERE name = '$F_LEADER')"; do
    IFS='|' read -r opt val cond <<< "$f"
    want=$(sql "WITH x AS (SELECT co.name AS county FROM project p JOIN county co ON co.id = p.county_id
                           WHERE p.year = 2026 AND p.annual_plan > 0 AND $cond)
                SELECT count(*) || '|' || count(DISTINCT county) FROM x")
    j=$(kpctl --json rank --"$opt" "$val" | py '"%d|%d" % (sum(r["projects"] for r in d), len(d))')
    c=$(kpctl --csv rank --"$opt" "$val" | python3 -c 'import csv, sys
d = list(csv.DictReader(sys.stdin)); print("%d|%d" % (sum(int(r["projects"]) for r in d), len(d)))')
    t=$(kpctl rank --"$opt" "$val" | sed -n 's/^(\([0-9]*\) rows\{0,1\})$/\1/p')
    expect_eq "rank --$opt $val: projects and counties (JSON, CSV, table)" "$want $want ${want#*|}" "$j $c $t"
done
kpctl rank --county 涧西区 >/dev/null 2>"$T_DIR/err"; rc=$?
expect_eq "rank --county is a usage error (rank ranks the counties)" 2 "$rc"
kpctl rank --campaign 2026-B6 >/dev/null 2>"$T_DIR/err"; rc=$?
expect_eq "rank --campaign is a usage error (its figures are the year's)" 2 "$rc"
kpctl rank --level 县 >/dev/null 2>"$T_DIR/err"; rc=$?
expect_eq "rank --level 县 is a usage error" 2 "$rc"

# ---- status: cached counts that follow writes --------------------------------
st=$(kpctl --json status)
expect_eq "status: outbox figures" "True True True" \
    "$(echo "$st" | py '" ".join(str(k in d) for k in ("deliveries_pending", "deliveries_dead", "delivery_oldest_s"))')"
o0=$(status_field milestones_overdue)
sql "UPDATE milestone SET status = 'done', done_on = '$TODAY'
     WHERE id = (SELECT min(id) FROM milestone WHERE status = 'pending' AND due_on < '$TODAY')" >/dev/null
wait_until 30 is_eq "$((o0 - 1))" status_field milestones_overdue
expect_eq "status: a change made outside the daemon shows within a few seconds" $((o0 - 1)) "$(status_field milestones_overdue)"
