#!/bin/sh
# Writes daemon/migrations.c from the SQL files given as arguments, so that
# keyprojd carries exactly the SQL it was built with and cannot be paired
# with a stale copy on disk: sql/NNNN_name.sql are the numbered migrations
# (table changes), sql/functions/*.sql the functions and triggers that
# migrate.c applies again whenever their text (schema_functions_md5) differs
# from what the database last got.
set -e
migrations=
functions=
for f in "$@"; do
    case "$f" in
    */functions/*.sql) functions="$functions $f" ;;
    *) migrations="$migrations $f" ;;
    esac
done
# Both in name order whatever order the Makefile lists them in: migrate.c
# skips any migration numbered below one already applied, and a functions
# file is applied with check_function_bodies off, after the tables, so
# only a trigger's function must come before it (in the same file).
migrations=$(for f in $migrations; do echo "$f"; done | sort)
functions=$(for f in $functions; do echo "$f"; done | sort)

# c_string FILE — the file as the lines of a C string literal.
c_string() {
    sed -e 's/\r$//' -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/      "/' -e 's/$/\\n"/' "$1"
}

echo '/* Generated from the sql directory by daemon/embed-sql.sh: do not edit. */'
echo '#include "ac_config.h"'
echo '#include "migrate.h"'
echo 'const struct migration migrations[] = {'
n=0
for f in $migrations; do
    name=$(basename "$f" .sql)
    version=$(echo "$name" | sed -e 's/_.*//' -e 's/^0*//')
    printf '    { %d, "%s",\n' "$version" "$name"
    c_string "$f"
    echo '    },'
    n=$((n + 1))
done
echo '};'
echo "const size_t n_migrations = $n;"

echo 'const struct migration schema_functions[] = {'
n=0
for f in $functions; do
    printf '    { 0, "functions/%s",\n' "$(basename "$f" .sql)"
    c_string "$f"
    echo '    },'
    n=$((n + 1))
done
[ "$n" -gt 0 ] || echo '    { 0, "", "" },'
echo '};'
echo "const size_t n_schema_functions = $n;"
# The digest of the names and texts, as embedded (carriage returns gone).
md5=$(for f in $functions; do echo "functions/$(basename "$f" .sql)"; sed -e 's/\r$//' "$f"; done | md5sum | cut -c1-32)
echo "const char schema_functions_md5[] = \"$md5\";"
