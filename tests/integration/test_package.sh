#!/bin/bash
# The Debian package as an installer gets it: `dpkg-buildpackage -us -uc -b`
# builds keyproj_*.deb from a copy of the source tree (the tree itself may be
# read-only), and the .deb holds the binaries, the conffiles (keyprojd.conf
# mode 0640), the hardened unit, the man pages and the completion; its
# maintainer scripts parse; lintian, where installed, reports no error.
# No PostgreSQL needed (the package build runs the unit tests; the
# PostgreSQL tests skip themselves there).
. "$top_srcdir/tests/lib/assert.sh"

if [ -n "${KEYPROJ_PACKAGE_BUILD:-}" ]; then
    echo "SKIP: inside the package's own build (debian/rules)"
    exit 77
fi
for tool in dpkg-buildpackage dpkg-deb dh fakeroot; do
    if ! command -v "$tool" > /dev/null; then
        echo "SKIP: $tool not installed (scripts/deps installs dpkg-dev, debhelper, fakeroot)"
        exit 77
    fi
done

# ---- a clean copy of the source tree ------------------------------------------
# From git what it tracks plus new files it does not ignore (so no build
# directory or in-tree build comes along); from a release tree, everything.
SRC=$T_DIR/src/keyproj
mkdir -p "$SRC"
if [ -e "$top_srcdir/.git" ] && command -v git > /dev/null; then
    (cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -C "$SRC" -xf - || fail "cannot copy the source tree"
else
    # (Not the build directory when it is inside, as distcheck's _build is.)
    rel=$(realpath --relative-to="$top_srcdir" "$top_builddir")
    case $rel in .. | ../* | .) rel=build ;; esac
    tar -C "$top_srcdir" --exclude="./$rel" --exclude=./build --exclude=./tests/tmp --exclude=./autom4te.cache -cf - . |
        tar -C "$SRC" -xf - || fail "cannot copy the source tree"
fi
chmod -R u+w "$SRC"
[ -f "$SRC/debian/control" ] || fail "the source tree has no debian/"

# ---- dpkg-buildpackage ---------------------------------------------------------
# Out of the enclosing make's jobserver and test database.
unset MAKEFLAGS MFLAGS MAKELEVEL PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
jobs=$(nproc 2> /dev/null || echo 2)
start=$(date +%s)
if ! (cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$jobs" dpkg-buildpackage -us -uc -b) > "$T_DIR/build.log" 2>&1; then
    # Each test that failed inside the package build, with the end of its log
    # (the build runs in the copied tree), then the end of the build's own.
    sed -n 's/^\(FAIL\|ERROR\): //p' "$T_DIR/build.log" | sort -u | while read -r t; do
        echo "---- $t inside the package build: the last lines of its log"
        tail -n 30 "$SRC/${t%.sh}.log" 2>/dev/null
    done
    tail -n 40 "$T_DIR/build.log"
    fail "dpkg-buildpackage failed (its log above)"
fi
secs=$(($(date +%s) - start))
debs=("$T_DIR"/src/keyproj_*.deb)
[ -f "${debs[0]}" ] || fail "dpkg-buildpackage made no keyproj_*.deb"
DEB=${debs[0]}
grep -q "^PASS: tests/unit/test_config" "$T_DIR/build.log" || fail "the package build did not run the unit tests"
grep -q "^SKIP: tests/integration/test_package.sh" "$T_DIR/build.log" || fail "the package build ran test_package.sh"
grep -q "^SKIP: tests/integration/test_schema.sh" "$T_DIR/build.log" ||
    fail "the package build did not skip the PostgreSQL tests"
if grep -n 'warning:' "$T_DIR/build.log" | grep -v 'dpkg-\|dh_\|lintian'; then
    fail "the package build has compiler warnings"
fi
ok "dpkg-buildpackage -us -uc -b builds $(basename "$DEB") in ${secs}s, running the unit tests, no warnings"

# ---- what the .deb holds ---------------------------------------------------------
ROOT=$T_DIR/root
dpkg-deb -x "$DEB" "$ROOT" || fail "dpkg-deb -x failed"
# path  mode  (owner root:root throughout: postinst gives keyprojd.conf group keyproj)
while read -r path mode; do
    [ -e "$ROOT$path" ] || fail "the package lacks $path"
    got=$(stat -c %a "$ROOT$path")
    [ "$got" = "$mode" ] || fail "$path has mode $got, expected $mode"
done << 'LIST'
/usr/sbin/keyprojd 755
/usr/bin/keyprojctl 755
/etc/keyproj/keyprojd.conf 640
/etc/keyproj/holidays.conf 644
/etc/keyproj/secrets 750
/lib/systemd/system/keyprojd.service 644
/usr/share/man/man1/keyprojctl.1.gz 644
/usr/share/man/man5/keyprojd.conf.5.gz 644
/usr/share/man/man8/keyprojd.8.gz 644
/usr/share/bash-completion/completions/keyprojctl 644
/usr/share/keyproj/sql/0001_baseline.sql 644
/usr/share/keyproj/sql/functions/audit.sql 644
/usr/share/doc/keyproj/operations.md.gz 644
/usr/share/doc/keyproj/copyright 644
/usr/share/locale/zh_CN/LC_MESSAGES/keyproj.mo 644
LIST
owners=$(dpkg-deb -c "$DEB" | awk '{ print $2 }' | sort -u)
[ "$owners" = "root/root" ] || fail "files not owned by root/root: $owners"
ok "the .deb holds keyprojd, keyprojctl, keyprojd.conf (0640), holidays.conf, the unit, three man pages, the completion, the SQL"
if locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\{0,1\}8'; then
    env LC_ALL=zh_CN.UTF-8 KEYPROJ_LOCALEDIR="$ROOT/usr/share/locale" "$ROOT/usr/bin/keyprojctl" --help |
        grep -q '^用法：keyprojctl' || fail "the packaged keyprojctl does not speak Chinese with its catalog"
    ok "the .deb's catalog (share/locale/zh_CN/LC_MESSAGES/keyproj.mo) gives keyprojctl its Chinese"
else
    skip "no zh_CN.UTF-8 locale here: the packaged catalog is not tried"
fi

unit=$ROOT/lib/systemd/system/keyprojd.service
grep -qxF "ExecStart=/usr/sbin/keyprojd -c /etc/keyproj/keyprojd.conf" "$unit" ||
    fail "the unit does not start /usr/sbin/keyprojd with /etc/keyproj/keyprojd.conf"
grep -qxF "User=keyproj" "$unit" && grep -qxF "RuntimeDirectory=keyprojd" "$unit" ||
    fail "the unit does not run as keyproj with RuntimeDirectory=keyprojd"
if command -v systemd-analyze > /dev/null; then
    sed -e "s|/usr/sbin/keyprojd|$ROOT/usr/sbin/keyprojd|g" "$unit" > "$T_DIR/keyprojd.service"
    out=$(systemd-analyze verify --man=no "$T_DIR/keyprojd.service" 2>&1) && [ -z "$out" ] ||
        fail "systemd-analyze verify on the packaged unit: $out"
fi
"$ROOT/usr/sbin/keyprojd" --version | grep -q '^keyprojd ' || fail "the packaged keyprojd does not run"
(cd "$ROOT/etc/keyproj" && chmod 0640 keyprojd.conf && "$ROOT/usr/sbin/keyprojd" --check-config -c keyprojd.conf > /dev/null 2>&1) ||
    fail "the packaged keyprojd.conf does not pass --check-config"
ok "the packaged unit runs /usr/sbin/keyprojd as keyproj, verifies, and the packaged config passes --check-config"

# ---- control data ------------------------------------------------------------------
CTL=$T_DIR/control
dpkg-deb -e "$DEB" "$CTL" || fail "dpkg-deb -e failed"
info=$(dpkg-deb -I "$DEB")
for f in /etc/keyproj/keyprojd.conf /etc/keyproj/holidays.conf; do
    grep -qxF "$f" "$CTL/conffiles" || fail "$f is not a conffile"
done
case "$info" in *conffiles*) ;; *) fail "dpkg-deb -I lists no conffiles" ;; esac
for s in postinst postrm prerm; do
    [ -f "$CTL/$s" ] || fail "the package has no $s"
    sh -n "$CTL/$s" || fail "$s does not parse"
done
grep -q 'adduser --system' "$CTL/postinst" || fail "postinst does not create the keyproj user"
grep -q 'for g in keyproj keyproj-ops keyproj-admin; do' "$CTL/postinst" && grep -q 'addgroup --system --quiet "$g"' "$CTL/postinst" ||
    fail "postinst does not create the groups keyproj, keyproj-ops and keyproj-admin"
grep -q 'dpkg-statoverride --update --add root keyproj 0640 "$CONF"' "$CTL/postinst" ||
    fail "postinst does not give keyprojd.conf root:keyproj 0640"
grep -q 'dpkg-statoverride --update --add root keyproj 0750 "$SECRETS"' "$CTL/postinst" ||
    fail "postinst does not give /etc/keyproj/secrets root:keyproj 0750"
grep -q 'deb-systemd-helper' "$CTL/postinst" || fail "postinst does not enable the unit"
grep -qi 'dropdb\|psql' "$CTL/postrm" "$CTL/prerm" && fail "the maintainer scripts touch the database"
depends=$(dpkg-deb -f "$DEB" Depends)
case "$depends" in *adduser*libpq5*|*libpq5*adduser*) ;; *) fail "Depends lacks adduser or libpq5: $depends" ;; esac
ok "dpkg-deb -I lists both conffiles; postinst, prerm and postrm parse (sh -n); postinst makes keyproj, keyproj-ops, keyproj-admin and the overrides"

# ---- no operator reads a secret ----------------------------------------------------
# The secret-bearing files the package installs, with the owner, group and
# mode they end up with (the postinst's dpkg-statoverride lines, else the
# .deb's own): none is readable by others, and the group that may read one
# is keyproj, which no person is in; the operators' and admins' groups are
# others. postinst puts nobody but the keyproj user in group keyproj (it
# moves people out of it), and the sample gives the socket and the operator
# level to keyproj-ops.
secret_files="/etc/keyproj/keyprojd.conf /etc/keyproj/secrets"
while read -r f var; do
    line=$(grep -E "^ *dpkg-statoverride --update --add [^ ]+ [^ ]+ [0-7]+ \"\\\$$var\"" "$CTL/postinst") ||
        fail "postinst sets no owner and mode for $f"
    read -r _ _ _ owner group mode _ <<< "$line"
    [ "$owner" = root ] || fail "$f is owned by $owner, not root"
    [ "$group" = keyproj ] || fail "$f is readable by group $group, not keyproj (the daemon's own)"
    [ $((8#$mode & 8#007)) -eq 0 ] || fail "$f has mode $mode: others may read it"
    deb_mode=$(stat -c %a "$ROOT$f")
    [ $((8#$deb_mode & 8#007)) -eq 0 ] || fail "$f has mode $deb_mode in the .deb: others may read it until postinst"
done << 'LIST'
/etc/keyproj/keyprojd.conf CONF
/etc/keyproj/secrets SECRETS
LIST
# Every other file under /etc/keyproj in the .deb is readable by all: it must hold no secret.
while IFS= read -r f; do
    case " $secret_files " in *" ${f#"$ROOT"} "*) continue ;; esac
    grep -Eq '^[^#]*(secret|password|key=|access_token=)' "$f" && fail "${f#"$ROOT"} (world-readable) holds a secret"
done < <(find "$ROOT/etc/keyproj" -type f -perm -004)
# Group keyproj gets no person: only the system user keyproj is added to a
# group with its own name, and people found there are moved to keyproj-ops.
grep -Eq '^[^#]*adduser [^|]*"\$u" keyproj *(>|$)' "$CTL/postinst" && fail "postinst adds a person to group keyproj"
grep -q 'deluser --quiet "$u" keyproj' "$CTL/postinst" || fail "postinst leaves people in group keyproj"
grep -q 'adduser --quiet "$u" keyproj-ops' "$CTL/postinst" || fail "postinst does not let admins (keyproj-admin) open the socket"
conf=$ROOT/etc/keyproj/keyprojd.conf
grep -q '^ *group = "keyproj-ops";' "$conf" && grep -q '^ *operators = \[ "@keyproj-ops" \];' "$conf" ||
    fail "the packaged config does not give the socket and the operator level to keyproj-ops"
grep -Eq '^ *(operators|admins) = .*"@keyproj"' "$conf" && fail "the packaged config makes group keyproj operators or admins"
unit=$ROOT/lib/systemd/system/keyprojd.service
grep -qxF "Group=keyproj" "$unit" && grep -qxF "SupplementaryGroups=keyproj-ops" "$unit" ||
    fail "the unit does not run with group keyproj and supplementary group keyproj-ops"
ok "no operator group reads a secret: keyprojd.conf root:keyproj 0640, secrets/ root:keyproj 0750, keyproj has no people, the socket is keyproj-ops"

# ---- lintian ----------------------------------------------------------------------
if command -v lintian > /dev/null; then
    lintian --no-tag-display-limit "$DEB" > "$T_DIR/lintian.log" 2>&1
    if grep '^E:' "$T_DIR/lintian.log"; then
        fail "lintian reports errors"
    fi
    ok "lintian reports no errors ($(grep -c '^W:' "$T_DIR/lintian.log") warnings)"
else
    echo "ok $((T_CHECKS += 1)) - # SKIP lintian not installed"
fi

echo "1..$T_CHECKS"
