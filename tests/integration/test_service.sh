#!/bin/bash
# The service as systemd and an administrator see it: the unit passes
# `systemd-analyze verify` with its hardening, its socket directory agrees
# with the sample configuration, and `keyprojd --check-config` accepts the
# sample, rejects a broken file with FILE:LINE, and warns (still exit 0) when
# a file that may hold secrets is readable by others. No PostgreSQL needed.
. "$top_srcdir/tests/lib/assert.sh"

KEYPROJD=$top_builddir/keyprojd
UNIT_IN=$top_srcdir/etc/keyprojd.service.in
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

[ -x "$KEYPROJD" ] || fail "$KEYPROJD is missing: run make first"

# ---- the unit -----------------------------------------------------------------
unit=$T_DIR/keyprojd.service
sed -e "s|@sbindir@|$top_builddir|g" -e "s|@sysconfdir@|$T_DIR|g" "$UNIT_IN" > "$unit"
for key in Type=notify User=keyproj RuntimeDirectory=keyprojd NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    SystemCallFilter=@system-service ProtectKernelTunables=yes ProtectKernelModules=yes \
    ProtectControlGroups=yes RestrictNamespaces=yes LockPersonality=yes MemoryDenyWriteExecute=yes \
    'ExecReload=/bin/kill -HUP $MAINPID'; do
    grep -qxF "$key" "$unit" || fail "the unit lacks $key"
done
ok "the unit is Type=notify, reloads with SIGHUP, runs as keyproj in RuntimeDirectory=keyprojd, hardened"

if command -v systemd-analyze > /dev/null; then
    out=$(systemd-analyze verify --man=no "$unit" 2>&1) || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify complains: $out"
    ok "systemd-analyze verify accepts the unit"
else
    echo "ok $((T_CHECKS += 1)) - # SKIP systemd-analyze not installed"
fi

# The sample configuration's socket lives in the unit's RuntimeDirectory,
# with group keyproj-ops, which the service holds besides its own group
# keyproj (the one that reads the secrets, and that no operator is in).
conf=$top_srcdir/etc/keyprojd.conf
grep -q '^ *socket = "/run/keyprojd/control.sock";' "$conf" ||
    fail "the sample's control.socket is not /run/keyprojd/control.sock"
grep -q '^ *group = "keyproj-ops";' "$conf" || fail "the sample's control.group is not keyproj-ops"
grep -q '^ *mode = "0660";' "$conf" || fail "the sample's control.mode is not 0660"
grep -q '^ *operators = \[ "@keyproj-ops" \];' "$conf" || fail "the sample's operators are not @keyproj-ops"
grep -q '^ *admins = \[ "root", "@keyproj-admin" \];' "$conf" || fail "the sample's admins are not root, @keyproj-admin"
grep -qxF "Group=keyproj" "$unit" && grep -qxF "SupplementaryGroups=keyproj-ops" "$unit" ||
    fail "the unit does not run with group keyproj and supplementary group keyproj-ops"
grep -qxF "RuntimeDirectoryMode=0755" "$unit" || fail "operators cannot enter the socket's directory"
ok "the sample's socket /run/keyprojd/control.sock (group keyproj-ops, 0660) is in RuntimeDirectory=keyprojd; operators are @keyproj-ops"

# ---- keyprojd --check-config ---------------------------------------------------
cp "$conf" "$top_srcdir/etc/holidays.conf" "$T_DIR/"
chmod 0640 "$T_DIR/keyprojd.conf"
out=$("$KEYPROJD" --check-config -c "$T_DIR/keyprojd.conf" 2> "$T_DIR/err") || fail "--check-config rejects the sample: $(cat "$T_DIR/err")"
[ "$out" = "$T_DIR/keyprojd.conf: ok" ] || fail "--check-config printed: $out"
[ ! -s "$T_DIR/err" ] || fail "--check-config warns about a 0640 file: $(cat "$T_DIR/err")"
ok "--check-config accepts the sample (mode 0640) silently"

chmod 0644 "$T_DIR/keyprojd.conf"
out=$("$KEYPROJD" --check-config -c "$T_DIR/keyprojd.conf" 2> "$T_DIR/err") ||
    fail "--check-config fails on a valid file readable by others: $(cat "$T_DIR/err")"
grep -q "warning: $T_DIR/keyprojd.conf is readable by others (mode 0644)" "$T_DIR/err" ||
    fail "--check-config does not warn about a 0644 file: $(cat "$T_DIR/err")"
[ "$out" = "$T_DIR/keyprojd.conf: ok" ] || fail "--check-config printed: $out"
ok "--check-config warns on stderr about a file readable by others, and still exits 0"

printf 'timezone = "Asia/Shanghai";\nlog_level = "loud";\n' > "$T_DIR/bad.conf"
chmod 0600 "$T_DIR/bad.conf"
if "$KEYPROJD" --check-config -c "$T_DIR/bad.conf" > /dev/null 2> "$T_DIR/err"; then
    fail "--check-config accepts log_level = \"loud\""
fi
grep -q "bad.conf:2" "$T_DIR/err" || fail "--check-config does not name FILE:LINE: $(cat "$T_DIR/err")"
printf 'timezone = "Asia/Shanghai"\nlog_level = \n' > "$T_DIR/syntax.conf"
if "$KEYPROJD" --check-config -c "$T_DIR/syntax.conf" > /dev/null 2> "$T_DIR/err"; then
    fail "--check-config accepts a syntax error"
fi
grep -q "syntax.conf:[0-9]" "$T_DIR/err" || fail "--check-config does not name FILE:LINE: $(cat "$T_DIR/err")"
"$KEYPROJD" --check-config -c "$T_DIR/missing.conf" > /dev/null 2>&1 && fail "--check-config accepts a missing file"
ok "--check-config rejects a bad value and a syntax error with FILE:LINE, and a missing file"

echo "1..$T_CHECKS"
