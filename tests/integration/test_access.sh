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

# Refused requests that reached keyprojd are in the audit trail (action
# control.refused: actor, command, level, reason), at most 10 rows a
# minute for one uid however often it is refused.
T_ADMINS='' T_OPERATORS="\"$me\"" write_config
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
    T_SOCKDIR=$(mktemp -d "${TMPDIR:-/tmp}/kp.XXXXXX")
    chmod 0755 "$T_SOCKDIR"
    T_SOCK=$T_SOCKDIR/control.sock
    write_config
    sed -i "s|mode = \"0660\";|mode = \"0660\"; group = \"$(id -gn nobody)\";|" "$T_CONF"
fi
start_daemon
wait_ready
printf 'code,name\n' | kpctl import projects - > /dev/null 2>&1
kpctl no-such-command > /dev/null 2>&1
audited() { sql "SELECT count(*) FROM audit_log WHERE action = 'control.refused' AND actor = '$1'"; }
wait_until 10 is_eq 2 audited "$me" || fail "2 refusals of $me, $(audited "$me") audit rows"
expect_eq "an operator's import is audited with its command, level and reason" \
    "command:import|operator|denied: 'import' needs the admin level; user $me has operator (its body was not read)" \
    "$(sql "SELECT subject || '|' || (new->>'level') || '|' || result FROM audit_log
             WHERE action = 'control.refused' AND subject = 'command:import'")"
expect_eq "an unknown command is audited" "unknown_command" \
    "$(sql "SELECT new->>'code' FROM audit_log WHERE action = 'control.refused' AND subject = 'command:no-such-command'")"
if [ -n "${T_SOCKDIR:-}" ]; then
    # nobody: in no list, refused at the door, 30 times in a row.
    for i in $(seq 30); do
        setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
            "$KEYPROJCTL" -s "$T_SOCK" status > /dev/null 2>&1
    done
    wait_until 10 is_eq 10 audited nobody || fail "30 refusals of nobody: $(audited nobody) audit rows"
    expect_eq "a refusal at the door is audited with level none and no command" \
        "connection|none|$(id -u nobody)" \
        "$(sql "SELECT DISTINCT subject || '|' || (new->>'level') || '|' || (new->>'uid') FROM audit_log
                 WHERE action = 'control.refused' AND actor = 'nobody'")"
    sleep 1
    expect_eq "one uid refused 30 times writes 10 rows in a minute" 10 "$(audited nobody)"
    kpctl status > /dev/null || fail "the operator is locked out by nobody's refusals"
    ok "the operator still gets in while nobody is refused and rate-limited in the audit trail"
fi
stop_daemon
[ -n "${T_SOCKDIR:-}" ] && rm -rf "$T_SOCKDIR"
