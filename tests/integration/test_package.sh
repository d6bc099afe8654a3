#!/bin/bash
# The Debian package as an installer gets it: `dpkg-buildpackage -us -uc -b`
# builds keyproj_*.deb from a copy of the source tree (the tree itself may be
# read-only), and the .deb holds the binaries, the conffiles (keyprojd.conf
# mode 0640), the hardened unit, the man pages and the completion; its
# maintainer scripts parse; as root, it installs for real with dpkg -i in a
# throwaway copy-on-write view of this machine (overlayfs in a mount
# namespace), makes the users, groups and modes doc/operations.md gives,
# keeps the secrets from operators, and purges cleanly, this machine left
# as it was; lintian, where installed, reports no error.
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

# ---- a real install, in a throwaway view of this machine ----------------------------
# As root, in a mount namespace of this test's own: an overlay with / below
# and a tmpfs in $T_DIR above, so dpkg, adduser and useradd write only
# there; the namespace, and the view with it, end with the run. There the
# .deb is installed with dpkg -i (no service started: policy-rc.d says no,
# and the view's /run is empty, so no systemd of this machine is reached);
# what postinst made is what doc/operations.md says; a person in
# keyproj-ops reads no secret; --check-config is quiet on the packaged
# modes and speaks when they are wrong; and dpkg --purge leaves no error.
# This machine's users, groups and packages are compared before and after.
VIEW=$T_DIR/view
mkdir -p "$VIEW"
cat > "$T_DIR/view.sh" << 'SH'
#!/bin/bash
# view.sh DIR DEB STORY — run under unshare --mount: the view of / at
# DIR/root, the package and STORY copied in, STORY run there by chroot.
set -eu
dir=$1 deb=$2 story=$3
mount -t tmpfs -o mode=0755 keyproj-view "$dir"
mkdir "$dir/upper" "$dir/work" "$dir/root"
if ! err=$(mount -t overlay keyproj-view -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" 2>&1); then
    echo "view=overlayfs over / cannot be mounted here: $err"
    exit 0
fi
R=$dir/root
mount --rbind /dev "$R/dev"
mount --bind /proc "$R/proc"
mount -t tmpfs -o mode=0755 keyproj-run "$R/run"
cp "$deb" "$R/root/keyproj.deb"
cp "$story" "$R/root/story.sh"
echo "view=ready"
exec chroot "$R" /bin/bash /root/story.sh /root/keyproj.deb
SH
cat > "$T_DIR/story.sh" << 'SH'
#!/bin/bash
# In the view, as root: install, look, purge; one KEY=VALUE line each.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C DEBIAN_FRONTEND=noninteractive
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d     # start no service
chmod 0755 /usr/sbin/policy-rc.d
rm -f /var/lib/man-db/auto-update                          # no man-db rebuild
dpkg -i "$1" >&2; echo "install=$?"
echo "groups=$(for g in keyproj keyproj-ops keyproj-admin; do
    gid=$(getent group "$g" | cut -d: -f3); [ -n "$gid" ] && [ "$gid" -lt 1000 ] && printf '%s ' "$g"; done)"
echo "user=$(getent passwd keyproj | cut -d: -f7,6) $(id -gn keyproj) $(passwd -S keyproj | cut -d' ' -f2)"
echo "user_system=$([ "$(id -u keyproj)" -lt 1000 ] && echo yes)"
echo "conf=$(stat -c '%U:%G %a' /etc/keyproj/keyprojd.conf)"
echo "secrets=$(stat -c '%U:%G %a' /etc/keyproj/secrets)"
# An operator, and a secret kept as doc/operations.md shows.
useradd --no-create-home --user-group --groups keyproj-ops --shell /bin/sh alice
echo "alice=$(id -nG alice)"
install -m 0640 -g keyproj /dev/stdin /etc/keyproj/secrets/audit-feed <<< 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='
reads() {   # reads USER FILE-OR-DIR → "read" or why not
    local what=cat
    [ -d "$2" ] && what=ls
    setpriv --reuid "$1" --regid "$1" --init-groups "$what" "$2" 2>&1 >/dev/null | sed 's/.*: //' | tr -d '\n'
    [ "${PIPESTATUS[0]}" -eq 0 ] && echo read || echo
}
echo "alice_holidays=$(reads alice /etc/keyproj/holidays.conf)"
echo "alice_conf=$(reads alice /etc/keyproj/keyprojd.conf)"
echo "alice_secrets=$(reads alice /etc/keyproj/secrets)"
echo "alice_secret=$(reads alice /etc/keyproj/secrets/audit-feed)"
echo "keyproj_conf=$(reads keyproj /etc/keyproj/keyprojd.conf)"
echo "keyproj_secret=$(reads keyproj /etc/keyproj/secrets/audit-feed)"
check() { local out; out=$(keyprojd --check-config -c /etc/keyproj/keyprojd.conf 2>&1); echo "$?|$out" | tr '\n' ' '; }
echo "check_packaged=$(check)"
# The same file (its inode, owner and mode) holding a password and naming the secret.
c=/etc/keyproj/keyprojd.conf
sed -e 's/conninfo = "dbname=keyproj";/conninfo = "dbname=keyproj password=s3cret";/' \
    -e 's|^receivers = (|&\n    { name = "audit-feed"; type = "json"; url = "https://hooks.example.org/keyproj";\n      secret_file = "/etc/keyproj/secrets/audit-feed"; }|' \
    "$c" > /root/keyprojd.conf.new
cat /root/keyprojd.conf.new > "$c"
echo "conf_with_secrets=$(stat -c '%U:%G %a' "$c") $(grep -c '^[^#]*\(password=s3cret\|audit-feed\)' "$c")"
echo "check_secrets=$(check)"
chmod 0644 /etc/keyproj/secrets/audit-feed
echo "check_world_readable=$(check)"
chmod 0640 /etc/keyproj/secrets/audit-feed
gpasswd -a alice keyproj >/dev/null
echo "check_person_in_keyproj=$(check)"
gpasswd -d alice keyproj >/dev/null
rm /etc/keyproj/secrets/audit-feed
dpkg --purge keyproj > /root/purge.log 2>&1; echo "purge=$? $(grep -ciE 'error|warning' /root/purge.log)"
cat /root/purge.log >&2
echo "purged=$(dpkg-query -W -f '${Status}' keyproj 2>/dev/null)|$(ls -d /etc/keyproj 2>/dev/null)|$(dpkg-statoverride --list | grep -c keyproj)"
echo "groups_after_purge=$(getent group keyproj keyproj-ops keyproj-admin | cut -d: -f1 | tr '\n' ' ')"
SH
host_state() {  # what a leak would change on this machine
    sha256sum /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>&1
    dpkg-statoverride --list 2>&1 | sort
    dpkg-query -W -f '${Status}\n' keyproj 2>&1
    ls -d /etc/keyproj /usr/sbin/keyprojd /etc/systemd/system/multi-user.target.wants/keyprojd.service 2>&1
}
said() {        # said KEY → the story's VALUE
    sed -n "s/^$1=//p" "$T_DIR/view.out"
}
view_skip=
if [ "$(id -u)" -ne 0 ]; then
    view_skip="not root"
elif ! command -v unshare > /dev/null || ! command -v setpriv > /dev/null || ! command -v useradd > /dev/null; then
    view_skip="unshare, setpriv or useradd missing (util-linux, passwd)"
elif ! err=$(unshare --mount --propagation private true 2>&1); then
    view_skip="no mount namespace for this test: $err"
fi
if [ -z "$view_skip" ]; then
    host_before=$(host_state)
    ops_before=$(grep -c '^keyproj-ops:' /etc/group)
    unshare --mount --propagation private bash "$T_DIR/view.sh" "$VIEW" "$DEB" "$T_DIR/story.sh" \
        > "$T_DIR/view.out" 2> "$T_DIR/view.log"
    rc=$?
    case $(said view) in
    ready) ;;
    "") cat "$T_DIR/view.log"; fail "the view could not be set up (exit $rc)" ;;
    *) view_skip=$(said view) ;;
    esac
fi
if [ -n "$view_skip" ]; then
    skip "dpkg -i, what postinst makes, who reads the secrets, dpkg --purge: $view_skip"
else
    [ "$(said install)" = 0 ] || {
        cat "$T_DIR/view.log"
        fail "dpkg -i $(basename "$DEB") failed in the view (above; missing dependencies belong in scripts/deps)"
    }
    ok "dpkg -i $(basename "$DEB") installs it in a copy-on-write view of this machine"
    expect_eq "postinst makes the system groups keyproj, keyproj-ops, keyproj-admin" "keyproj keyproj-ops keyproj-admin " \
        "$(said groups)"
    expect_eq "…and the system user keyproj: no home, no login shell, group keyproj, password locked" \
        "/nonexistent:/usr/sbin/nologin keyproj L" "$(said user)"
    expect_eq "…a system user (uid under 1000)" yes "$(said user_system)"
    # The owner and mode doc/operations.md's table gives a path.
    documented() {
        sed -n "s#^| \`$1\` |.*\`\([a-z-]*:[a-z-]*\)\` mode \`0\([0-7]*\)\`.*#\1 \2#p" "$top_srcdir/doc/operations.md"
    }
    expect_eq "keyprojd.conf is root:keyproj 0640, as doc/operations.md says" \
        "$(documented /etc/keyproj/keyprojd.conf)" "$(said conf)"
    expect_eq "…and so is /etc/keyproj/secrets/ (root:keyproj 0750)" "$(documented /etc/keyproj/secrets/)" "$(said secrets)"
    expect_eq "an operator made with useradd is in keyproj-ops only" "alice keyproj-ops" "$(said alice)"
    expect_eq "…reads what holds no secret (holidays.conf)" read "$(said alice_holidays)"
    expect_eq "…cannot read keyprojd.conf" "Permission denied" "$(said alice_conf)"
    expect_eq "…cannot list /etc/keyproj/secrets/" "Permission denied" "$(said alice_secrets)"
    expect_eq "…cannot read a secret kept there as doc/operations.md shows (0640 root:keyproj)" "Permission denied" \
        "$(said alice_secret)"
    expect_eq "the keyproj user reads both" "read read" "$(said keyproj_conf) $(said keyproj_secret)"
    expect_eq "keyprojd --check-config on the packaged config: no warning" \
        "0|/etc/keyproj/keyprojd.conf: ok " "$(said check_packaged)"
    expect_eq "…with a password in it and a receiver's secret_file (3 lines), same file and modes" "root:keyproj 640 3" \
        "$(said conf_with_secrets)"
    expect_eq "…still no warning on the packaged modes" "0|/etc/keyproj/keyprojd.conf: ok " "$(said check_secrets)"
    expect_contains "…but a warning when the secret is world-readable" \
        "warning: /etc/keyproj/secrets/audit-feed is readable by others (mode 0644)" "$(said check_world_readable)"
    expect_contains "…and when a person is in group keyproj" \
        "warning: /etc/keyproj/keyprojd.conf is readable by group keyproj (mode 0640), which has people in it (alice)" \
        "$(said check_person_in_keyproj)"
    expect_eq "dpkg --purge succeeds, saying no error or warning" "0 0" "$(said purge)"
    expect_eq "…and leaves no package, no /etc/keyproj, no override" "||0" "$(said purged)"
    expect_eq "…the system user's groups stay, as Debian keeps system users" "keyproj keyproj-ops keyproj-admin " \
        "$(said groups_after_purge)"
    expect_eq "nothing reached this machine: /etc/group has the keyproj-ops entries it had" "$ops_before" \
        "$(grep -c '^keyproj-ops:' /etc/group)"
    expect_eq "…its users, groups, overrides, packages and units are as they were" "$host_before" "$(host_state)"
    expect_eq "…and the view is gone: nothing mounted at $VIEW, nothing in it" "" \
        "$(findmnt -rn -o TARGET | grep -F "$VIEW"; ls -A "$VIEW")"
fi

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
