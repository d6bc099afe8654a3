#!/bin/bash
# A 双月攻坚 window is judged by its 按期完成率 (share of its milestones done
# on or before their due date). When the window closes, the first scan
# freezes that rate city-wide and per county, sector and unit; what the
# office changes later (a node marked done with an earlier date, a node
# moved to another window) shows beside the frozen figure as a
# correction, never as a rewrite. All through keyprojctl on the demo
# ledger, on the daemon's own clock.
. "$top_srcdir/tests/integration/lib.sh"

TODAY=2026-11-25

# rate ON_TIME NODES — the rate as the daemon rounds it (one decimal).
rate() {
    python3 -I -S -c 'import sys; from decimal import Decimal, ROUND_HALF_UP
n, d = int(sys.argv[1]), int(sys.argv[2])
print(Decimal(100 * n / d).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if d else None)' "$1" "$2"
}
# ledger_count CAMPAIGN — "nodes on_time late open" counted straight from
# the tables (waived nodes and projects off the list left out).
ledger_count() {
    sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on) || ' '
                || count(*) FILTER (WHERE m.status = 'done' AND m.done_on > m.due_on) || ' '
                || count(*) FILTER (WHERE m.status = 'pending')
           FROM milestone m JOIN campaign c ON c.id = m.campaign_id JOIN project p ON p.id = m.project_id
          WHERE c.code = '$1' AND m.status <> 'waived' AND (p.archived_on IS NULL OR p.archived_on > c.ends_on)"
}
# city CAMPAIGN KEYS… — the 全市 row's members, space-separated.
city() {
    local code=$1
    shift
    kpctl --json campaign scorecard "$code" | py "\" \".join(str(r[k]) for r in d if r[\"county\"] == \"全市\" for k in \"$*\".split())"
}

create_demo_db
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
kpctl scan >/dev/null || fail "scan"

# ---- the closed windows were frozen by the first scan ----------------------------
read -r nodes on_time late open <<< "$(ledger_count 2026-B5)"
[ "$nodes" -gt 100 ] && [ "$open" -gt 0 ] && [ "$late" -gt 0 ] || fail "the demo's 2026-B5 has too few nodes to judge: $nodes $on_time $late $open"
pct=$(rate "$on_time" "$nodes")
expect_eq "2026-B5 (closed 10-31) frozen by the first scan: nodes, on time, late, open, rate as the ledger counts them" \
    "$nodes $on_time $late $open $pct $TODAY" "$(city 2026-B5 nodes on_time late open on_time_pct frozen_on)"
expect_eq "… and today's count beside it, no correction yet" "$nodes $on_time $pct 0.0" \
    "$(city 2026-B5 nodes_now on_time_now on_time_pct_now correction_pts)"
expect_eq "every closed window has its scorecard, the open one none" "2026-B1 2026-B2 2026-B3 2026-B4 2026-B5" \
    "$(sql "SELECT string_agg(c.code, ' ' ORDER BY c.code) FROM scorecard s JOIN campaign c ON c.id = s.campaign_id WHERE s.scope = 'city'")"
expect_eq "each freeze audited once, as keyprojd" "5 keyprojd $nodes" \
    "$(sql "SELECT count(*) || ' ' || min(actor) || ' ' || max(new->>'nodes') FILTER (WHERE subject = 'campaign:2026-B5')
            FROM audit_log WHERE action = 'scorecard.freeze'")"

run campaign scorecard 2026-B5 --by county
expect_eq "by county: 全市 first, then every county, adding up to the city's nodes" \
    "全市 $(sql "SELECT count(DISTINCT p.county_id) FROM milestone m JOIN campaign c ON c.id = m.campaign_id JOIN project p ON p.id = m.project_id WHERE c.code = '2026-B5' AND m.status <> 'waived'") $nodes" \
    "$(echo "$out" | py '" ".join([d[0]["county"], str(len(d) - 1), str(sum(r["nodes"] for r in d[1:]))])')"
expect_eq "… the best frozen rate first" "True" \
    "$(echo "$out" | py 'all(a["on_time_pct"] >= b["on_time_pct"] for a, b in zip(d[1:], d[2:]))')"
for by in sector unit; do
    run campaign scorecard 2026-B5 --by $by
    expect_eq "by $by: the column is named $by and the rows add up to the city's" "0 $nodes" \
        "$rc $(echo "$out" | py "sum(r[\"nodes\"] for r in d if r[\"$by\"] != \"全市\")")"
done
expect_eq "by sector: the canonical sector words" "True" \
    "$(kpctl --json campaign scorecard 2026-B5 --by sector | py 'set(r["sector"] for r in d[1:]) <= {"industry", "urban", "infrastructure", "livelihood", "ecology", "other"}')"

# ---- later changes are corrections beside the frozen figures ---------------------
# An overdue B5 node reported done with its own due date (on time on
# paper) and another moved out to 2026-B6: the frozen rate stays.
m_done=$(sql "SELECT min(m.id) FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE c.code = '2026-B5' AND m.status = 'pending'")
m_move=$(sql "SELECT max(m.id) FROM milestone m JOIN campaign c ON c.id = m.campaign_id WHERE c.code = '2026-B5' AND m.status = 'pending'")
due=$(sql "SELECT due_on FROM milestone WHERE id = $m_done")
kpctl done "$m_done" --date "$due" --note "补报" >/dev/null || fail "done $m_done"
kpctl reschedule "$m_move" 2026-11-30 --reason "调整到下一期" --move >/dev/null || fail "reschedule $m_move"
kpctl scan >/dev/null || fail "scan"
pct_now=$(rate $((on_time + 1)) $((nodes - 1)))
expect_eq "after a back-dated done and a move: the frozen figures unchanged" "$nodes $on_time $late $open $pct $TODAY" \
    "$(city 2026-B5 nodes on_time late open on_time_pct frozen_on)"
expect_eq "… today's count beside them, and the correction in points" \
    "$((nodes - 1)) $((on_time + 1)) $pct_now $(python3 -I -S -c "print(round($pct_now - $pct, 1))")" \
    "$(city 2026-B5 nodes_now on_time_now on_time_pct_now correction_pts)"
expect_eq "the scorecard table holds the frozen rows untouched" "$nodes $on_time $TODAY" \
    "$(sql "SELECT s.nodes || ' ' || s.on_time || ' ' || s.frozen_on FROM scorecard s JOIN campaign c ON c.id = s.campaign_id
            WHERE c.code = '2026-B5' AND s.scope = 'city'")"

# ---- the open window, and its close --------------------------------------------
read -r nodes6 on_time6 _ _ <<< "$(ledger_count 2026-B6)"
expect_eq "2026-B6, still open: today's figures only" "None None $nodes6 $on_time6" \
    "$(city 2026-B6 on_time_pct frozen_on nodes_now on_time_now)"
run campaign show 2026-B6
expect_eq "campaign show says not_yet_due (never a bare 'due'), by county and by sector, nothing frozen yet" \
    "True False True None" \
    "$(echo "$out" | py '" ".join(str(x) for x in ("not_yet_due" in d, "due" in d, sum(r["milestones"] for r in d["by_sector"]) == d["milestones"], d["frozen_on"]))')"
# A project taken off the list (调出) leaves the open window's counts from
# that day, and comes back with its readmission (调入).
code=$(sql "SELECT p.code FROM project p JOIN milestone m ON m.project_id = p.id JOIN campaign c ON c.id = m.campaign_id
            WHERE c.code = '2026-B6' GROUP BY p.code ORDER BY count(*) DESC, p.code LIMIT 1")
its=$(sql "SELECT count(*) FROM milestone m JOIN campaign c ON c.id = m.campaign_id JOIN project p ON p.id = m.project_id
           WHERE c.code = '2026-B6' AND p.code = '$code'")
before=$(kpctl --json campaign show 2026-B6 | field milestones)
kpctl archive "$code" --reason "调出省市重点" >/dev/null || fail "archive $code"
expect_eq "an archived project's $its B6 nodes leave campaign show and campaign list" "$((before - its)) $((before - its))" \
    "$(kpctl --json campaign show 2026-B6 | field milestones) $(kpctl --json campaign | py '[r["milestones"] for r in d if r["code"] == "2026-B6"][0]')"
kpctl readmit "$code" --reason "重新列入" >/dev/null || fail "readmit $code"
expect_eq "… and come back with its readmission" "$before" "$(kpctl --json campaign show 2026-B6 | field milestones)"

kpctl clock set 2027-01-01T00:30:00+08:00 >/dev/null || fail "clock set"
kpctl scan >/dev/null || fail "scan"
read -r nodes6 on_time6 _ _ <<< "$(ledger_count 2026-B6)"
expect_eq "2026-B6 frozen by the first scan of 2027-01-01" "$nodes6 $on_time6 2027-01-01" \
    "$(city 2026-B6 nodes on_time frozen_on)"
expect_eq "campaign show names the frozen rate" "2027-01-01 $(rate "$on_time6" "$nodes6")" \
    "$(kpctl --json campaign show 2026-B6 | py 'str(d["frozen_on"]) + " " + str(d["frozen_on_time_pct"])')"
kpctl scan >/dev/null || fail "scan"
expect_eq "a window is frozen once: scans after it leave it be" "1 1" \
    "$(sql "SELECT count(*) FILTER (WHERE subject = 'campaign:2026-B6') || ' ' || count(*) FILTER (WHERE subject = 'campaign:2026-B5')
            FROM audit_log WHERE action = 'scorecard.freeze'")"

# ---- bad input ------------------------------------------------------------------
run campaign scorecard 2026-B5 --by leader
expect_eq "--by takes county, sector or unit" "2 usage" "$rc $(echo "$out" | field code)"
expect_contains "… saying so" "expected county, sector or unit" "$err"
run campaign scorecard 2031-B3
expect_eq "an unknown window is not_found" "1 not_found" "$rc $(echo "$out" | field code)"
expect_contains "the table reads as a table" "on_time_pct" "$(kpctl campaign scorecard 2026-B5)"

stop_daemon || fail "keyprojd exited badly"
echo "1..$T_CHECKS"
