#!/bin/bash
# The project office (项目办) keeps its list through the year: a road opens
# to traffic (通车) and its project is completed by that node alone; a
# spreadsheet with a typo county (洛龙县) is refused with a suggestion and
# writes nothing; a project taken off the list (调出) leaves the counts, the
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
