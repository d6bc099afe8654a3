#!/bin/bash
# The administrator's story with the spreadsheets: load the ledger, load it
# again and see nothing change, fix one row and see it audited, and get a
# clear, complete error — with the database untouched — for every kind of
# bad file.
. "$top_srcdir/tests/integration/lib.sh"

create_db
write_config
start_daemon
wait_ready

n_proj=$(($(wc -l < "$DEMO/projects.csv") - 1))
out=$(kpctl --json import projects "$DEMO/projects.csv") || fail "demo projects import: $out"
expect_eq "all demo projects inserted" "$n_proj" "$(echo "$out" | field inserted)"
expect_eq "projects in the database" "$n_proj" "$(sql 'SELECT count(*) FROM project')"
expect_eq "status counts the projects" "$n_proj" "$(status_field projects)"
# Answered once the planner has the statistics of what it wrote (ANALYZE
# after the COMMIT), and only of that: an empty table analysed as empty
# would have later imports planned as if it stayed so.
analysed() { sql "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
                   WHERE relname IN ('project', 'milestone', 'approval', 'investment_plan', 'investment_report')
                     AND reltuples >= 0"; }
expect_eq "the projects import analysed project, and no empty table" "project" "$(analysed)"
for kind in milestones plans reports; do
    rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8"))) - 1)' "$DEMO/$kind.csv")
    out=$(kpctl --json import $kind "$DEMO/$kind.csv") || fail "demo $kind import: $out"
    expect_eq "all demo $kind inserted" "$rows" "$(echo "$out" | field inserted)"
done
expect_eq "each import analysed what it wrote" "approval investment_plan investment_report milestone project" \
    "$(analysed)"
expect_eq "milestones in the database" \
    "$(($(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8"))))' "$DEMO/milestones.csv") - 1))" \
    "$(sql 'SELECT count(*) FROM milestone')"
expect_eq "status pending+done+waived = all" "$(sql 'SELECT count(*) FROM milestone')" \
    "$(( $(status_field milestones_pending) + $(status_field milestones_done) + $(status_field milestones_waived) ))"

# Importing the same files again changes nothing, not even the audit log.
before=$(ledger_digest)
audit_before=$(sql 'SELECT count(*) FROM audit_log')
for kind in projects milestones plans reports; do
    out=$(kpctl --json import $kind "$DEMO/$kind.csv") || fail "re-import $kind: $out"
    expect_eq "re-import of $kind updates nothing" 0 "$(echo "$out" | field updated)"
    expect_eq "re-import of $kind inserts nothing" 0 "$(echo "$out" | field inserted)"
done
expect_eq "re-import leaves the ledger as it was" "$before" "$(ledger_digest)"
expect_eq "re-import writes no audit rows" "$audit_before" "$(sql 'SELECT count(*) FROM audit_log')"

# One changed row: a dry run reports it and writes nothing; the real import
# updates it in place and audits old and new.
code=$(sed -n '2p' "$DEMO/projects.csv" | cut -d, -f1)
old_name=$(sql "SELECT name FROM project WHERE code = '$code'")
sed "2s/$old_name/${old_name}（调整）/" "$DEMO/projects.csv" > "$T_DIR/changed.csv"
out=$(kpctl --json import projects --dry-run "$T_DIR/changed.csv") || fail "dry run: $out"
expect_eq "dry run counts the change" 1 "$(echo "$out" | field updated)"
expect_eq "dry run writes nothing" "$before" "$(ledger_digest)"
out=$(kpctl --json import projects "$T_DIR/changed.csv") || fail "changed import: $out"
expect_eq "changed row updated" 1 "$(echo "$out" | field updated)"
expect_eq "the rest unchanged" $((n_proj - 1)) "$(echo "$out" | field unchanged)"
expect_eq "name changed in place" "${old_name}（调整）" "$(sql "SELECT name FROM project WHERE code = '$code'")"
audit=$(sql "SELECT actor || '|' || action || '|' || (old->>'name') || '|' || (new->>'name') FROM audit_log WHERE subject LIKE '%$code%' ORDER BY id DESC LIMIT 1")
expect_eq "the change is audited with who, old and new" "$(id -un)|import.projects|$old_name|${old_name}（调整）" "$audit"

# Bad files: a clear error naming every bad row, and nothing changed.
before=$(ledger_digest)
head=$(sed -n 1p "$DEMO/projects.csv")
row=$(sed -n 3p "$DEMO/projects.csv")
bad() {   # bad NAME EXPECTED-TEXT FILE-CONTENT [import kind]
    printf '%s' "$3" > "$T_DIR/$1.csv"
    out=$(kpctl import "${4:-projects}" "$T_DIR/$1.csv" 2>&1); rc=$?
    expect_eq "$1: refused" 1 "$rc"
    expect_contains "$1: says why" "$2" "$out"
    expect_eq "$1: nothing changed" "$before" "$(ledger_digest)"
}
sector_bad=$(echo "$row" | python3 -c 'import csv,sys; r=next(csv.reader(sys.stdin)); r[5]="航天"; r[0]="NEW-1"; csv.writer(sys.stdout).writerow(r)')
date_bad=$(echo "$row" | python3 -c 'import csv,sys; r=next(csv.reader(sys.stdin)); r[14]="2026-02-30"; r[0]="NEW-2"; csv.writer(sys.stdout).writerow(r)')
money_bad=$(echo "$row" | python3 -c 'import csv,sys; r=next(csv.reader(sys.stdin)); r[12]="-5"; r[0]="NEW-3"; csv.writer(sys.stdout).writerow(r)')
bad unknown_sector "line 3, column 领域: unknown sector '航天'" "$head
$row
$sector_bad"
bad every_row_named "line 3, column 计划开工: '2026-02-30' is not a date" "$head
$sector_bad
$date_bad
$money_bad"
expect_contains "every bad row is listed" "line 4, column 总投资" "$out"
expect_contains "the count of errors is given" "3 errors; nothing was imported" "$out"
bad missing_column "missing column 项目名称 (name)" "项目编号,年度
X,2026
"
bad duplicate_code "line 3, column 项目编号: duplicate code" "$head
$row
$row
"
bad unterminated_quote "line 2: unterminated quoted field" "$head
X,\"broken
"
bad stray_quote "line 2: unexpected character after closing quote" "$head
\"X,\"broken
"
bad empty_file "empty" ""
bad binary_file "not valid UTF-8 or GB18030" "$(printf '\x81\x30\xff\xfe\xfd\x00garbage')"
bad unknown_project "unknown project code 'NO-SUCH'" "project,campaign,kind,title,due
NO-SUCH,2026-B6,start,开工,2026-11-20
" milestones
bad outside_window "2026-B1" "project,campaign,kind,title,due
$code,2026-B1,start,开工,2026-05-20
" milestones
bad bad_kind "unknown node type" "project,kind,title,due
$code,launch,开工,2026-05-20
" milestones

# GB18030 (what Excel in China saves) is detected; so is a UTF-8 BOM.
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别" "GB-1,洛阳市瀍河回族区测试项目,2026,市,瀍河回族区,民生,新开工" |
    iconv -f UTF-8 -t GB18030 > "$T_DIR/gb.csv"
out=$(kpctl --json import projects "$T_DIR/gb.csv") || fail "GB18030 import: $out"
expect_eq "GB18030 detected" gb18030 "$(echo "$out" | field encoding)"
expect_eq "GB18030 text stored as UTF-8" "洛阳市瀍河回族区测试项目|瀍河回族区" \
    "$(sql "SELECT p.name || '|' || c.name FROM project p JOIN county c ON c.id = p.county_id WHERE code = 'GB-1'")"
printf '\xef\xbb\xbf%s\n%s\n' "code,name,year,level,county,sector,category" "BOM-1,BOM项目,2026,city,涧西区,industry,new" > "$T_DIR/bom.csv"
kpctl import projects "$T_DIR/bom.csv" >/dev/null || fail "BOM import"
expect_eq "UTF-8 BOM file imported" 1 "$(sql "SELECT count(*) FROM project WHERE code = 'BOM-1'")"
out=$(printf '%s\n%s\n' "code,name,year,level,county,sector,category" "STDIN-1,标准输入,2026,省,涧西区,产业,前期" | kpctl --json import projects -)
expect_eq "import from stdin" 1 "$(echo "$out" | field inserted)"
out=$(kpctl import projects --encoding utf-8 "$T_DIR/gb.csv" 2>&1); rc=$?
expect_eq "forcing the wrong encoding is refused" 1 "$rc"

# A ledger's section rows between its projects — a heading in the code
# column, a （二） one, a serial number alone in 序号 (not read) — are
# left out as a reader leaves them, and counted; a row with only a code is
# a project row that lacks its fields, and refused.
cat > "$T_DIR/sections.csv" <<'CSV'
序号,项目编号,项目名称,年度,级别,县区,领域,类别
,一、新开工项目（2个）,,,,,,
1,SEC-1,分段测试项目一,2026,市,涧西区,产业,新开工
2,SEC-2,分段测试项目二,2026,市,涧西区,产业,新开工
（二）续建项目,,,,,,,
3,,,,,,,
CSV
out=$(kpctl --json import projects "$T_DIR/sections.csv") || fail "import with section rows: $out"
expect_eq "section rows left out and counted, the projects imported" "2 3" \
    "$(echo "$out" | py 'str(d["inserted"]) + " " + str(d["section_rows_skipped"])')"
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别" "SEC-3,,,,,," > "$T_DIR/only-code.csv"
run import projects "$T_DIR/only-code.csv"
expect_eq "a row with only a project code is read, and refused for what it lacks" 1 "$rc"
expect_contains "…with its errors, nothing imported" "errors; nothing was imported" "$err"

# The rows travel as COPY text: backslashes, tabs, quotes and line breaks
# inside a cell must arrive as written, and NULL-looking text stay text.
printf '%s\n%s\n' 'code,name,year,level,county,sector,category,owner,联系人' \
    '"ESC-1","路\N桥	工程 C:\temp\x ""一期""
二标段",2026,city,涧西区,industry,new,\N,\\' > "$T_DIR/esc.csv"
kpctl import projects "$T_DIR/esc.csv" >/dev/null || fail "import of cells with escapes"
expect_eq "cell text with backslash, tab, quote and newline stored as written" \
    "$(printf '路\\N桥\t工程 C:\\temp\\x "一期"\n二标段|\\N|\\\\')" \
    "$(sql "SELECT p.name || '|' || p.owner || '|' || ps.name FROM project p JOIN person ps ON ps.id = p.contact_id WHERE p.code = 'ESC-1'")"
# The database checks again what keyprojd checked: a code given twice and
# a person given two titles in one file (through the SQL interface, which
# keyprojd's own checks do not guard).
row() { printf '{"code":"%s","name":"n","year":"2026","level":"city","county":"涧西区","sector":"industry",'\
'"category":"new","leader":"张三","leader_mobile":"13800000001","leader_title":"%s"}' "$1" "$2"; }
expect_eq "the SQL side refuses a repeated code and a contradicted title, each on its line" \
    "2 leader_title|3 code|5 code" \
    "$(sql "SELECT string_agg((e->>'line') || ' ' || (e->>'column'), '|')
              FROM jsonb_array_elements(keyproj_import('projects', '[$(row D-1 副市长), $(row D-2 市长),
                   $(row D-1 副市长), $(row D-3 副市长), $(row D-1 副市长)]', 'test', true)->'errors') e")"
# The staging interface refuses what it does not know.
out=$(sql "SELECT keyproj_import_open('projects', '{code,no_such_column}')" 2>&1) && fail "unknown COPY column accepted"
expect_eq "keyproj_import_open names an unknown column" 1 "$(echo "$out" | grep -c "projects has no column 'no_such_column'")"
out=$(sql "SELECT keyproj_import_staged('projects', 'test', false, NULL)" 2>&1) && fail "staged import without rows accepted"
expect_eq "keyproj_import_staged without staged rows is refused" 1 "$(echo "$out" | grep -c "no staged rows")"

# Stopped in the middle of an import: the import is rolled back and its
# client told so. (A session holding the import lock keeps the import
# waiting inside its transaction, its rows already copied.)
# import_lock → "granted|waiting" sessions on the import lock of this
# test's own database (other tests share the PostgreSQL instance).
import_lock() {
    sql "SELECT count(*) FILTER (WHERE granted) || '|' || count(*) FILTER (WHERE NOT granted) FROM pg_locks
         WHERE locktype = 'advisory' AND objsubid = 1
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('keyproj.import', 0)"
}
sql "SELECT pg_advisory_lock(hashtextextended('keyproj.import', 0)), pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
wait_until 30 is_eq "1|0" import_lock || fail "could not take the import lock: $(import_lock)"
printf '%s\n%s\n' "code,name,year,level,county,sector,category" "STOP-1,停止时导入,2026,city,涧西区,industry,new" > "$T_DIR/stop.csv"
kpctl import projects "$T_DIR/stop.csv" > "$T_DIR/stop.out" 2>&1 &
importer=$!
wait_until 30 is_eq "1|1" import_lock
expect_eq "the import waits for the lock" "1|1" "$(import_lock)"
stop_daemon || fail "keyprojd exited with an error while an import ran"
rc=0; wait "$importer" || rc=$?
expect_eq "the import's client is told keyprojd is stopping" "1|1" \
    "$rc|$(grep -c "keyprojd is stopping; nothing was imported" "$T_DIR/stop.out")"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%'
     AND pid <> pg_backend_pid()" >/dev/null
expect_eq "nothing of the stopped import was written" 0 "$(sql "SELECT count(*) FROM project WHERE code = 'STOP-1'")"
start_daemon
wait_ready
stop_daemon
