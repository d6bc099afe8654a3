#!/bin/bash
# Peer credentials decide who may do what: a user in neither list is
# refused at the door; an operator may read but not write.
. "$top_srcdir/tests/integration/lib.sh"

create_db
me=$(id -un)
T_ADMINS='"nobody-at-all"' T_OPERATORS='' write_config
start_daemon
out=$(kpctl status 2>&1); rc=$?
expect_eq "unlisted user exits 1" 1 "$rc"
expect_contains "unlisted user is refused by name" "user $me (uid $(id -u)) may not use this control socket" "$out"
expect_contains "refusal is logged" "control request refused" "$(cat "$T_LOG")"
stop_daemon

T_ADMINS='' T_OPERATORS="\"$me\"" write_config
start_daemon
wait_ready
kpctl status >/dev/null || fail "operator cannot read status"
ok "operator may read"
help=$(kpctl help)
expect_not_contains "help hides admin commands from operators" "import" "$help"
out=$(printf 'code,name\n' | kpctl import projects - 2>&1); rc=$?
expect_eq "operator import exits 1" 1 "$rc"
expect_contains "operator import is denied with the reason" "'import' needs the admin level; user $me has operator" "$out"
stop_daemon

# A group principal works too.
T_ADMINS="\"@$(id -gn)\"" T_OPERATORS='' write_config
start_daemon
wait_ready
kpctl help | grep -q import || fail "group admin does not see import"
ok "@group admin sees admin commands"
stop_daemon
