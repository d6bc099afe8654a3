#!/bin/bash
# The tallies behind stats, rank, campaign show and the scorecard
# (sql/0007_tally.sql, kept by sql/functions/tally.sql) stay equal to
# counting the ledger through everything an office does to it: imports,
# done, waive, reschedule, reopen, 调出 and 恢复, an item added, a clock
# moved back and forth, scans, and edits by SQL (a project moved to
# another county, a milestone to another project, rows deleted, a project
# deleted). After each step the tallies are recounted independently, and
# the statements that sum them answer as the ones that count the ledger:
# stats by county (tallied) against stats by level (counted), a county's
# stats by sector (tallied) against its stats by unit (counted, project
# by project), campaign show against the window's milestones.
. "$top_srcdir/tests/integration/lib.sh"

create_demo_db      # the demo ledger, imported
write_config
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
kpctl scan >/dev/null || fail "scan"
TODAY=2026-11-25

# off_by — how many rows each tally has that a recount of the ledger has
# not, and the other way round: "0 0 0 0" when all four are exact (rows
# whose counts fell to 0 are no difference).
off_by() {
    sql "WITH m AS (SELECT p.county_id, p.sector, p.year, p.archived_on, m.campaign_id, m.due_on, m.status,
                           count(*) AS n, count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on) AS on_time
                      FROM milestone m JOIN project p ON p.id = m.project_id GROUP BY 1, 2, 3, 4, 5, 6, 7),
              mt AS (SELECT county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time
                       FROM milestone_tally WHERE n <> 0 OR on_time <> 0),
              a AS (SELECT p.county_id, p.sector, p.year, p.archived_on, a.planned_on, a.status, count(*) AS n
                      FROM approval a JOIN project p ON p.id = a.project_id GROUP BY 1, 2, 3, 4, 5, 6),
              at AS (SELECT county_id, sector, year, archived_on, planned_on, status, n FROM approval_tally WHERE n <> 0),
              p AS (SELECT county_id, sector, year, archived_on, light, count(*) AS n,
                           count(*) FILTER (WHERE annual_plan > 0) AS planned,
                           coalesce(sum(annual_plan) FILTER (WHERE annual_plan > 0), 0) AS plan
                      FROM project GROUP BY 1, 2, 3, 4, 5),
              pt AS (SELECT county_id, sector, year, archived_on, light, n, planned, plan FROM project_tally
                      WHERE n <> 0 OR planned <> 0 OR plan <> 0),
              d AS (SELECT p.county_id, p.sector, p.year, p.archived_on, x.what, x.planned_on, count(*) AS n,
                           count(x.actual_on) AS done
                      FROM project p CROSS JOIN LATERAL (VALUES ('start', p.planned_start, p.actual_start),
                                                                ('end', p.planned_end, p.actual_end)) x(what, planned_on, actual_on)
                     GROUP BY 1, 2, 3, 4, 5, 6),
              dt AS (SELECT county_id, sector, year, archived_on, what, planned_on, n, done FROM project_date_tally
                      WHERE n <> 0 OR done <> 0)
         SELECT (SELECT count(*) FROM ((SELECT * FROM m EXCEPT SELECT * FROM mt) UNION ALL (SELECT * FROM mt EXCEPT SELECT * FROM m)) x)
                || ' ' || (SELECT count(*) FROM ((SELECT * FROM a EXCEPT SELECT * FROM at) UNION ALL (SELECT * FROM at EXCEPT SELECT * FROM a)) x)
                || ' ' || (SELECT count(*) FROM ((SELECT * FROM p EXCEPT SELECT * FROM pt) UNION ALL (SELECT * FROM pt EXCEPT SELECT * FROM p)) x)
                || ' ' || (SELECT count(*) FROM ((SELECT * FROM d EXCEPT SELECT * FROM dt) UNION ALL (SELECT * FROM dt EXCEPT SELECT * FROM d)) x)"
}

# total ARGS… — the 合计 row of `stats ARGS…`, its figures only
total() {
    kpctl --json stats "$@" | python3 -c 'import json,sys; r=json.load(sys.stdin)[-1]; print(" ".join("%s=%s" % (k, v) for k, v in r.items() if v != "合计"))'
}

# window C — campaign show C's counts, then the same counted by SQL from
# the milestones (the window's projects on the list on its last day, or today)
window() {
    kpctl --json campaign show "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(str(d[k]) for k in ("milestones", "done", "on_time", "not_yet_due", "overdue", "waived")))'
}
window_sql() {
    sql "SELECT concat_ws(' ', count(*), count(*) FILTER (WHERE m.status = 'done'),
                count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on),
                count(*) FILTER (WHERE m.status = 'pending' AND m.due_on >= '$TODAY'),
                count(*) FILTER (WHERE m.status = 'pending' AND m.due_on < '$TODAY'),
                count(*) FILTER (WHERE m.status = 'waived'))
           FROM milestone m JOIN campaign c ON c.id = m.campaign_id JOIN project p ON p.id = m.project_id
          WHERE c.code = '$1' AND (p.archived_on IS NULL OR p.archived_on > least('$TODAY'::date, c.ends_on))"
}

# agree STEP — the tallies exact, and the tallied statements answering as
# the counted ones, after STEP
agree() {
    expect_eq "$1: the tallies equal a recount of the ledger" "0 0 0 0" "$(off_by)"
    expect_eq "… stats' total by county (tallied) is its total by level (counted)" \
        "$(total --by level)" "$(total)"
    expect_eq "… and with --campaign 2026-B6" "$(total --by level --campaign 2026-B6)" "$(total --campaign 2026-B6)"
    expect_eq "… 洛龙区 by sector (tallied) is 洛龙区 by unit (counted project by project)" \
        "$(total --by unit --county 洛龙区)" "$(total --by sector --county 洛龙区)"
    expect_eq "… campaign show 2026-B6 counts the window's milestones" "$(window_sql 2026-B6)" "$(window 2026-B6)"
    local d
    for d in "$TODAY" 2026-12-31; do
        expect_eq "… status's counts on $d (tallied) are a recount" "$(counts_sql "$d")" \
            "$(sql "SELECT keyproj_counts('$d') - 'problems_open' - 'deliveries'")"
    done
}

# counts_sql DAY — status's projects and milestones counted from the ledger
counts_sql() {
    sql "SELECT jsonb_build_object('today', '$1'::date,
            'projects', (SELECT count(*) FROM project WHERE keyproj_on_list(archived_on, '$1')),
            'milestones', (SELECT jsonb_build_object('pending', count(*) FILTER (WHERE status = 'pending'),
                               'done', count(*) FILTER (WHERE status = 'done'),
                               'waived', count(*) FILTER (WHERE status = 'waived'),
                               'overdue', count(*) FILTER (WHERE status = 'pending' AND due_on < '$1'))
                             FROM milestone))"
}

agree "the demo ledger imported and scanned"
[ "$(sql "SELECT count(*) FROM milestone_tally WHERE n > 0")" -lt "$(sql "SELECT count(*) FROM milestone")" ] ||
    fail "the milestone tally has no fewer rows than the milestones"

# ---- what an office does ---------------------------------------------------------------
m1=$(sql "SELECT min(id) FROM milestone WHERE status = 'pending' AND due_on < '$TODAY'")
m2=$(sql "SELECT max(id) FROM milestone WHERE status = 'pending'")
m3=$(sql "SELECT min(id) FROM milestone WHERE status = 'pending' AND due_on > '$TODAY'")
m4=$(sql "SELECT min(id) FROM milestone WHERE status = 'pending' AND kind = 'approval'")
code=$(sql "SELECT min(p.code) FROM project p JOIN county c ON c.id = p.county_id
            WHERE c.name = '洛龙区' AND p.actual_start IS NULL AND p.planned_start < '$TODAY'")
kpctl done "$m1" --date 2026-11-20 >/dev/null || fail "done"
kpctl done "$m4" --date 2026-11-24 >/dev/null || fail "done (an approval milestone: its item too)"
kpctl waive "$m2" --reason "规划调整" >/dev/null || fail "waive"
kpctl reschedule "$m3" 2026-11-20 --reason "提前" >/dev/null || fail "reschedule"
kpctl approval add "$code" 施工许可补办 --dept 洛龙区政府 --due 2026-11-10 >/dev/null || fail "approval add"
kpctl start "$code" 2026-11-02 >/dev/null || fail "start"
agree "done, waive, reschedule, an item added, a start"
kpctl archive "$code" --reason "调出" --date 2026-11-10 >/dev/null || fail "archive"
agree "a project taken off the list (调出)"
kpctl readmit "$code" --reason "恢复" >/dev/null || fail "readmit"
kpctl reopen "$m1" >/dev/null || fail "reopen"
agree "the project back on the list, a milestone reopened"

# ---- the clock moves: nothing in the tallies depends on today ---------------------------------
kpctl clock set 2026-12-20T10:00:00+08:00 >/dev/null || fail "clock set"
TODAY=2026-12-20
kpctl scan >/dev/null || fail "scan"
agree "the clock on to 2026-12-20, scanned"
kpctl clock set 2026-10-15T10:00:00+08:00 >/dev/null || fail "clock set back"
TODAY=2026-10-15
expect_eq "the clock back to 2026-10-15, not yet scanned: the tallies equal a recount" "0 0 0 0" "$(off_by)"
expect_eq "… and the starts dated after today are not counted as done" \
    "$(total --by level | tr ' ' '\n' | grep '^starts_done=')" "$(total | tr ' ' '\n' | grep '^starts_done=')"
agree "the clock back, scanned"
kpctl clock set 2026-11-25T10:00:00+08:00 >/dev/null || fail "clock set"
TODAY=2026-11-25

# ---- edits by SQL, as an administrator might make them --------------------------------------
code2=$(sql "SELECT max(code) FROM project")
sql "UPDATE project SET county_id = (SELECT id FROM county WHERE name = '西工区'), sector = 'ecology', year = 2026
      WHERE code = '$code2'" >/dev/null || fail "moving a project"
sql "UPDATE milestone SET project_id = (SELECT id FROM project WHERE code = '$code'), title = title || '（并入）'
      WHERE id = (SELECT min(id) FROM milestone WHERE project_id = (SELECT id FROM project WHERE code = '$code2'))" \
    >/dev/null || fail "moving a milestone"
expect_eq "every milestone's state names its project, the moved one's too (the scan's lanes read it)" 0 \
    "$(sql "SELECT count(*) FROM milestone_state s JOIN milestone m ON m.id = s.milestone_id
             WHERE s.project_id <> m.project_id")"
sql "UPDATE project SET annual_plan = annual_plan + 100, planned_end = planned_end + 30, actual_end = NULL
      WHERE code = '$code'" >/dev/null || fail "changing a project's plan and end"
agree "a project moved to another county and sector, a milestone to another project, a plan and an end changed"
sql "DELETE FROM milestone WHERE id IN (SELECT id FROM milestone ORDER BY id LIMIT 7)" >/dev/null || fail "deleting milestones"
sql "DELETE FROM approval WHERE id IN (SELECT id FROM approval ORDER BY id DESC LIMIT 3)" >/dev/null || fail "deleting items"
sql "DELETE FROM investment_report WHERE project_id = (SELECT id FROM project WHERE code = '$code');
     DELETE FROM investment_plan WHERE project_id = (SELECT id FROM project WHERE code = '$code');
     DELETE FROM project WHERE code = '$code'" >/dev/null || fail "deleting a project"
agree "milestones, items and a project deleted"

# ---- a rebuild counts what the triggers kept ----------------------------------------------
before=$(total)
sql "SELECT keyproj_tally_rebuild()" >/dev/null || fail "keyproj_tally_rebuild"
agree "keyproj_tally_rebuild()"
expect_eq "… stats unchanged by it" "$before" "$(total)"

# ---- a write that loses a deadlock over the tallies is sent again ----------------------
# Two writers updating the same tally rows in different orders deadlock,
# and PostgreSQL gives one up. When that is an office's write, keyprojd
# sends the same statement again (it was rolled back whole) and the
# admin gets the answer, not "deadlock detected". Here a session holds
# every milestone tally row, `done` takes its milestone and waits for
# them, then the session asks for that milestone: keyprojd, the first to
# wait, finds the cycle and is the one given up (the session's own check
# is an hour away).
m=$(sql "SELECT id FROM milestone WHERE status = 'pending' AND due_on < '$TODAY' ORDER BY id LIMIT 1")
[ -n "$m" ] || fail "no overdue milestone left to mark done"
mkfifo "$T_DIR/s.fifo"
PGAPPNAME=kp-test-holder psql -X -q -v ON_ERROR_STOP=1 -d "$T_DB" <"$T_DIR/s.fifo" >"$T_DIR/s.out" 2>&1 &
holder=$!
exec 7>"$T_DIR/s.fifo"
echo "SET deadlock_timeout = '1h'; BEGIN; SELECT count(*) FROM (SELECT 1 FROM milestone_tally FOR UPDATE) x;" >&7
wait_until 10 sql_is "idle in transaction" \
    "SELECT state FROM pg_stat_activity WHERE application_name = 'kp-test-holder'" ||
    fail "the holding session did not take the tally rows: $(cat "$T_DIR/s.out")"
kpctl --json done "$m" --date "$TODAY" >"$T_DIR/done.out" 2>&1 &
done_pid=$!
wait_until 10 sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                          AND application_name <> 'kp-test-holder' AND wait_event_type = 'Lock'" ||
    fail "done did not wait for the tally rows"
echo "UPDATE milestone SET note = note WHERE id = $m; COMMIT;" >&7
exec 7>&-
wait "$done_pid"; rc=$?
wait "$holder"
expect_eq "done answers as if nothing had happened" "0|done" "$rc|$(field status < "$T_DIR/done.out")"
expect_contains "…after keyprojd sent it again" 'msg="write sent again after a conflict with another"' "$(cat "$T_LOG")"
agree "a write given up in a deadlock and sent again"
