#!/bin/bash
# The service as systemd and an administrator see it: the unit passes
# `systemd-analyze verify` with its hardening, its socket directory agrees
# with the sample configuration, and `keyprojd --check-config` accepts the
# sample, rejects a broken file with FILE:LINE, and warns (still exit 0) when
# a file holding secrets is readable by others or by a group with people in
# it, about http:// robots, malformed json secrets and a metrics listener off
# the loopback. No PostgreSQL needed.
. "$top_srcdir/tests/lib/assert.sh"

KEYPROJD=$top_builddir/keyprojd
UNIT_IN=$top_srcdir/etc/keyprojd.service.in
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

[ -x "$KEYPROJD" ] || fail "$KEYPROJD is missing: run make first"

# ---- the unit -----------------------------------------------------------------
unit=$T_DIR/keyprojd.service
sed -e "s|@sbindir@|$top_builddir|g" -e "s|@sysconfdir@|$T_DIR|g" "$UNIT_IN" > "$unit"
for key in Type=notify User=keyproj RuntimeDirectory=keyprojd NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK" \
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

# A configuration holding secrets (a robot's key in its URL, a json
# receiver's signing secret) is warned about when others may read it. The
# sample's own receivers list (all comments) gives way to ours.
without_receivers() {
    awk '/^receivers = \($/ { skip = 1 } !skip { print } skip && /^\);$/ { skip = 0 }' "$conf"
}
secret=whsec_$(head -c 32 /dev/urandom | base64)
{
    without_receivers
    echo 'receivers = ('
    echo '    { name = "city-office"; type = "wecom"; url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1"; },'
    echo "    { name = \"audit-feed\"; type = \"json\"; url = \"https://audit.example/hooks/keyproj\"; secret = \"$secret\"; }"
    echo ');'
} > "$T_DIR/keyprojd.conf"
chmod 0644 "$T_DIR/keyprojd.conf"
out=$("$KEYPROJD" --check-config -c "$T_DIR/keyprojd.conf" 2> "$T_DIR/err") ||
    fail "--check-config fails on a valid file readable by others: $(cat "$T_DIR/err")"
grep -q "warning: $T_DIR/keyprojd.conf is readable by others (mode 0644)" "$T_DIR/err" ||
    fail "--check-config does not warn about a 0644 file: $(cat "$T_DIR/err")"
[ "$(wc -l < "$T_DIR/err")" -eq 1 ] || fail "--check-config warns more than once: $(cat "$T_DIR/err")"
[ "$out" = "$T_DIR/keyprojd.conf: ok" ] || fail "--check-config printed: $out"
grep -qF -e K1 -e "${secret#whsec_}" "$T_DIR/err" && fail "--check-config quotes a secret: $(cat "$T_DIR/err")"
ok "--check-config warns on stderr about a file with secrets readable by others, and still exits 0"

# Readable by a group with people in it: operators must not read secrets.
# nogroup is nobody's primary group: a person, as far as keyprojd can tell.
if [ "$(id -u)" = 0 ] && getent passwd nobody | grep -q ':65534:65534:'; then
    chmod 0640 "$T_DIR/keyprojd.conf"
    chgrp nogroup "$T_DIR/keyprojd.conf"
    "$KEYPROJD" --check-config -c "$T_DIR/keyprojd.conf" > /dev/null 2> "$T_DIR/err" || fail "--check-config fails"
    grep -q "warning: $T_DIR/keyprojd.conf is readable by group nogroup (mode 0640), which has people in it (.*nobody.*)" \
        "$T_DIR/err" || fail "--check-config does not warn about a group with people: $(cat "$T_DIR/err")"
    ok "--check-config warns about a file with secrets readable by a group that has people in it"
    chgrp "$(id -g)" "$T_DIR/keyprojd.conf"
else
    echo "ok $((T_CHECKS += 1)) - # SKIP not root, or no nobody:nogroup"
fi
chmod 0640 "$T_DIR/keyprojd.conf"
"$KEYPROJD" --check-config -c "$T_DIR/keyprojd.conf" > /dev/null 2> "$T_DIR/err" || fail "--check-config fails"
[ ! -s "$T_DIR/err" ] || fail "--check-config warns about a 0640 file of the checker's own group: $(cat "$T_DIR/err")"

# The secrets in files of their own (secret_file, url_file): the main file
# may be shown to everybody; the secret files may not.
mkdir -p "$T_DIR/secrets"
echo "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1" > "$T_DIR/secrets/city-office"
echo "$secret" > "$T_DIR/secrets/audit-feed"
chmod 0640 "$T_DIR/secrets/city-office"
chmod 0644 "$T_DIR/secrets/audit-feed"
sed -e 's|url = "https://qyapi[^"]*";|url_file = "secrets/city-office";|' \
    -e "s|secret = \"$secret\";|secret_file = \"$T_DIR/secrets/audit-feed\";|" \
    "$T_DIR/keyprojd.conf" > "$T_DIR/files.conf"
chmod 0644 "$T_DIR/files.conf"
grep -qF -e K1 -e "$secret" "$T_DIR/files.conf" && fail "files.conf still holds a secret"
"$KEYPROJD" --check-config -c "$T_DIR/files.conf" > /dev/null 2> "$T_DIR/err" ||
    fail "--check-config rejects secret_file / url_file: $(cat "$T_DIR/err")"
[ "$(cat "$T_DIR/err")" = "keyprojd: warning: $T_DIR/secrets/audit-feed is readable by others (mode 0644) and holds the signing secret of receiver 'audit-feed' (receivers[1].secret_file): chmod 0640 it (owner root, group keyproj)" ] ||
    fail "--check-config on secret files: $(cat "$T_DIR/err")"
ok "secret_file and url_file: a main file without secrets may be 0644; a secret file readable by others is warned about"
sed 's|url_file = "secrets/city-office";|url_file = "secrets/city-office"; url = "https://x.example/";|' \
    "$T_DIR/files.conf" > "$T_DIR/both.conf"
"$KEYPROJD" --check-config -c "$T_DIR/both.conf" > /dev/null 2> "$T_DIR/err" && fail "--check-config accepts url and url_file"
grep -q "both.conf:[0-9]*: receiver 'city-office': set url or url_file, not both" "$T_DIR/err" ||
    fail "url and url_file: $(cat "$T_DIR/err")"
: > "$T_DIR/secrets/empty"
sed 's|url_file = "secrets/city-office";|url_file = "secrets/empty";|' "$T_DIR/files.conf" > "$T_DIR/empty.conf"
"$KEYPROJD" --check-config -c "$T_DIR/empty.conf" > /dev/null 2> "$T_DIR/err" && fail "--check-config accepts an empty url_file"
grep -q "empty.conf:[0-9]*: receiver 'city-office': url_file $T_DIR/secrets/empty: expected one line" "$T_DIR/err" ||
    fail "an empty url_file: $(cat "$T_DIR/err")"
ok "url with url_file, and an empty url_file, are refused with FILE:LINE"

# http:// robots, a metrics listener off the loopback, malformed json
# secrets: one warning line each, naming the file and the key; exit 0.
L=$T_DIR/lax.conf
{
    without_receivers
    cat << 'EOF'
receivers = (
    { name = "ok-robot"; type = "feishu"; url = "https://open.feishu.cn/open-apis/bot/v2/hook/T"; },
    { name = "clear-robot"; type = "dingtalk"; url = "http://oapi.dingtalk.com/robot/send?access_token=T"; },
    { name = "short"; type = "json"; url = "https://a.example/"; secret = "whsec_c2hvcnQ="; },
    { name = "notb64"; type = "json"; url = "https://b.example/"; secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw plain-text-secret!"; },
    { name = "good"; type = "json"; url = "http://c.example/"; secret = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; }
);
metrics = { listen = "0.0.0.0:9464"; };
EOF
} > "$L"
chmod 0600 "$L"
out=$("$KEYPROJD" --check-config -c "$L" 2> "$T_DIR/err") || fail "--check-config rejects lax.conf: $(cat "$T_DIR/err")"
[ "$out" = "$L: ok" ] || fail "--check-config printed: $out"
expect_warning() {
    grep -qF "keyprojd: warning: $1" "$T_DIR/err" || fail "--check-config does not warn: $1 (got: $(cat "$T_DIR/err"))"
}
expect_warning "$L: receivers[1].url (receiver 'clear-robot'): the dingtalk robot's URL is http://, so its key travels in clear: use https://"
expect_warning "$L: receivers[2].secret (receiver 'short'): secret 1 of 1 is not whsec_ followed by the base64 of at least 24 random bytes"
expect_warning "$L: receivers[3].secret (receiver 'notb64'): secret 2 of 2 is not whsec_"
expect_warning "$L: metrics.listen \"0.0.0.0:9464\" is not on the loopback"
[ "$(wc -l < "$T_DIR/err")" -eq 4 ] || fail "--check-config warns other than 4 times: $(cat "$T_DIR/err")"
grep -qF -e access_token=T -e plain-text-secret -e c2hvcnQ "$T_DIR/err" && fail "--check-config quotes a secret"
sed -i 's|listen = "0.0.0.0:9464"|listen = "[::1]:9464"|' "$L"
"$KEYPROJD" --check-config -c "$L" > /dev/null 2> "$T_DIR/err"
grep -q "metrics.listen" "$T_DIR/err" && fail "--check-config warns about a loopback listener: $(cat "$T_DIR/err")"
ok "--check-config warns about an http:// robot, short and non-base64 json secrets and a non-loopback metrics listener, once each, and exits 0"

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
