#!/bin/bash
# The service manager's story: keyprojd refuses a bad config with FILE:LINE,
# starts, answers status, keeps its config through a bad reload, takes a
# good one, replaces a stale socket, refuses to share a live one, and stops
# cleanly on SIGTERM, removing its socket.
. "$top_srcdir/tests/integration/lib.sh"

create_db

# A bad config is refused before anything starts, naming file and line.
cat > "$T_DIR/bad.conf" <<'CONF'
timezone = "Asia/Shanghai";
control = {
  socket = "/tmp/x.sock";
  mode = "0666";
};
CONF
out=$("$KEYPROJD" -c "$T_DIR/bad.conf" 2>&1) && fail "bad config accepted"
expect_contains "bad config names file and line" "bad.conf:4:" "$out"
expect_contains "bad config says what is wrong" "must not be open to other users" "$out"

cat > "$T_DIR/typo.conf" <<'CONF'
timezone = "Asia/Shanghai";
alerts = { due_son_days = [ 7, 3, 1 ]; };
CONF
out=$("$KEYPROJD" -c "$T_DIR/typo.conf" 2>&1) && fail "typo accepted"
expect_contains "unknown keys are refused" "typo.conf:2: unknown setting 'alerts.due_son_days'" "$out"

out=$("$KEYPROJD" -c "$T_DIR/none.conf" 2>&1) && fail "missing config accepted"
expect_contains "missing config is reported" "none.conf: cannot read" "$out"

write_config
out=$("$KEYPROJD" -c "$T_CONF" --check-config 2>&1)
expect_contains "--check-config accepts a good file" "ok" "$out"

# --migrate brings the schema up to date and exits, applying each
# migration once.
out=$("$KEYPROJD" -c "$T_CONF" --migrate 2>>"$T_LOG") || fail "--migrate failed: $out"
expect_contains "--migrate reports the version" "schema version" "$out"
again=$("$KEYPROJD" -c "$T_CONF" --migrate 2>>"$T_LOG") || fail "second --migrate failed"
expect_eq "a second --migrate changes nothing" "$out" "$again"
expect_eq "each migration recorded once" "$(sql 'SELECT count(DISTINCT version) FROM schema_version')" \
    "$(sql 'SELECT count(*) FROM schema_version')"

# A stale socket file (left by a crash) is replaced.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T_SOCK"
[ -S "$T_SOCK" ] || fail "could not make a stale socket"
# Readiness reaches the service manager (Type=notify) over NOTIFY_SOCKET.
python3 - "$T_DIR/notify.sock" > "$T_DIR/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
try:
    print(s.recv(4096).decode(), flush=True)
except socket.timeout:
    print("nothing")
PY
notify=$!
wait_until 30 test -S "$T_DIR/notify.sock"
NOTIFY_SOCKET="$T_DIR/notify.sock" start_daemon
wait $notify
expect_eq "READY=1 sent to the service manager" "READY=1" "$(cat "$T_DIR/notify.out")"
wait_ready
expect_contains "stale socket was replaced" "removed stale control socket" "$(cat "$T_LOG")"

expect_eq "status shows the database" connected "$(status_field database)"
expect_eq "status shows the schema this build brings" "$(status_field schema_expected)" "$(status_field schema_version)"
expect_eq "status shows the time zone" Asia/Shanghai "$(status_field timezone)"
expect_contains "status table lines up" "database:           connected" "$(kpctl status)"
expect_eq "socket mode" "660" "$(stat -c %a "$T_SOCK")"

# A second daemon on the same socket is refused and the first is unharmed.
out=$("$KEYPROJD" -c "$T_CONF" 2>&1) && fail "second daemon started on a live socket"
expect_contains "live socket is not stolen" "another keyprojd is running" "$out"
kpctl status >/dev/null || fail "first daemon harmed by the second"
ok "first daemon still answers"

# A bad reload keeps the running config; a good one applies.
cp "$T_CONF" "$T_DIR/good.conf"
echo 'log_level = "loud";' >> "$T_CONF"
kill -HUP "$T_PID"
wait_until 30 in_file "reload failed" "$T_LOG"
expect_contains "bad reload is reported" "reload failed: keeping the running configuration" "$(cat "$T_LOG")"
kpctl status >/dev/null || fail "daemon down after a bad reload"
ok "daemon answers after a bad reload"
sed 's/log_level = "debug"/log_level = "info"/' "$T_DIR/good.conf" > "$T_CONF"
kill -HUP "$T_PID"
wait_until 30 in_file "configuration reloaded" "$T_LOG"
expect_contains "good reload applies" "configuration reloaded" "$(cat "$T_LOG")"

# --now sets the daemon's clock (tests never sleep for dates).
stop_daemon || fail "SIGTERM did not exit 0"
ok "SIGTERM exits 0"
[ -e "$T_SOCK" ] && fail "socket left behind after stop"
ok "socket removed on stop"

start_daemon --now 2026-03-01T09:00:00+08:00
wait_ready
expect_eq "--now moves the clock" 2026-03-01 "$(status_field today)"
stop_daemon
