#!/bin/bash
# Integration test of sql/ against a real PostgreSQL: the numbered
# migrations (sql/0001_baseline.sql …) apply one transaction each, then
# sql/functions/ in one transaction, the way daemon/migrate.c applies them,
# the constraints refuse nonsense with the expected errors, and
# keyproj_import() counts, writes, audits, refuses and dry-runs as
# documented.
#
# Run by the test harness under pg_virtualenv (PGHOST, PGPORT, PGUSER,
# PGPASSWORD set; top_srcdir and top_builddir in the environment):
#   cd /tmp && pg_virtualenv -t bash -c \
#     'top_srcdir=/work/main top_builddir=/tmp bash /work/main/tests/integration/test_schema.sh'
# Exits 77 (skipped) without PGHOST, 1 on the first failed expectation.
# Needs no daemon: tests/lib/assert.sh for the assertions, and its own
# database, created and dropped here.
set -euo pipefail

if [ -z "${PGHOST:-}" ]; then
    echo "SKIP: PGHOST is not set (run under pg_virtualenv)"
    exit 77
fi

. "$top_srcdir/tests/lib/assert.sh"
SQL_DIR=$top_srcdir/sql
DB=keyproj_test_schema_$$

drop_db() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true
}
at_exit drop_db

psql_db() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"
}
# q SQL: the result, unaligned, no header.
q() {
    psql_db -At -c "$1"
}
# expect_error NAME REGEX <<SQL: the SQL (run as one transaction, so nothing
# it does survives) must fail with an error matching REGEX.
expect_error() {
    local name=$1 pattern=$2 out
    if out=$(psql_db --single-transaction -f - 2>&1); then
        fail "$name: accepted; expected an error matching /$pattern/"
    fi
    grep -Eq -- "$pattern" <<<"$out" ||
        fail "$name: expected an error matching /$pattern/, got: $out"
    ok "$name"
}
# import KIND DRY_RUN JSON: the counts of keyproj_import as one line.
import() {
    psql_db -At -v kind="$1" -v dry="$2" -v rows="$3" <<'SQL'
SELECT format('rows=%s ins=%s upd=%s unch=%s err=%s applied=%s',
              r->>'rows', r->>'inserted', r->>'updated', r->>'unchanged',
              jsonb_array_length(r->'errors'), r->>'applied')
  FROM keyproj_import(:'kind', :'rows'::jsonb, 'test', :'dry'::boolean) r;
SQL
}
# import_errors KIND JSON: one "line|column|message" per error.
import_errors() {
    psql_db -At -v kind="$1" -v rows="$2" <<'SQL'
SELECT concat_ws('|', e->>'line', e->>'column', e->>'message')
  FROM keyproj_import(:'kind', :'rows'::jsonb, 'test', false) r,
       jsonb_array_elements(r->'errors') e;
SQL
}
# notified SQL: the distinct payloads on 'keyproj_changed' while SQL runs.
notified() {
    psql_db -c "LISTEN keyproj_changed" -c "$1" 2>&1 |
        sed -n 's/^Asynchronous notification "keyproj_changed" with payload "\([^"]*\)".*/\1/p' |
        sort -u | tr '\n' ' ' | sed 's/ $//'
}
# fingerprint: the whole content of every table an import may write, so
# "nothing changed" can be checked exactly (updated_at included).
fingerprint() {
    q "SELECT md5(string_agg(t, '#' ORDER BY t)) FROM (
         SELECT 'county' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM county x
         UNION ALL SELECT 'unit' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM unit x
         UNION ALL SELECT 'person' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM person x
         UNION ALL SELECT 'project' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM project x
         UNION ALL SELECT 'campaign' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM campaign x
         UNION ALL SELECT 'milestone' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM milestone x
         UNION ALL SELECT 'report' || coalesce(string_agg(x::text, ',' ORDER BY x::text), '') FROM investment_report x
         UNION ALL SELECT 'plan' || coalesce(string_agg(x::text, ',' ORDER BY x::text), '') FROM investment_plan x
         UNION ALL SELECT 'audit' || coalesce(string_agg(x::text, ',' ORDER BY x.id), '') FROM audit_log x
       ) s(t)"
}

# ---------------------------------------------------------------------------
echo "# migration"
MIGRATIONS=$(ls "$SQL_DIR" | grep -E '^[0-9]{4}_.*\.sql$' | sort)
FUNCTIONS=$(ls "$SQL_DIR/functions" | grep -E '\.sql$' | sort)
[ -n "$MIGRATIONS" ] && [ -n "$FUNCTIONS" ] || fail "no migrations or functions in $SQL_DIR"
for f in $MIGRATIONS $(for g in $FUNCTIONS; do echo "functions/$g"; done); do
    if grep -Eiq '^[[:space:]]*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)[[:space:]]*;' "$SQL_DIR/$f"; then
        fail "sql/$f controls transactions itself; migrate.c wraps it in one"
    fi
    if grep -Eiq 'CREATE[[:space:]]+TABLE[[:space:]]+(IF[[:space:]]+NOT[[:space:]]+EXISTS[[:space:]]+)?schema_(version|functions)' "$SQL_DIR/$f"; then
        fail "sql/$f creates migrate.c's bookkeeping table"
    fi
done
ok "migrations and functions leave transactions and schema_version to migrate.c"
if grep -Eiq '^[[:space:]]*CREATE[[:space:]]+FUNCTION' "$SQL_DIR"/functions/*.sql; then
    fail "sql/functions/ must say CREATE OR REPLACE FUNCTION: the files are applied again"
fi
ok "every function in sql/functions/ can be applied again"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null
q "CREATE TABLE schema_version (version int PRIMARY KEY, name text NOT NULL,
                                applied_at timestamptz NOT NULL DEFAULT now())" >/dev/null
for f in $MIGRATIONS; do
    psql_db --single-transaction -f "$SQL_DIR/$f" \
        -c "INSERT INTO schema_version (version, name) VALUES ($(echo "$f" | sed 's/_.*//; s/^0*//'), '${f%.sql}')" >/dev/null ||
        fail "applying sql/$f failed"
done
ok "each migration applies in one transaction"
# As migrate.c: bodies unchecked while the files go in, in name order.
{ echo "SET LOCAL check_function_bodies = off;"; for f in $FUNCTIONS; do cat "$SQL_DIR/functions/$f"; echo ";"; done; } |
    psql_db --single-transaction -f - >/dev/null || fail "applying sql/functions/ failed"
ok "sql/functions/ applies in one transaction"
{ echo "SET LOCAL check_function_bodies = off;"; for f in $FUNCTIONS; do cat "$SQL_DIR/functions/$f"; echo ";"; done; } |
    psql_db --single-transaction -f - >/dev/null || fail "applying sql/functions/ again failed"
ok "… and again, over itself"
expect_eq "every function body is valid once all are defined" \
    "$(q "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace")" \
    "$(q "SET check_function_bodies = on;
          SELECT count(*) FROM (SELECT CASE l.lanname WHEN 'sql' THEN fmgr_sql_validator(p.oid)
                                                      WHEN 'plpgsql' THEN plpgsql_validator(p.oid) END
                                  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                                 WHERE p.pronamespace = 'public'::regnamespace) v" 2>&1 | tail -n 1)"

# The verdicts' function as a keyprojd of before calls it (without
# p_digests) still answers, beside today's form.
expect_eq "keyproj_record_deliveries keeps its seven-argument form" "0 0" \
    "$(q "SELECT keyproj_record_deliveries('nobody', '{}', '{}', '{}', '{}', '{}', '{}') || ' ' ||
                 keyproj_record_deliveries('nobody', '{}', '{}', '{}', '{}', '{}', '{}', false)")"

expect_eq "every table of the data model exists" \
    "alert approval approval_tally audit_log campaign campaign_target county delivery investment_plan investment_report letter_counter milestone milestone_state milestone_tally person problem problem_category project project_date_tally project_light_month project_mark project_state project_tally robot_send schema_version scorecard silence supervision_order unit" \
    "$(q "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")"
expect_eq "a project taken off the list (调出) keeps its row: archived_on date, archive_reason text" \
    "archive_reason text archived_on date" \
    "$(q "SELECT string_agg(column_name || ' ' || data_type, ' ' ORDER BY column_name) FROM information_schema.columns
          WHERE table_name = 'project' AND column_name LIKE 'archive%'")"

# ---------------------------------------------------------------------------
echo "# constraints refuse nonsense"
SETUP="INSERT INTO county (name, grp) VALUES ('涧西区', 'district');"
P="INSERT INTO project (code, name, year, level, county_id, sector, category)"

expect_error "unknown sector is refused" 'violates check constraint "project_sector_check"' <<SQL
$SETUP
$P SELECT 'P-1', '某项目', 2026, 'city', id, 'mining', 'new' FROM county;
SQL

expect_error "negative investment is refused" 'violates check constraint "project_total_investment_check"' <<SQL
$SETUP
INSERT INTO project (code, name, year, level, county_id, sector, category, total_investment)
SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new', -1 FROM county;
SQL

expect_error "negative monthly amount is refused" 'violates check constraint "investment_report_amount_check"' <<SQL
$SETUP
$P SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new' FROM county;
INSERT INTO investment_report (project_id, month, amount, ytd) SELECT id, '2026-03-01', -5, 0 FROM project;
SQL

expect_error "duplicate project code is refused" 'duplicate key value violates unique constraint "project_code_key"' <<SQL
$SETUP
$P SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new' FROM county;
$P SELECT 'P-1', '另一项目', 2026, 'city', id, 'urban', 'new' FROM county;
SQL

expect_error "blank in a code is refused" 'violates check constraint "project_code_check"' <<SQL
$SETUP
$P SELECT 'P 1', '某项目', 2026, 'city', id, 'industry', 'new' FROM county;
SQL

expect_error "planned end before planned start is refused" 'violates check constraint "project_planned_order"' <<SQL
$SETUP
INSERT INTO project (code, name, year, level, county_id, sector, category, planned_start, planned_end)
SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new', '2026-05-01', '2026-04-30' FROM county;
SQL

expect_error "an archive without its reason is refused" 'violates check constraint "project_archive_has_reason"' <<SQL
$SETUP
INSERT INTO project (code, name, year, level, county_id, sector, category, archived_on)
SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new', '2026-11-20' FROM county;
SQL

MS_SETUP="$SETUP
$P SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new' FROM county;
INSERT INTO campaign (code, name, kind, starts_on, ends_on)
VALUES ('2026-B6', '2026年第6期双月攻坚', 'bimonthly', '2026-11-01', '2026-12-31');"

expect_error "due date outside the campaign window is refused, naming the window" \
    'milestone due date 2026-10-31 is outside campaign 2026-B6 "2026年第6期双月攻坚" \(2026-11-01 to 2026-12-31\)' <<SQL
$MS_SETUP
INSERT INTO milestone (project_id, campaign_id, kind, title, due_on)
SELECT p.id, c.id, 'start', '开工', '2026-10-31' FROM project p, campaign c;
SQL

expect_error "moving a due date out of its window is refused" \
    'milestone due date 2027-01-01 is outside campaign 2026-B6' <<SQL
$MS_SETUP
INSERT INTO milestone (project_id, campaign_id, kind, title, due_on)
SELECT p.id, c.id, 'start', '开工', '2026-11-15' FROM project p, campaign c;
UPDATE milestone SET due_on = '2027-01-01';
SQL

expect_error "shrinking a campaign away from its milestones is refused" \
    'campaign HD-2026 "百日攻坚" \(2026-08-01 to 2026-10-31\) would leave 1 milestone\(s\) outside its window' <<SQL
$SETUP
$P SELECT 'P-1', '某项目', 2026, 'city', id, 'industry', 'new' FROM county;
INSERT INTO campaign (code, name, kind, starts_on, ends_on)
VALUES ('HD-2026', '百日攻坚', 'hundred_day', '2026-08-01', '2026-11-08');
INSERT INTO milestone (project_id, campaign_id, kind, title, due_on)
SELECT p.id, c.id, 'start', '开工', '2026-11-05' FROM project p, campaign c;
UPDATE campaign SET ends_on = '2026-10-31';
SQL

expect_error "a two-month code with other dates is refused" 'violates check constraint "campaign_bimonthly_window"' <<SQL
INSERT INTO campaign (code, name, kind, starts_on, ends_on)
VALUES ('2026-B6', '2026年第6期双月攻坚', 'bimonthly', '2026-10-01', '2026-12-31');
SQL

expect_error "a done milestone needs its date" 'violates check constraint "milestone_done_has_date"' <<SQL
$MS_SETUP
INSERT INTO milestone (project_id, campaign_id, kind, title, due_on, status)
SELECT p.id, c.id, 'start', '开工', '2026-11-15', 'done' FROM project p, campaign c;
SQL

expect_error "unknown milestone kind is refused" 'violates check constraint "milestone_kind_check"' <<SQL
$MS_SETUP
INSERT INTO milestone (project_id, campaign_id, kind, title, due_on)
SELECT p.id, c.id, 'groundbreaking', '开工', '2026-11-15' FROM project p, campaign c;
SQL

expect_error "two people with the same name and no mobile are refused" \
    'duplicate key value violates unique constraint "person_name_mobile_key"' <<SQL
INSERT INTO person (name) VALUES ('张三'), ('张三');
SQL

expect_error "two city-wide targets for one campaign are refused" \
    'duplicate key value violates unique constraint "campaign_target_scope_key"' <<SQL
INSERT INTO campaign (code, name, kind, starts_on, ends_on)
VALUES ('2026-B6', '2026年第6期双月攻坚', 'bimonthly', '2026-11-01', '2026-12-31');
INSERT INTO campaign_target (campaign_id, starts) SELECT id, 10 FROM campaign;
INSERT INTO campaign_target (campaign_id, starts) SELECT id, 12 FROM campaign;
SQL

expect_error "the same alert twice is refused" 'duplicate key value violates unique constraint "alert_key"' <<SQL
INSERT INTO alert (kind, subject, stage, light) VALUES ('milestone.overdue', 'milestone:1', 'd1', 'yellow');
INSERT INTO alert (kind, subject, stage, light) VALUES ('milestone.overdue', 'milestone:1', 'd1', 'red');
SQL

expect_error "a delivered delivery needs delivered_at" 'violates check constraint "delivery_delivered_has_time"' <<SQL
INSERT INTO alert (kind, subject, light) VALUES ('milestone.overdue', 'milestone:1', 'red');
INSERT INTO delivery (alert_id, receiver, status) SELECT id, 'city-office', 'delivered' FROM alert;
SQL

expect_eq "nothing was left behind by the refused statements" "0 0 0 0" \
    "$(q "SELECT concat_ws(' ', (SELECT count(*) FROM project), (SELECT count(*) FROM county),
                                (SELECT count(*) FROM campaign), (SELECT count(*) FROM person))")"

# ---------------------------------------------------------------------------
echo "# keyproj_import: first import"
PROJECTS='[
 {"line": 2, "code": "2026-410305-48-01-000001", "name": "洛阳某某智能工厂", "year": "2026",
  "level": "province", "county": "涧西区", "sector": "industry", "category": "new",
  "owner": "洛阳某某有限公司", "unit": "市工信局", "leader": "张三", "leader_title": "副市长",
  "leader_mobile": "13800000001", "total_investment": "50000", "annual_plan": "15000.5",
  "planned_start": "2026-03-01", "planned_end": "2027-12-31"},
 {"line": 3, "code": "LY-2026-002", "name": "某某路(A—B段)改造提升工程", "year": 2026,
  "level": "city", "county": "伊滨区", "sector": "urban", "category": "continuing",
  "unit": "市住建局", "leader": "张三", "contact": "李四", "contact_mobile": "0379-63900000",
  "completes_this_year": true},
 {"line": 4, "code": "LY-2026-003", "name": "某某县实验高中建设项目", "year": "2026",
  "level": "city", "county": "新安县", "sector": "livelihood", "category": "preliminary",
  "total_investment": "12000.00"}
]'
MILESTONES='[
 {"line": 2, "project": "2026-410305-48-01-000001", "campaign": "2026-B6", "kind": "start",
  "title": "开工", "due": "2026-11-15", "unit": "市工信局"},
 {"line": 3, "project": "2026-410305-48-01-000001", "campaign": "2026-B6", "kind": "structure",
  "title": "主体完工", "due": "2026-11-14"},
 {"line": 4, "project": "LY-2026-002", "campaign": "2026-B6", "kind": "completion",
  "due": "2026-12-31", "status": "done", "done_on": "2026-12-20"}
]'
REPORTS='[
 {"line": 2, "project": "2026-410305-48-01-000001", "month": "2026-01-01", "amount": "1000"},
 {"line": 3, "project": "2026-410305-48-01-000001", "month": "2026-02-01", "amount": "1500.5"},
 {"line": 4, "project": "LY-2026-002", "month": "2026-02-01", "amount": "300", "ytd": "800",
  "since_start": "5000", "progress": "路基施工"}
]'

expect_eq "projects: 3 inserted" "rows=3 ins=3 upd=0 unch=0 err=0 applied=true" "$(import projects false "$PROJECTS")"
expect_eq "status defaults from category (continuing → building, others preliminary)" \
    "2026-410305-48-01-000001:preliminary LY-2026-002:building LY-2026-003:preliminary" \
    "$(q "SELECT string_agg(code || ':' || status, ' ' ORDER BY code) FROM project")"
expect_eq "new counties get their ranking group from the name" "伊滨区:zone 新安县:county 涧西区:district" \
    "$(q "SELECT string_agg(name || ':' || grp, ' ' ORDER BY name) FROM county")"
expect_eq "a leader named without mobile is the one named with it elsewhere in the file" \
    "1 张三 13800000001 副市长" \
    "$(q "SELECT count(DISTINCT leader_id) || ' ' || min(l.name) || ' ' || min(l.mobile) || ' ' || min(l.title)
            FROM project p JOIN person l ON l.id = p.leader_id")"
expect_eq "money keeps its value" "50000.0000 15000.5000" \
    "$(q "SELECT total_investment || ' ' || annual_plan FROM project WHERE code = '2026-410305-48-01-000001'")"
expect_eq "milestones: 3 inserted, campaign 2026-B6 created on the way" \
    "rows=3 ins=3 upd=0 unch=0 err=0 applied=true" "$(import milestones false "$MILESTONES")"
expect_eq "the auto-created campaign has its two-month window" \
    "2026-B6|2026年第6期双月攻坚|bimonthly|2026-11-01|2026-12-31" \
    "$(q "SELECT concat_ws('|', code, name, kind, starts_on, ends_on) FROM campaign")"
expect_eq "milestone without a title is named after its kind; done keeps done_on" \
    "completion:竣工:done:2026-12-20 start:开工:pending: structure:主体完工:pending:" \
    "$(q "SELECT string_agg(concat_ws(':', kind, title, status, coalesce(done_on::text, '')), ' ' ORDER BY kind) FROM milestone")"
expect_eq "reports: 3 inserted" "rows=3 ins=3 upd=0 unch=0 err=0 applied=true" "$(import reports false "$REPORTS")"
expect_eq "ytd not given = this year's earlier months + this month" \
    "2026-01-01:1000.0000 2026-02-01:2500.5000" \
    "$(q "SELECT string_agg(month || ':' || ytd, ' ' ORDER BY month) FROM investment_report r
            JOIN project p ON p.id = r.project_id WHERE p.code = '2026-410305-48-01-000001'")"
# (import.projects only: the 竣工 node imported as done also completed its
# project, audited as project.complete, checked below.)
expect_eq "every inserted row has one audit row" "3 3 3" \
    "$(q "SELECT concat_ws(' ', count(*) FILTER (WHERE subject LIKE 'project:%' AND action = 'import.projects'),
                                count(*) FILTER (WHERE subject LIKE 'milestone:%'),
                                count(*) FILTER (WHERE subject LIKE 'report:%'))
            FROM audit_log WHERE actor = 'test' AND result = 'ok'")"
expect_eq "a completion node imported as done completes its project on its date, audited" \
    "completed|2026-12-20|project.complete" \
    "$(q "SELECT concat_ws('|', p.status, p.actual_end, a.action) FROM project p
            JOIN milestone m ON m.project_id = p.id AND m.kind = 'completion'
            JOIN audit_log a ON a.subject = 'project:' || p.code AND a.action = 'project.complete'")"
expect_eq "keyproj_counts: pending, done, overdue as of a given day" \
    '{"done": 1, "waived": 0, "overdue": 1, "pending": 2}|3' \
    "$(q "SELECT (keyproj_counts('2026-11-15')->'milestones')::text || '|' || (keyproj_counts('2026-11-15')->>'projects')")"

# ---------------------------------------------------------------------------
echo "# keyproj_import: identical re-import"
AUDIT_BEFORE=$(q "SELECT count(*) FROM audit_log")
FP=$(fingerprint)
expect_eq "projects again: all unchanged" "rows=3 ins=0 upd=0 unch=3 err=0 applied=true" "$(import projects false "$PROJECTS")"
expect_eq "milestones again: all unchanged" "rows=3 ins=0 upd=0 unch=3 err=0 applied=true" "$(import milestones false "$MILESTONES")"
expect_eq "reports again: all unchanged" "rows=3 ins=0 upd=0 unch=3 err=0 applied=true" "$(import reports false "$REPORTS")"
expect_eq "no new audit rows" "$AUDIT_BEFORE" "$(q "SELECT count(*) FROM audit_log")"
expect_eq "no row touched (updated_at included)" "$FP" "$(fingerprint)"
expect_eq "no change notification for an identical import" "" \
    "$(notified "SELECT keyproj_import('projects', \$j\$$PROJECTS\$j\$, 'test', false)")"

# ---------------------------------------------------------------------------
echo "# keyproj_import: one changed row"
CHANGED=${PROJECTS/\"total_investment\": \"12000.00\"/\"total_investment\": \"12500.00\"}
[ "$CHANGED" != "$PROJECTS" ] || fail "test bug: the changed batch equals the original"
OTHERS_BEFORE=$(q "SELECT string_agg(code || updated_at, ',' ORDER BY code) FROM project WHERE code <> 'LY-2026-003'")
expect_eq "projects with one changed amount: updated=1" "rows=3 ins=0 upd=1 unch=2 err=0 applied=true" \
    "$(import projects false "$CHANGED")"
expect_eq "exactly one audit row, with the changed column only" \
    '1|import.projects|project:LY-2026-003|{"total_investment": 12000.0000}|{"total_investment": 12500.0000}|ok' \
    "$(q "SELECT (SELECT count(*) FROM audit_log) - $AUDIT_BEFORE || '|' ||
                 concat_ws('|', action, subject, old::text, new::text, result)
            FROM audit_log ORDER BY id DESC LIMIT 1")"
expect_eq "the other projects' updated_at is untouched" "$OTHERS_BEFORE" \
    "$(q "SELECT string_agg(code || updated_at, ',' ORDER BY code) FROM project WHERE code <> 'LY-2026-003'")"
CHANGED_MS=${MILESTONES/\"due\": \"2026-11-14\"/\"due\": \"2026-11-10\"}
expect_eq "a changed milestone notifies the alert engine" "milestone" \
    "$(notified "SELECT keyproj_import('milestones', \$j\$$CHANGED_MS\$j\$, 'test', false)")"

# ---------------------------------------------------------------------------
echo "# keyproj_import: a batch with a bad row changes nothing"
FP=$(fingerprint)
BAD_PROJECTS='[
 {"line": 2, "code": "LY-2026-003", "name": "某某县实验高中建设项目", "year": "2026",
  "level": "city", "county": "新安县", "sector": "livelihood", "category": "preliminary",
  "total_investment": "99999"},
 {"line": 3, "code": "LY-2026-004", "name": "某某污水处理厂二期扩建工程", "year": "2026",
  "level": "city", "county": "伊滨区", "sector": "mining", "category": "new"},
 {"line": 4, "code": "LY-2026-005", "name": "某某养老服务中心", "year": "2026",
  "level": "city", "county": "涧西区", "sector": "livelihood", "category": "new"}
]'
expect_eq "projects: the bad line is reported" "rows=3 ins=1 upd=1 unch=0 err=1 applied=false" \
    "$(import projects false "$BAD_PROJECTS")"
expect_eq "the error names line, column and value" \
    "3|sector|unknown sector 'mining' (expected industry, urban, infrastructure, livelihood, ecology, other)" \
    "$(import_errors projects "$BAD_PROJECTS")"
BAD_MILESTONES='[
 {"line": 2, "project": "LY-2026-003", "campaign": "2026-B5", "kind": "start", "due": "2026-09-10"},
 {"line": 3, "project": "NO-SUCH-CODE", "campaign": "2026-B5", "kind": "start", "due": "2026-09-10"},
 {"line": 4, "project": "LY-2026-002", "campaign": "2026-B5", "kind": "topping", "due": "2026-11-02"},
 {"line": 5, "project": "LY-2026-003", "campaign": "2026-B5", "kind": "start", "due": "2026-09-11"}
]'
expect_eq "milestones: every bad line is reported, in order" \
    "3|project|unknown project code 'NO-SUCH-CODE'
4|due|due 2026-11-02 is outside campaign 2026-B5 (2026-09-01 to 2026-10-31)
5|title|duplicate milestone LY-2026-003/2026-B5/start/开工 (already on line 2)" \
    "$(import_errors milestones "$BAD_MILESTONES")"
BAD_REPORTS='[
 {"line": 2, "project": "LY-2026-003", "month": "2026-03-01", "amount": "10"},
 {"line": 3, "project": "LY-2026-003", "month": "2026-04-01", "amount": "-3"}
]'
expect_eq "reports: negative amount reported" "3|amount|amount must not be negative (got -3)" \
    "$(import_errors reports "$BAD_REPORTS")"
expect_eq "nothing was written by the refused batches (not even campaign 2026-B5)" "$FP" "$(fingerprint)"

# ---------------------------------------------------------------------------
echo "# keyproj_import: the counties are the first import's"
NEW_COUNTY='[
 {"line": 2, "code": "LY-2026-007", "name": "某某县产业园", "year": "2026",
  "level": "city", "county": "洛宁县", "sector": "industry", "category": "new"}
]'
expect_eq "a county the ledger does not know, in a later import, is refused" \
    "2|county|unknown county '洛宁县': the ledger knows 3 counties; declare it first with \`county add 洛宁县 --group 县组\`" \
    "$(import_errors projects "$NEW_COUNTY")"
expect_eq "…and not created" "$FP" "$(fingerprint)"

# ---------------------------------------------------------------------------
echo "# keyproj_import: dry run"
DRY='[
 {"line": 2, "code": "LY-2026-003", "name": "某某县实验高中建设项目(一期)", "year": "2026",
  "level": "city", "county": "新安县", "sector": "livelihood", "category": "preliminary"},
 {"line": 3, "code": "LY-2026-006", "name": "某某全民健身中心", "year": "2026",
  "level": "city", "county": "新安县", "sector": "livelihood", "category": "new", "unit": "市体育局"}
]'
expect_eq "dry run counts what would happen" "rows=2 ins=1 upd=1 unch=0 err=0 applied=false" \
    "$(import projects true "$DRY")"
expect_eq "dry run of milestones in a new campaign counts too" "rows=1 ins=1 upd=0 unch=0 err=0 applied=false" \
    "$(import milestones true '[{"line": 2, "project": "LY-2026-003", "campaign": "2026-B5", "kind": "start", "due": "2026-09-10"}]')"
expect_eq "dry run wrote nothing" "$FP" "$(fingerprint)"
expect_eq "dry run notified nobody" "" \
    "$(notified "SELECT keyproj_import('projects', \$j\$$DRY\$j\$, 'test', true)")"

# ---------------------------------------------------------------------------
echo "# keyproj_import: misuse raises"
expect_error "unknown kind raises" 'keyproj_import: unknown kind .bogus.' <<'SQL'
SELECT keyproj_import('bogus', '[]', 'test', false);
SQL
expect_error "rows not an array raises" 'rows must be a JSON array' <<'SQL'
SELECT keyproj_import('projects', '{}', 'test', false);
SQL

echo "# $T_CHECKS passed"
