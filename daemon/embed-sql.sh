#!/bin/sh
# Writes daemon/migrations.c from the sql/NNNN_name.sql files given as
# arguments, so that keyprojd carries exactly the migrations it was built
# with and cannot be paired with a stale copy on disk.
set -e
# In version order whatever order the Makefile lists them in: migrate.c
# skips any migration numbered below one already applied.
set -- $(for f in "$@"; do echo "$f"; done | sort)
echo '/* Generated from the sql directory by daemon/embed-sql.sh: do not edit. */'
echo '#include "ac_config.h"'
echo '#include "migrate.h"'
echo 'const struct migration migrations[] = {'
n=0
for f in "$@"; do
    name=$(basename "$f" .sql)
    version=$(echo "$name" | sed -e 's/_.*//' -e 's/^0*//')
    printf '    { %d, "%s",\n' "$version" "$name"
    sed -e 's/\r$//' -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/      "/' -e 's/$/\\n"/' "$f"
    echo '    },'
    n=$((n + 1))
done
echo '};'
echo "const size_t n_migrations = $n;"
