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
# tables DB — the ledger's tables of DB (schema_version and schema_functions are migrate.c's).
tables() {
    dsql "$1" "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
               WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname NOT IN ('schema_version', 'schema_functions')"
}
# columns DB TABLE — its columns that hold data (not generated), in order.
columns() {
    dsql "$1" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
               WHERE attrelid = 'public.$2'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''"
}
# digest DB TABLE COLUMNS — rows and a checksum of those columns.
digest() {
    dsql "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(r, '|' ORDER BY r)), '-')
               FROM (SELECT row($3)::text AS r FROM $2) s"
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

    # The ledger, in the columns version k has; triggers (notify, touch,
    # audit) off as for a restore, so the rows are the reference's (rows a
    # migration seeds, like problem_category's, are among them: the
    # table's own are replaced).
    declare -A cols=() before=()
    for t in $(tables "$db"); do
        dsql "$REF_DB" "SELECT to_regclass('public.$t') IS NOT NULL" | grep -q t || continue
        c=$(columns "$db" "$t")
        cols[$t]=$c
        psql -X -q -v ON_ERROR_STOP=1 -d "$REF_DB" -c "\\copy (SELECT $c FROM $t) TO STDOUT" |
            psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET session_replication_role = replica" \
                 -c "DELETE FROM $t" -c "\\copy $t ($c) FROM pstdin" >"$T_DIR/psql.out" 2>&1 ||
            fail "copying $t into version $k: $(cat "$T_DIR/psql.out")"
    done
    # Sequences continue after the copied ids, as after an import.
    seqs=$(dsql "$db" "SELECT string_agg(c.relname || '.' || a.attname || '.' || pg_get_serial_sequence(quote_ident(c.relname), a.attname), ' ')
                       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0
                         AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL")
    for s in $seqs; do
        IFS=. read -r t a sq_schema sq <<< "$s"
        dsql "$db" "SELECT setval('$sq_schema.$sq', coalesce((SELECT max($a) FROM $t), 0) + 1, false)" >/dev/null
    done
    total=0
    for t in "${!cols[@]}"; do
        before[$t]=$(digest "$db" "$t" "${cols[$t]}")
        total=$((total + ${before[$t]%% *}))
    done
    for t in alert audit_log investment_report problem silence campaign_target; do
        [ -n "${before[$t]:-}" ] && [ "${before[$t]%% *}" -gt 0 ] || fail "version $k: no $t rows to carry over"
    done
    nrows=$(dsql "$db" "SELECT count(*) FROM project")' projects, '$(dsql "$db" "SELECT count(*) FROM milestone")' milestones'

    # The upgrade.
    T_CONNINFO="host=${PGHOST:-localhost} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=$db" write_config
    "$KEYPROJD" -c "$T_CONF" --migrate >"$T_DIR/migrate.out" 2>&1 || fail "keyprojd --migrate from version $k: $(tail -n 5 "$T_DIR/migrate.out")"
    expect_eq "version $k ($nrows): --migrate brings it to $LATEST" "$LATEST" "$(dsql "$db" 'SELECT max(version) FROM schema_version')"
    applied=$(grep -c 'schema migration applied' "$T_DIR/migrate.out")
    expect_eq "… applying each later migration once" "$(echo "$files" | awk -v k="$k" '{ v = $0; sub(/_.*/, "", v); if (v + 0 > k) n++ } END { print n + 0 }')" "$applied"
    expect_eq "… and the functions again, recording their digest" "1 $MD5" \
        "$(grep -c 'schema functions applied' "$T_DIR/migrate.out") $(dsql "$db" 'SELECT md5 FROM schema_functions')"
    lost=
    for t in "${!cols[@]}"; do
        [ "$(digest "$db" "$t" "${cols[$t]}")" = "${before[$t]}" ] || lost="$lost $t"
    done
    expect_eq "… every table's rows and values as they were (${#cols[@]} tables, $total rows)" "" "$lost"
    # Each column added after k holds its default on the rows that were
    # there (a constant default; columns a migration fills from others,
    # like 0008's entered_on, have none and are left to that migration).
    notdef=
    ndef=0
    for t in "${!cols[@]}"; do
        while IFS='|' read -r col def; do
            [ -n "$col" ] || continue
            bad=$(dsql "$db" "SELECT count(*) FROM $t WHERE $col IS DISTINCT FROM ($def)")
            ndef=$((ndef + 1))
            [ "$bad" = 0 ] || notdef="$notdef $t.$col($bad)"
        done < <(dsql "$db" "SELECT quote_ident(a.attname) || '|' || pg_get_expr(d.adbin, d.adrelid)
                             FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                             WHERE a.attrelid = 'public.$t'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                               AND a.attgenerated = ''
                               AND pg_get_expr(d.adbin, d.adrelid) !~* '(now|nextval|current_|clock_|random|uuid)'
                               AND quote_ident(a.attname) <> ALL (string_to_array(replace('${cols[$t]}', ' ', ''), ','))")
    done
    expect_eq "… the $ndef columns added later with a constant default hold it" "" "$notdef"
    unset cols before
done

# ---- --migrate on an up-to-date schema changes nothing ----------------------------------
db="${T_DB}_v$LATEST"
whole() {
    local t out=
    for t in schema_version schema_functions $(tables "$db"); do
        out="$out $t:$(digest "$db" "$t" "$(columns "$db" "$t")")"
    done
    echo "$out"
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
