#!/bin/bash
# Figures at national scale: a generated ledger of BENCH_NATIONAL_SIZE
# projects (default 100,000: about 812k milestones, the generator's 8.1 per
# project) imported through keyprojctl, each import against its fair
# baseline in the same run: the very rows the import wrote, `psql \copy`'d
# into the same tables of an empty ledger made by the same migrations (their
# indexes, checks, foreign keys and triggers), the reference rows first,
# then one audit row per row written by INSERT … SELECT, in one transaction;
# where the import's time goes; the first full scan and the steady scan;
# overdue, whole and for one county; control socket round trips; keyprojd's
# memory idle and at its peak after each step. Plans and reports are not
# imported (1.2M and 1.0M rows: minutes more, and the milestone phase does
# not read them) unless BENCH_NATIONAL_REPORTS=1, which imports them after
# the milestones (no baseline for them), so that the first scan judges the
# projects' investment and report rules as a real ledger's would.
# BENCH_NATIONAL_ONLY=import stops after the imports and their baselines. Run by bench/run inside pg_virtualenv (or alone:
# pg_virtualenv -t env BENCH_BUILD=… BENCH_TOP=… bash bench/national.sh).
# About 5 minutes at the default size on 2 busy cores.
set -euo pipefail
size=${BENCH_NATIONAL_SIZE:-100000}
county=${BENCH_NATIONAL_COUNTY:-涧西区}
db=kp_bench_national
fair=kp_bench_national_fair
work=$(mktemp -d)
pid=
hold=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
    [ -n "$hold" ] && kill "$hold" 2>/dev/null && { wait "$hold" 2>/dev/null || true; }
    rm -rf "$work"
    dropdb --if-exists --force $db >/dev/null 2>&1
    dropdb --if-exists --force $fair >/dev/null 2>&1
}
trap cleanup EXIT
psq() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d $db "$@"; }
line() { printf '%-50s %s\n' "$1" "$2"; }
secs() { python3 -c 'import sys,time; print("%.3f" % time.monotonic())'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# The daemon's resident set now, and its peak (VmHWM) since the last call:
# writing 5 to clear_refs resets the peak, so each step shows its own.
mem() {
    awk '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } /^VmHWM/ { h = $2 }
         END { printf "VmRSS %.1f MB, RssAnon %.1f MB, peak VmHWM %.1f MB", r / 1024, a / 1024, h / 1024 }' \
        "/proc/$pid/status"
    { echo 5 > "/proc/$pid/clear_refs"; } 2>/dev/null || printf ' (since start: peak not resettable here)'
}
memline() { line "  keyprojd memory after $1" "$(mem)"; }

t0=$(secs)
"$BENCH_BUILD/data/keyproj-gen" --size "$size" --out "$work" 2>/dev/null
n_prj=$(($(wc -l < "$work/projects.csv") - 1))
n_ms=$(($(wc -l < "$work/milestones.csv") - 1))
line "national data set (keyproj-gen --size $size)" \
    "$n_prj projects, $n_ms milestones, $(du -m "$work/projects.csv" | cut -f1) + $(du -m "$work/milestones.csv" | cut -f1) MB, generated in $(python3 -c "print('%.1f' % ($(secs) - $t0))") s"

createdb $db
# Function timings: keyproj_import_staged's own time is the SQL part of
# the import (pg_stat_user_functions).
psq -c "ALTER DATABASE $db SET track_functions = 'pl'"
# A session holding the leader's lock (scan.c) keeps keyprojd a standby
# while the data goes in, so that the first full scan runs alone, on all of
# it, when the lock is let go.
psql -X -q -d $db -c "SET application_name = 'kp_bench_hold'; SELECT pg_advisory_lock(7391002), pg_sleep(3600)" \
    >/dev/null 2>&1 &
hold=$!
held() { [ "$(psq -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7391002 AND granted")" = 1 ]; }
for _ in $(seq 1 100); do held && break; sleep 0.1; done
held || { echo "bench/national.sh: could not take the leader's lock" >&2; exit 1; }
cat > "$work/k.conf" <<CONF
timezone = "Asia/Shanghai";
database = { conninfo = "dbname=$db"; };
control = { socket = "$work/ctl.sock"; admins = [ "$(id -un)" ]; };
alerts = { quiet_hours = ""; hold_on_rest_days = false; leader_retry_seconds = 1; };
CONF
"$BENCH_BUILD/keyprojd" -c "$work/k.conf" --now 2026-11-25T09:00:00+08:00 2>"$work/d.log" &
pid=$!
ctl="$BENCH_BUILD/keyprojctl -s $work/ctl.sock"
for _ in $(seq 1 100); do $ctl --json status 2>/dev/null | grep -q '"role": "standby"' && break; sleep 0.1; done
$ctl --json status 2>/dev/null | grep -q '"role": "standby"' ||
    { echo "bench/national.sh: keyprojd did not come up as a standby: $(tail -n 3 "$work/d.log")" >&2; exit 1; }
sleep 0.5
line "keyprojd memory, idle, empty database" "$(mem)"

# ---- the fair baseline's ledger: the same schema, empty -----------------
createdb $fair
sed "s/dbname=$db/dbname=$fair/; s|$work/ctl.sock|$work/fair.sock|" "$work/k.conf" > "$work/fair.conf"
"$BENCH_BUILD/keyprojd" -c "$work/fair.conf" --migrate >/dev/null 2>>"$work/d.log"
# fair NAME SQL-FILE: runs the baseline's transaction on the empty ledger,
# prints its wall time in seconds (psql's start included, as keyprojctl's is)
fair() {
    local t
    t=$(secs)
    psql -X -q -v ON_ERROR_STOP=1 -d $fair -f "$2" >/dev/null
    python3 -c "print('%.2f' % ($(secs) - $t))"
}
# dump TABLE QUERY: the rows as the import left them, CSV for \copy
dump() { psq -c "\\copy ($2) TO '$work/$1.csv' WITH (FORMAT csv)"; }
ratio() { python3 -c "print('%.3f' % ($1 / $2))"; }

# ---- import of the projects, against its fair baseline -------------------
load0=$(load)
t0=$(secs)
$ctl import projects "$work/projects.csv" >/dev/null
imp_s=$(python3 -c "print('%.2f' % ($(secs) - $t0))")
load1=$(load)
# (a backend reports its function timings when idle, within a few seconds)
for _ in $(seq 1 150); do
    sql_s=$(psq -c "SELECT round(total_time::numeric / 1000, 2) FROM pg_stat_user_functions WHERE funcname = 'keyproj_import_staged'")
    [ -n "$sql_s" ] && break
    sleep 0.1
done
[ -n "$sql_s" ] || { echo "bench/national.sh: no function timings for the import" >&2; exit 1; }
# The baseline: the reference rows the import created (with their ids),
# the projects as written, one audit row each (the same members as the
# import's: names, not ids) and one per reference row, in one transaction.
dump county "SELECT id, name, grp, region_code FROM county ORDER BY id"
dump unit "SELECT id, name FROM unit ORDER BY id"
dump person "SELECT id, name, title, mobile FROM person ORDER BY id"
dump project "SELECT id, code, name, year, level, county_id, sector, category, status, owner, unit_id, leader_id,
                     contact_id, total_investment, annual_plan, planned_start, planned_end, actual_start, actual_end,
                     completes_this_year FROM project ORDER BY id"
units0=$(psq -c "SELECT coalesce(max(id), 0) FROM unit")
cat > "$work/fair_projects.sql" <<SQL
BEGIN;
\copy county (id, name, grp, region_code) FROM '$work/county.csv' WITH (FORMAT csv)
\copy unit (id, name) FROM '$work/unit.csv' WITH (FORMAT csv)
\copy person (id, name, title, mobile) FROM '$work/person.csv' WITH (FORMAT csv)
\copy project (id, code, name, year, level, county_id, sector, category, status, owner, unit_id, leader_id, contact_id, total_investment, annual_plan, planned_start, planned_end, actual_start, actual_end, completes_this_year) FROM '$work/project.csv' WITH (FORMAT csv)
INSERT INTO audit_log (actor, action, subject, new, request_id)
SELECT 'bench', 'import.projects', 'county:' || name, jsonb_build_object('name', name, 'grp', grp), '1' FROM county
UNION ALL
SELECT 'bench', 'import.projects', 'unit:' || name, jsonb_build_object('name', name), '1' FROM unit
UNION ALL
SELECT 'bench', 'import.projects', 'person:' || name || coalesce('/' || mobile, ''),
       jsonb_strip_nulls(jsonb_build_object('name', name, 'mobile', mobile, 'title', title)), '1' FROM person
UNION ALL
SELECT 'bench', 'import.projects', 'project:' || p.code, jsonb_strip_nulls(jsonb_build_object(
           'name', p.name, 'year', p.year, 'level', p.level, 'county', c.name, 'sector', p.sector,
           'category', p.category, 'status', p.status, 'owner', p.owner, 'unit', u.name, 'leader', l.name,
           'leader_title', l.title, 'leader_mobile', l.mobile, 'contact', k.name, 'contact_title', k.title,
           'contact_mobile', k.mobile, 'total_investment', p.total_investment, 'annual_plan', p.annual_plan,
           'planned_start', p.planned_start, 'planned_end', p.planned_end, 'actual_start', p.actual_start,
           'actual_end', p.actual_end, 'completes_this_year', p.completes_this_year)), '1'
  FROM project p JOIN county c ON c.id = p.county_id LEFT JOIN unit u ON u.id = p.unit_id
  LEFT JOIN person l ON l.id = p.leader_id LEFT JOIN person k ON k.id = p.contact_id;
COMMIT;
SQL
load2=$(load)
fair_s=$(fair projects "$work/fair_projects.sql")
line "fair baseline, projects (\\copy + audit INSERT … SELECT)" "$fair_s s ($n_prj rows; load average $load2)"
line "import of projects.csv through keyprojctl" "$imp_s s ($n_prj rows; load average $load0 before, $load1 after)"
line "import ratio (baseline time / import time)" "$(ratio "$fair_s" "$imp_s") (target >= 0.5)"
memline "the projects import"

# Where the import's time goes. keyproj_import_staged's own time is the
# SQL; the rest is keyprojd (CSV parsing, validation, the rows as COPY
# text), the COPY into the staging table, the COMMIT and the ANALYZE of
# the tables written. Within the SQL, in
# a rolled-back transaction: the same rows written into a copy of the
# table with its indexes and checks (the write itself), again with its
# four foreign keys (their per-row checks), and the same number of audit
# rows; staging, parsing and validation are what is left.
split=$(psq <<'SQL' | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tr '\n' ' '
BEGIN;
CREATE TABLE kp_x (LIKE project INCLUDING ALL);
\timing on
INSERT INTO kp_x OVERRIDING SYSTEM VALUE SELECT * FROM project;
\timing off
TRUNCATE kp_x;
ALTER TABLE kp_x ADD FOREIGN KEY (county_id) REFERENCES county, ADD FOREIGN KEY (unit_id) REFERENCES unit,
    ADD FOREIGN KEY (leader_id) REFERENCES person, ADD FOREIGN KEY (contact_id) REFERENCES person;
\timing on
INSERT INTO kp_x OVERRIDING SYSTEM VALUE SELECT * FROM project;
INSERT INTO audit_log (actor, action, subject, new, result, request_id)
SELECT actor, action, subject, new, result, request_id FROM audit_log WHERE subject LIKE 'project:%';
\timing off
ROLLBACK;
SQL
)
read -r write_ms fk_ms audit_ms <<<"$split"
python3 - "$imp_s" "$sql_s" "$write_ms" "$fk_ms" "$audit_ms" <<'PY'
import sys
imp, sql, write, fk, audit = (float(x) for x in sys.argv[1:])
write, fk, audit = write / 1000, fk / 1000, audit / 1000
fk -= write
rest = sql - write - fk - audit
def l(k, v): print('%-50s %s' % (k, v))
l('  outside it (CSV, validation, COPY, COMMIT, ANALYZE)', '%.1f s (%.0f%%)' % (imp - sql, 100 * (imp - sql) / imp))
l('  SQL keyproj_import_staged', '%.1f s (%.0f%%), of which:' % (sql, 100 * sql / imp))
l('    rows + 10 indexes + checks into project', '%.1f s (%.0f%%)' % (write, 100 * write / imp))
l('    4 foreign keys, checked per row', '%.1f s (%.0f%%)' % (fk, 100 * fk / imp))
l('    one audit row per project', '%.1f s (%.0f%%)' % (audit, 100 * audit / imp))
l('    staging, parsing, validation, joins, the rest', '%.1f s (%.0f%%)' % (rest, 100 * rest / imp))
PY

load0=$(load)
t0=$(secs)
$ctl import milestones "$work/milestones.csv" >/dev/null
ims_s=$(python3 -c "print('%.2f' % ($(secs) - $t0))")
load1=$(load)
memline "the milestones import"
dump campaign "SELECT id, code, name, kind, starts_on, ends_on FROM campaign ORDER BY id"
dump unit2 "SELECT id, name FROM unit WHERE id > $units0 ORDER BY id"
dump milestone "SELECT id, project_id, campaign_id, kind, title, due_on, unit_id, status, done_on, note, waived_reason
                  FROM milestone ORDER BY id"
cat > "$work/fair_milestones.sql" <<SQL
BEGIN;
\copy campaign (id, code, name, kind, starts_on, ends_on) FROM '$work/campaign.csv' WITH (FORMAT csv)
\copy unit (id, name) FROM '$work/unit2.csv' WITH (FORMAT csv)
\copy milestone (id, project_id, campaign_id, kind, title, due_on, unit_id, status, done_on, note, waived_reason) FROM '$work/milestone.csv' WITH (FORMAT csv)
INSERT INTO audit_log (actor, action, subject, new, request_id)
SELECT 'bench', 'import.milestones', 'campaign:' || code,
       jsonb_build_object('name', name, 'kind', kind, 'starts_on', starts_on, 'ends_on', ends_on), '2' FROM campaign
UNION ALL
SELECT 'bench', 'import.milestones', 'unit:' || name, jsonb_build_object('name', name), '2' FROM unit WHERE id > $units0
UNION ALL
SELECT 'bench', 'import.milestones', format('milestone:%s/%s/%s/%s', p.code, c.code, m.kind, m.title),
       jsonb_strip_nulls(jsonb_build_object('due', m.due_on, 'unit', u.name, 'status', m.status,
           'done_on', m.done_on, 'note', m.note, 'waived_reason', m.waived_reason)), '2'
  FROM milestone m JOIN project p ON p.id = m.project_id JOIN campaign c ON c.id = m.campaign_id
  LEFT JOIN unit u ON u.id = m.unit_id;
COMMIT;
SQL
load2=$(load)
fairm_s=$(fair milestones "$work/fair_milestones.sql")
line "fair baseline, milestones (\\copy + audit INSERT … SELECT)" "$fairm_s s ($n_ms rows; load average $load2)"
line "import of milestones.csv through keyprojctl" "$ims_s s ($n_ms rows; load average $load0 before, $load1 after)"
line "milestones import ratio (baseline / import)" "$(ratio "$fairm_s" "$ims_s")"
dropdb --force $fair
[ "${BENCH_NATIONAL_ONLY:-}" = import ] && exit 0
if [ "${BENCH_NATIONAL_REPORTS:-}" = 1 ]; then
    t0=$(secs)
    for k in plans reports; do $ctl import "$k" "$work/$k.csv" >/dev/null; done
    line "import of plans.csv and reports.csv (BENCH_NATIONAL_REPORTS=1)" \
        "$(python3 -c "print('%.1f' % ($(secs) - $t0))") s ($(psq -c 'SELECT count(*) FROM investment_plan') plans, $(psq -c 'SELECT count(*) FROM investment_report') reports)"
fi

# ---- scans --------------------------------------------------------------
psq -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kp_bench_hold'" >/dev/null
wait "$hold" 2>/dev/null || true
hold=
for _ in $(seq 1 3000); do grep -q 'msg="scan finished"' "$work/d.log" && break; sleep 0.2; done
grep -q 'msg="scan finished"' "$work/d.log" ||
    { echo "bench/national.sh: no scan finished within 10 minutes: $(tail -n 3 "$work/d.log")" >&2; exit 1; }
read -r full_ms full_rows full_alerts <<<"$(grep 'msg="scan finished"' "$work/d.log" | head -n 1 |
    sed -n 's/.* examined=\([0-9]*\) alerts=\([0-9]*\) .* ms=\([0-9.]*\) .*/\3 \1 \2/p')"
line "scan, everything (first, as the new leader)" \
    "$(printf '%.1f s (%s rows examined, %s alerts; load average %s after it)' "$(python3 -c "print($full_ms / 1000)")" \
        "$full_rows" "$full_alerts" "$(load)")"
read -r ms_ms prj_ms <<<"$(grep 'msg="scan finished"' "$work/d.log" | head -n 1 |
    sed -n 's/.* milestones_ms=\([0-9.]*\) projects_ms=\([0-9.]*\).*/\1 \2/p')"
line "  of which the milestone phase, the project phase" \
    "$(python3 -c "print('%.1f s, %.1f s' % ($ms_ms / 1000, $prj_ms / 1000))")"
memline "the first scan"
ms() { python3 -c 'import json,sys; d=json.load(sys.stdin); print("%s %s" % (d["duration_ms"], d["examined"]))'; }
# as autovacuum would leave the tables, as in bench/scan.sh
psq -c "VACUUM ANALYZE" >/dev/null
$ctl scan >/dev/null
read -r steady_ms steady_rows <<<"$(for _ in 1 2 3 4 5; do sleep 0.2; $ctl --json scan | ms; done | sort -n | sed -n 3p)"
line "scan, nothing new (median of 5)" "$steady_ms ms ($steady_rows rows examined; target <= 10 ms)"
memline "the scans"

# ---- views --------------------------------------------------------------
over() {    # over ARGS… → "ROWS BYTES MS" of one overdue answer through keyprojctl
    local t b
    t=$(secs)
    $ctl --json overdue "$@" > "$work/over.json"
    b=$(python3 -c "print('%.0f' % (1000 * ($(secs) - $t)))")
    echo "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/over.json") $(wc -c < "$work/over.json") $b"
}
read -r o_rows o_bytes o_ms <<<"$(over)"
line "overdue, whole data set, keyprojctl --json" \
    "$o_ms ms ($o_rows rows, $(python3 -c "print('%.1f' % ($o_bytes / 1048576))") MB of JSON)"
memline "one overdue"
"$BENCH_BUILD/bench/ctlbench" "$work/ctl.sock" 5 overdue | sed 's/^/  /'
memline "overdue, repeated"
read -r c_rows c_bytes c_ms <<<"$(over --county "$county")"
line "overdue --county C, keyprojctl --json" "$c_ms ms ($c_rows rows, $((c_bytes / 1024)) kB of JSON; C = $county)"
"$BENCH_BUILD/bench/ctlbench" "$work/ctl.sock" 3 "overdue --county $county" | sed 's/^/  /'
"$BENCH_BUILD/bench/ctlbench" "$work/ctl.sock" 3 status version
memline "ctlbench"

# ---- the weekly bulletin (the workbook from the commands' answers) -------
t=$(secs)
$ctl bulletin --week 2026-W48 > "$work/bulletin.xlsx"
line "bulletin --week 2026-W48, the weekly workbook" \
    "$(python3 -c "print('%.0f' % (1000 * ($(secs) - $t)))") ms ($(($(wc -c < "$work/bulletin.xlsx") / 1024)) kB)"
memline "the bulletin"

# ---- the ledger as a file (export) ----------------------------------------
# Every project; the milestones of one county (all 811,827 would be an
# answer of 149 MB, beyond control.max_answer_bytes: refused, with a word
# to narrow it).
export_line() {     # export_line WHAT ARGS… (the last may be --xlsx)
    local what=$1 t f="$work/export.out"
    shift
    t=$(secs)
    $ctl export "$@" > "$f"
    line "export $what" "$(python3 -c "print('%.0f' % (1000 * ($(secs) - $t)))") ms ($(($(wc -c < "$f") / 1024)) kB)"
    memline "the export"
    rm -f "$f"
}
export_line "projects, whole data set, CSV" projects
export_line "projects, whole data set, xlsx" projects --xlsx
export_line "milestones --county C, CSV" milestones --county "$county"
export_line "milestones --county C, xlsx" milestones --county "$county" --xlsx
sleep 1
line "keyprojd memory, idle, national data loaded" "$(mem)"
