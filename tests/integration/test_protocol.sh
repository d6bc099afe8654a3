#!/bin/bash
# Hostile and careless clients: every malformed request gets a clear error
# or a closed connection, never a crash, and never harms another client.
. "$top_srcdir/tests/integration/lib.sh"

raw() { python3 "$top_srcdir/tests/integration/rawctl.py" "$T_SOCK" "$@"; }

create_db
write_config
sed -i 's/idle_timeout_seconds = [0-9]*;//; s/max_args = [0-9]*;//' "$T_CONF"
sed -i 's/mode = "0660";/mode = "0660"; idle_timeout_seconds = 1; max_line_bytes = 300; max_args = 8; max_body_bytes = 2048;/' "$T_CONF"
start_daemon
wait_ready

out=$(raw 'version\nversion\n' --lines 2)
expect_eq "two pipelined requests get two answers" 2 "$(echo "$out" | grep -c '"ok":true')"

out=$(raw 'projects --county "涧西区\nversion\n' --lines 2)
expect_contains "unbalanced quote is a protocol error" '"code":"protocol"' "$out"
expect_contains "unbalanced quote is named" 'unbalanced' "$out"
expect_contains "the connection survives a bad line" '"name":"keyproj"' "$out"

out=$(raw 'status \xff\xfe\n')
expect_contains "invalid UTF-8 is refused" 'invalid UTF-8' "$out"
out=$(raw 'status \x00x\n')
expect_contains "a NUL byte is refused" 'NUL' "$out"

out=$(raw 'a b c d e f g h i j k l\n')
expect_contains "too many arguments is refused" 'too many arguments' "$out"

long=$(printf 'x%.0s' $(seq 1 400))
out=$(raw "status $long\n")
expect_contains "an over-long line is refused" '"code":"too_large"' "$out"
expect_contains "an over-long line closes the connection" 'EOF' "$out"
out=$(raw "$long" --timeout 2)
expect_contains "an over-long line without newline is refused" '"code":"too_large"' "$out"

out=$(raw 'import projects --bytes 999999\n')
expect_contains "an over-limit body is refused" 'larger than the limit of 2048 bytes' "$out"
expect_contains "an over-limit body closes the connection" 'EOF' "$out"

out=$(raw 'version --bytes 3\nabc')
expect_contains "a body for a command without one is refused" "takes no body" "$out"
out=$(raw 'version --bytes x\n')
expect_contains "a malformed --bytes is refused" "needs a byte count" "$out"

# A client that sends half a line, or less body than announced, and stalls
# is dropped after the idle timeout; others are served meanwhile.
raw 'stat' --timeout 3 > "$T_DIR/stall.out" &
stall=$!
raw 'import projects --bytes 100\nabc' --timeout 3 > "$T_DIR/stall2.out" &
stall2=$!
sleep 0.2
kpctl status >/dev/null || fail "status blocked by a stalled client"
ok "a stalled client does not block others"
wait $stall $stall2
expect_contains "a stalled line is timed out" 'idle too long' "$(cat "$T_DIR/stall.out")"
expect_contains "a stalled body is timed out" 'body not received in time' "$(cat "$T_DIR/stall2.out")"

out=$(kpctl bogus 2>&1); rc=$?
expect_eq "unknown command exits 2" 2 "$rc"
expect_contains "unknown command is named" "unknown command 'bogus'" "$out"
out=$(kpctl projects --bogus 2>&1); rc=$?
expect_eq "unknown option exits 2" 2 "$rc"
expect_contains "unknown option shows the usage" "usage: projects" "$out"
out=$(kpctl projects --sector 航天 2>&1); rc=$?
expect_eq "unknown filter value exits 2" 2 "$rc"
expect_contains "unknown filter value lists the choices" "产业" "$out"
out=$(kpctl project NO-SUCH 2>&1); rc=$?
expect_eq "missing project exits 1" 1 "$rc"
expect_contains "missing project is named" "no project with code 'NO-SUCH'" "$out"
out=$(KEYPROJ_SOCKET="$T_DIR/nothing.sock" "$KEYPROJCTL" status 2>&1); rc=$?
expect_eq "unreachable daemon exits 3" 3 "$rc"

kill -0 "$T_PID" || fail "daemon died"
expect_eq "daemon alive after all of it" connected "$(status_field database)"
stop_daemon
