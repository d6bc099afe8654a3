#!/bin/bash
# An upgrade loses nothing: for every numbered migration k in sql/ (found
# by listing the files, so a migration added later is covered without
# editing this test), a database left at schema version k exactly as
# migrate.c leaves it (each file's text between BEGIN and the INSERT into
# schema_version, then COMMIT), with the functions of an older keyprojd
# (sql/functions/ under another digest), holding the demo ledger with
# progress, problems, targets, silences, alerts and audit rows in the
# columns version k has, is brought up to date by `keyprojd --migrate`: the
# same rows with the same values, the columns added later at their
# defaults, the functions applied again. Then: --migrate again changes
# nothing, a function edited in the database is put back when the digest
# says the functions differ, and a schema newer than keyprojd knows is
# refused.
#
# Only migrations change tables, so each version is one more file applied
# to a copy (CREATE DATABASE … TEMPLATE) of the previous one: the walk is
# linear in the number of migrations.
#
# The ledger is made once by this keyprojd (import, commands, scan) and
# copied into each older database column by column: the import of an older
# release is not at hand, and the copy holds exactly what each version can.
. "$top_srcdir/tests/integration/lib.sh"

SQL_DIR="$top_srcdir/sql"
REF_DB=$T_DB
UP_DBS=
TODAY=2026-11-25

t_upgrade_cleanup() {
    local db
    for db in $UP_DBS; do dropdb --if-exists "$db" >/dev/null 2>&1; done
}
at_exit t_upgrade_cleanup

# dsql DB "SELECT …" — one value from database DB.
dsql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# ---- the ledger, made once by this keyprojd ---------------------------------------
create_db
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
for kind in projects milestones plans reports; do
    kpctl import $kind "$DEMO/$kind.csv" >/dev/null || fail "import $kind"
done
m1=$(sql "SELECT min(id) FROM milestone WHERE status = 'pending' AND due_on < '$TODAY'")
m2=$(sql "SELECT max(id) FROM milestone WHERE status = 'pending'")
code=$(sql "SELECT min(code) FROM project WHERE actual_start IS NULL AND planned_start < '$TODAY'")
kpctl done "$m1" --date 2026-11-20 --note "现场核实" >/dev/null || fail "done"
kpctl waive "$m2" --reason "规划调整" >/dev/null || fail "waive"
kpctl report "$code" 2026-10 1234.5 --progress "基础施工" >/dev/null || fail "report"
kpctl start "$code" 2026-11-02 >/dev/null || fail "start"
kpctl problem add "$code" --category 资金 --severity major --text "资金未到位" >/dev/null || fail "problem add"
kpctl campaign target set 2026-B6 --starts 3 --completions 1 >/dev/null || fail "campaign target set"
kpctl silence add --county 涧西区 --until 2026-12-01 --comment "集中整改" >/dev/null || fail "silence add"
kpctl scan >/dev/null || fail "scan"
stop_daemon || fail "keyprojd exited badly"
LATEST=$(sql "SELECT max(version) FROM schema_version")

# ---- one database per migration ------------------------------------------------------
# Each helper below is one psql run over all tables: the walk costs a few
# queries per version, not a few per table and version.
#
# table_columns DB — a line "TABLE|COLUMNS" for each of the ledger's tables
# of DB (schema_version and schema_functions are migrate.c's), COLUMNS being
# the ones that hold data (not generated), in order.
table_columns() {
    psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$1" -c "
        SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND c.relname NOT IN ('schema_version', 'schema_functions')
           AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
         GROUP BY c.relname ORDER BY c.relname"
}
# digests DB < "TABLE|COLUMNS" lines — a line "TABLE|ROWS CHECKSUM" for each,
# the checksum over those columns.
digests() {
    local t c q=
    while IFS='|' read -r t c; do
        [ -n "$t" ] || continue
        q="${q:+$q UNION ALL }SELECT '$t', count(*) || ' ' || coalesce(md5(string_agg(r, '|' ORDER BY r)), '-')
                               FROM (SELECT row($c)::text AS r FROM $(source_of "$1" "$t")) s"
    done
    [ -z "$q" ] || psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$1" -c "$q ORDER BY 1"
}
# source_of DB TABLE — where DB's rows of TABLE are read in the columns of
# every version: the table itself, or, where a later migration moved some
# of its columns to a table of their own and DB has that table, the two
# joined back (0008: a milestone's engine state, milestone_state; 0013: a
# project's next check, project_state).
source_of() {
    if [ "$2" = milestone ] && [ "$(dsql "$1" "SELECT to_regclass('milestone_state') IS NOT NULL")" = t ]; then
        echo "(SELECT m.*, s.next_check_on, s.light FROM milestone m JOIN milestone_state s ON s.milestone_id = m.id) milestone"
    elif [ "$2" = project ] && [ "$(dsql "$1" "SELECT to_regclass('project_state') IS NOT NULL")" = t ]; then
        echo "(SELECT p.*, s.next_check_on FROM project p JOIN project_state s ON s.project_id = p.id) project"
    else
        echo "$2"
    fi
}
# copy_ledger DB < "TABLE|COLUMNS" lines — those columns of the reference's
# rows into DB, triggers (notify, touch, audit) off as for a restore; the
# sequences then continue after the copied ids, as after an import.
copy_ledger() {
    local db=$1 t c
    mkdir -p "$T_DIR/copy"
    : > "$T_DIR/copy.out.sql"
    printf 'SET session_replication_role = replica;\n' > "$T_DIR/copy.in.sql"
    while IFS='|' read -r t c; do
        [ -n "$t" ] || continue
        printf '\\copy (SELECT %s FROM %s) TO %s\n' "$c" "$(source_of "$REF_DB" "$t")" "'$T_DIR/copy/$t.tsv'" \
            >> "$T_DIR/copy.out.sql"
        # (rows a migration seeds, like problem_category's, are among the
        # reference's: the table's own are replaced)
        printf 'DELETE FROM %s;\n\\copy %s (%s) FROM %s\n' "$t" "$t" "$c" "'$T_DIR/copy/$t.tsv'" >> "$T_DIR/copy.in.sql"
    done
    psql -X -q -v ON_ERROR_STOP=1 -d "$REF_DB" -f "$T_DIR/copy.out.sql" > "$T_DIR/psql.out" 2>&1 &&
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$T_DIR/copy.in.sql" >> "$T_DIR/psql.out" 2>&1 ||
        fail "copying the ledger into $db: $(cat "$T_DIR/psql.out")"
    dsql "$db" "DO \$\$ DECLARE r record; BEGIN
        FOR r IN SELECT c.relname AS t, a.attname AS a, pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS sq
                   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                  WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
                    AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL LOOP
            EXECUTE format('SELECT setval(%L, coalesce((SELECT max(%I) FROM %I), 0) + 1, false)', r.sq, r.a, r.t);
        END LOOP; END \$\$" > /dev/null || fail "setting the sequences of $db"
}
# later_defaults DB < "TABLE|COLUMNS" lines — the columns of DB's tables
# that are not among COLUMNS (added since) and have a constant default, as
# "TABLE.COLUMN(N)" for each whose N rows do not hold it; then a line
# "checked M".
later_defaults() {
    local db=$1 t c col def q= n=0
    declare -A had=()
    while IFS='|' read -r t c; do
        [ -n "$t" ] && had[$t]=",${c// /},"
    done
    while IFS='|' read -r t col def; do
        [ -n "${had[$t]:-}" ] || continue
        case ${had[$t]} in *",$col,"*) continue ;; esac
        n=$((n + 1))
        q="${q:+$q UNION ALL }SELECT '$t.$col(' || count(*) || ')' FROM $t WHERE $col IS DISTINCT FROM ($def) HAVING count(*) > 0"
    done < <(psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$db" -c "
        SELECT c.relname, quote_ident(a.attname), pg_get_expr(d.adbin, d.adrelid)
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
          JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
           AND pg_get_expr(d.adbin, d.adrelid) !~* '(now|nextval|current_|clock_|random|uuid)'")
    [ -z "$q" ] || dsql "$db" "$q"
    echo "checked $n"
}

files=$(ls "$SQL_DIR" | grep -E '^[0-9]{4}_.*\.sql$' | sort)
[ -n "$files" ] || fail "no migrations in $SQL_DIR"
functions=$(ls "$SQL_DIR/functions" | grep -E '\.sql$' | sort)
# keyprojd carries the migrations and functions it was built with
# (dist_sql_DATA, dist_sqlfunctions_DATA): the same as the files, or an
# upgrade would skip one. The digest is embed-sql.sh's.
carried=$(sql "SELECT string_agg(name || '.sql', ' ' ORDER BY version) FROM schema_version")
expect_eq "keyprojd carries every migration in sql/" "$(echo $files)" "$carried"
MD5=$(for f in $functions; do echo "functions/${f%.sql}"; sed 's/\r$//' "$SQL_DIR/functions/$f"; done | md5sum | cut -c1-32)
expect_eq "… and every file of sql/functions/, as they are" "$MD5" "$(sql "SELECT md5 FROM schema_functions")"

# functions_as_before DB — sql/functions/ applied as migrate.c applies it,
# recorded under a digest no keyprojd has: the functions of an older one.
functions_as_before() {
    { printf 'BEGIN;\nSET LOCAL check_function_bodies = off;\n'
      for f in $functions; do sed 's/\r$//' "$SQL_DIR/functions/$f"; printf '\n;\n'; done
      printf "CREATE TABLE schema_functions (one boolean PRIMARY KEY DEFAULT true CHECK (one), md5 text NOT NULL,
              applied_at timestamptz NOT NULL DEFAULT now());
              INSERT INTO schema_functions (md5) VALUES ('an older keyprojd');\nCOMMIT;\n"; } > "$T_DIR/functions.sql"
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$T_DIR/functions.sql" >"$T_DIR/psql.out" 2>&1 ||
        fail "applying sql/functions/ to $1: $(cat "$T_DIR/psql.out")"
}

REF_TABLES=$(table_columns "$REF_DB" | cut -d"|" -f1 | paste -sd"|")
bare=
for upto in $files; do
    k=$(echo "$upto" | sed 's/_.*//; s/^0*//')
    # The bare schema at version k: a copy of the one at the version
    # before (schema_version as migrate.c creates it, for the first) and
    # file k as migrate.c applies it. Kept bare for the next version.
    if [ -z "$bare" ]; then
        createdb "${T_DB}_bare$k" || fail "createdb ${T_DB}_bare$k"
        dsql "${T_DB}_bare$k" "CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,
                               applied_at timestamptz NOT NULL DEFAULT now())" >/dev/null
    else
        createdb -T "$bare" "${T_DB}_bare$k" || fail "createdb ${T_DB}_bare$k"
    fi
    UP_DBS="$UP_DBS ${T_DB}_bare$k"
    bare=${T_DB}_bare$k
    { printf 'BEGIN;\n'; sed 's/\r$//' "$SQL_DIR/$upto"; printf "\n;INSERT INTO schema_version (version, name) VALUES (%d, '%s');\nCOMMIT;\n" "$k" "${upto%.sql}"; } \
        > "$T_DIR/migration.sql"
    psql -X -q -v ON_ERROR_STOP=1 -d "$bare" -f "$T_DIR/migration.sql" >"$T_DIR/psql.out" 2>&1 ||
        fail "applying $upto to $bare: $(cat "$T_DIR/psql.out")"
    db="${T_DB}_v$k"
    UP_DBS="$UP_DBS $db"
    createdb -T "$bare" "$db" || fail "createdb $db"
    functions_as_before "$db"
    [ "$(dsql "$db" 'SELECT max(version) FROM schema_version')" = "$k" ] || fail "$db is not at version $k"

    # The ledger, in the columns version k has (the tables the reference
    # has too).
    table_columns "$db" | grep -E "^($REF_TABLES)\|" > "$T_DIR/cols"
    copy_ledger "$db" < "$T_DIR/cols"
    digests "$db" < "$T_DIR/cols" > "$T_DIR/before"
    ntables=$(wc -l < "$T_DIR/before")
    total=$(awk -F'|' '{ split($2, f, " "); n += f[1] } END { print n + 0 }' "$T_DIR/before")
    for t in alert audit_log investment_report problem silence campaign_target; do
        grep -Eq "^$t\|[1-9]" "$T_DIR/before" || fail "version $k: no $t rows to carry over"
    done
    nrows=$(dsql "$db" "SELECT (SELECT count(*) FROM project) || ' projects, ' || (SELECT count(*) FROM milestone) || ' milestones'")

    # The upgrade.
    T_CONNINFO="host=${PGHOST:-localhost} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=$db" write_config
    "$KEYPROJD" -c "$T_CONF" --migrate >"$T_DIR/migrate.out" 2>&1 || fail "keyprojd --migrate from version $k: $(tail -n 5 "$T_DIR/migrate.out")"
    expect_eq "version $k ($nrows): --migrate brings it to $LATEST" "$LATEST" "$(dsql "$db" 'SELECT max(version) FROM schema_version')"
    applied=$(grep -c 'schema migration applied' "$T_DIR/migrate.out")
    expect_eq "… applying each later migration once" "$(echo "$files" | awk -v k="$k" '{ v = $0; sub(/_.*/, "", v); if (v + 0 > k) n++ } END { print n + 0 }')" "$applied"
    expect_eq "… and the functions again, recording their digest" "1 $MD5" \
        "$(grep -c 'schema functions applied' "$T_DIR/migrate.out") $(dsql "$db" 'SELECT md5 FROM schema_functions')"
    lost=$(digests "$db" < "$T_DIR/cols" | diff "$T_DIR/before" - | sed -n 's/^[<>] \([^|]*\)|.*/\1/p' | sort -u | tr '\n' ' ')
    expect_eq "… every table's rows and values as they were ($ntables tables, $total rows)" "" "$lost"
    # Each column added after k holds its default on the rows that were
    # there (a constant default; columns a migration fills from others
    # have none and are left to that migration).
    notdef=$(later_defaults "$db" < "$T_DIR/cols")
    ndef=$(echo "$notdef" | sed -n 's/^checked //p')
    expect_eq "… the $ndef columns added later with a constant default hold it" "" "$(echo "$notdef" | grep -v '^checked ' | tr '\n' ' ')"
done

# ---- --migrate on an up-to-date schema changes nothing ----------------------------------
db="${T_DB}_v$LATEST"
whole() {
    { dsql "$db" "SELECT 'schema_version|' || string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                   WHERE attrelid = 'public.schema_version'::regclass AND attnum > 0 AND NOT attisdropped
                  UNION ALL
                  SELECT 'schema_functions|' || string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                   WHERE attrelid = 'public.schema_functions'::regclass AND attnum > 0 AND NOT attisdropped"
      table_columns "$db"; } | digests "$db" | sed 's/|/:/' | tr '\n' ' '
}
snap=$(whole)
"$KEYPROJD" -c "$T_CONF" --migrate >"$T_DIR/migrate.out" 2>&1 || fail "a second --migrate failed: $(tail -n 5 "$T_DIR/migrate.out")"
expect_eq "--migrate again: nothing applied" "0 0 1" \
    "$(grep -c 'schema migration applied' "$T_DIR/migrate.out") $(grep -c 'schema functions applied' "$T_DIR/migrate.out") $(grep -c 'schema functions current' "$T_DIR/migrate.out")"
expect_eq "… and not a row changed, schema_version and schema_functions included" "$snap" "$(whole)"

# ---- a function edited since the database got it is applied again -----------------------
# As if sql/functions/values.sql had been edited after this database got
# it: another body in the database, another digest on record.
ymd=$(dsql "$db" "SELECT keyproj_ymd('2026-11-25')")
dsql "$db" "CREATE OR REPLACE FUNCTION keyproj_ymd(d date) RETURNS text LANGUAGE sql STABLE AS \$\$ SELECT 'stale' \$\$;
            UPDATE schema_functions SET md5 = 'before the edit'" >/dev/null
"$KEYPROJD" -c "$T_CONF" --migrate >"$T_DIR/migrate.out" 2>&1 || fail "--migrate after an edit failed: $(tail -n 5 "$T_DIR/migrate.out")"
expect_eq "--migrate applies the functions again when their digest differs" "0 1" \
    "$(grep -c 'schema migration applied' "$T_DIR/migrate.out") $(grep -c 'schema functions applied' "$T_DIR/migrate.out")"
expect_eq "… the function as its file says, the digest this keyprojd's" "$ymd $MD5" \
    "$(dsql "$db" "SELECT keyproj_ymd('2026-11-25') || ' ' || md5 FROM schema_functions")"
expect_eq "… and the ledger's rows as they were" "$(echo "$snap" | sed "s/ schema_functions:[^ ]* [^ ]*//")" \
    "$(whole | sed "s/ schema_functions:[^ ]* [^ ]*//")"
snap=$(whole)

# ---- a schema newer than keyprojd knows is refused ---------------------------------------
dsql "$db" "INSERT INTO schema_version (version, name) VALUES ($((LATEST + 1)), '$(printf '%04d' $((LATEST + 1)))_from_the_future')" >/dev/null
"$KEYPROJD" -c "$T_CONF" --migrate >"$T_DIR/migrate.out" 2>&1; rc=$?
expect_eq "--migrate refuses a newer schema, exiting non-zero" 1 "$rc"
expect_contains "… saying which versions" "database schema version $((LATEST + 1)) is newer than this keyprojd knows ($LATEST)" \
    "$(cat "$T_DIR/migrate.out")"
expect_eq "… touching nothing" "$(echo "$snap" | sed "s/ schema_version:[^ ]* [^ ]*//")" \
    "$(whole | sed "s/ schema_version:[^ ]* [^ ]*//")"
start_daemon
has_database_error() { [ -n "$(status_field database_error 2>/dev/null)" ]; }
wait_until 30 has_database_error
expect_contains "the daemon stays up but says why in status" "newer than this keyprojd knows" "$(kpctl --json status)"
run projects
expect_eq "… and refuses the ledger's commands as unavailable" "1 unavailable" "$rc $(echo "$out" | field code)"
stop_daemon || fail "keyprojd exited badly"
