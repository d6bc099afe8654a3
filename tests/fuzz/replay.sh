#!/bin/bash
# make check: every file of the fuzz corpora (seeds and past crashes) through
# its target, under the test build's sanitizers.
set -eu
for target in request import dispatch control xlsx; do
    files=("$top_srcdir"/tests/fuzz/corpus/$target/*)
    "$top_builddir/tests/fuzz/replay_$target" "${files[@]}"
done
