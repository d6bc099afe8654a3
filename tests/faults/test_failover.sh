#!/bin/bash
# Two keyprojd on one database, the leader killed with SIGKILL in the middle
# of a scan and of the delivery burst of the scan before: the standby takes
# over, and what the receiver got proves that no alert was lost or made
# twice — the alerts it received are exactly those one daemon alone makes
# on a database of its own, each at least once, only what the killed
# daemon had in flight twice, and with the same webhook-id. The killed
# daemon's leases end on their own (11 minutes): the clock is moved past
# them.
. "$top_srcdir/tests/faults/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
# receiver_start NAME [ARGS] — a receiver.py; its base URL in $base_NAME.
receiver_start() {
    python3 "$top_srcdir/tests/receivers/receiver.py" --json-secret "$secret" "${@:2}" > "$T_DIR/$1.out" 2>"$T_DIR/$1.err" &
    T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
    local i
    wait_until 30 test -s "$T_DIR/$1.out"
    [ -s "$T_DIR/$1.out" ] || fail "receiver $1 did not start"
    eval "base_$1=http://127.0.0.1:$(head -n 1 "$T_DIR/$1.out")"
}
receiver_start all
# The burst's receiver answers with some latency, so that a burst of a few
# hundred lasts a couple of seconds whatever the machine. It matches a kind
# these scans do not make: only the rows written for it below go there.
receiver_start burst --json-delay-ms 40
RECEIVERS=$T_EXTRA_PIDS
received() {    # received NAME → how many messages it accepted
    curl -s "$(eval echo "\$base_$1")/_stats" | sed -n 's/.*"received": *\([0-9]*\).*/\1/p'
}

write_config "
alerts = { leader_retry_seconds = 1; scan_batch_rows = 200; quiet_hours = \"\"; hold_on_rest_days = false; };
receivers = (
  { name = \"all\"; type = \"json\"; url = \"$base_all/json\"; secret = \"$secret\"; max_concurrency = 4; },
  { name = \"burst\"; type = \"json\"; url = \"$base_burst/json\"; secret = \"$secret\"; max_concurrency = 4;
    match = { kind = [ \"campaign.missed\" ]; }; }
);"
create_db
REF_DB="${T_DB}_ref"
createdb "$REF_DB" || fail "createdb $REF_DB"
ref_cleanup() {
    release_leader "$REF_DB" 2>/dev/null
    dropdb --if-exists "$REF_DB" >/dev/null 2>&1
}
at_exit ref_cleanup

start_other() { # start_other NAME DB — a further keyprojd (T_EXTRA_PIDS) on database DB
    local sock="$T_DIR/$1.sock"
    sed -e "s|$T_SOCK|$sock|" -e "s|dbname=$T_DB|dbname=$2|" "$T_CONF" > "$T_DIR/$1.conf"
    "$KEYPROJD" -c "$T_DIR/$1.conf" --now 2026-11-25T09:00:00+08:00 >>"$T_DIR/$1.log" 2>&1 &
    T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
    local i
    wait_until 30 test -S "$sock" && return 0
    fail "keyprojd $1 did not create its socket"
}
wait_for() {    # wait_for DB SECONDS SQL EXPECTED — until SQL on DB answers EXPECTED
    wait_until "$2" is_eq "$4" psql -X -q -A -t -d "$1" -c "$3"
}

# Leases are judged on the claiming daemon's clock: before a clock is
# moved (a day on), every row another daemon may hold must be settled, or
# the moved clock sees a live lease as ended and sends its row again.
settled() {     # settled DB [EXCEPT-PID] — bounded: until no pending row but those PID holds
    wait_for "$1" 30 "SELECT count(*) FROM delivery WHERE status = 'pending'
                      AND (claimed_by IS NULL OR claimed_by NOT LIKE '%:${2:-none}:%')" 0 ||
        fail "deliveries did not settle: $(psql -X -q -A -t -d "$1" -c "SELECT status, claimed_by, count(*) FROM delivery GROUP BY 1, 2")"
}

# ---- the reference: one daemon alone, two days --------------------------------
# Day one scanned, then every row checked again the same day (where the
# leader is killed below), then day two.
hold_leader "$REF_DB"   # no scan of a ledger imported in part
start_other ref "$REF_DB"
R="$T_DIR/ref.sock"
wait_role "$R" standby
for kind in projects milestones plans reports; do
    "$KEYPROJCTL" -s "$R" import $kind "$DEMO/$kind.csv" >/dev/null || fail "reference import $kind"
done
release_leader "$REF_DB"
wait_role "$R" leader
"$KEYPROJCTL" -s "$R" scan >/dev/null || fail "reference scan"
psql -X -q -d "$REF_DB" -c "UPDATE milestone_state SET next_check_on = '-infinity'; UPDATE project_state SET next_check_on = '-infinity'" >/dev/null
"$KEYPROJCTL" -s "$R" scan >/dev/null || fail "reference scan again"
settled "$REF_DB"
"$KEYPROJCTL" -s "$R" clock set 2026-11-26T09:00:00+08:00 >/dev/null || fail "reference clock set"
"$KEYPROJCTL" -s "$R" scan >/dev/null || fail "reference scan, next day"
settled "$REF_DB"
want=$(psql -X -q -A -t -d "$REF_DB" -c "SELECT count(*) FROM alert")
# Its deliveries went to the receivers too: the counts start from here.
ref_all=$(received all)
ref_burst=$(received burst)
[ "$ref_all" = "$want" ] || fail "the reference's $want alerts arrived $ref_all times"
ok "one daemon alone: $want alerts, each received once"

# ---- two daemons, the leader killed mid-scan and mid-burst ----------------------
hold_leader "$T_DB"
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
for kind in projects milestones plans reports; do
    out=$(kpctl import $kind "$DEMO/$kind.csv" 2>&1) || fail "import $kind: $out"
done
release_leader "$T_DB"
wait_role "$T_SOCK" leader
start_other b "$T_DB"
B="$T_DIR/b.sock"
wait_role "$B" standby
kpctl scan >/dev/null || fail "scan on the leader"
N=300
sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
        SELECT 'milestone.overdue', 'burst:' || i, 's1', 'red',
               jsonb_build_object('message', '测试 ' || i, 'project', jsonb_build_object('code', 'B-' || i))
          FROM generate_series(1, $N) AS i RETURNING id)
     INSERT INTO delivery (alert_id, receiver, next_attempt_at) SELECT id, 'burst', '-infinity' FROM a" >/dev/null
burst_going() { [ $(($(received burst) - ref_burst)) -ge $((N / 8)) ]; }
wait_until 30 burst_going
sql "UPDATE milestone_state SET next_check_on = '-infinity'; UPDATE project_state SET next_check_on = '-infinity'" >/dev/null
kpctl scan >/dev/null 2>&1 &
scan=$!
settle 0.05
A_PID=$T_PID
kill -KILL "$T_PID"
wait "$T_PID" 2>/dev/null
T_PID=
wait "$scan" && fail "the scan finished before the kill: nothing was cut short"
# What the killed daemon had claimed and not recorded: sent or not, it may
# arrive again.
inflight=$(sql "SELECT coalesce(string_agg(alert_id::text, ' '), '') FROM delivery
                WHERE status = 'pending' AND claimed_by LIKE '%:$A_PID:%'")
pending=$(sql "SELECT count(*) FROM delivery WHERE status = 'pending' AND receiver = 'burst'")
[ "$pending" -gt 0 ] || fail "the burst was over before the kill: make it bigger"
ok "leader killed mid-scan with $pending of $N burst deliveries pending, $(echo $inflight | wc -w) rows in its hands"

wait_role "$B" leader
"$KEYPROJCTL" -s "$B" scan >/dev/null || fail "scan on the new leader"
settled "$T_DB" "$A_PID"
# A day on: the killed daemon's leases (11 minutes) have ended too.
"$KEYPROJCTL" -s "$B" clock set 2026-11-26T09:00:00+08:00 >/dev/null || fail "clock set on the new leader"
"$KEYPROJCTL" -s "$B" scan >/dev/null || fail "scan on the new leader, next day"
settled "$T_DB"
ok "the new leader delivered everything"

# What each receiver got since the reference's, against the outbox and
# against the reference's alerts, each known by its kind, stage, project and
# node (not its words: a row re-sent after the clock moved says the day it
# is sent on, as it should).
IDENTITY="kind || '|' || stage || '|' || coalesce(payload#>>'{project,code}', '') || '|' ||
          coalesce(payload#>>'{milestone,title}', payload#>>'{campaign,code}', '')"
got=$(python3 - "$base_all/_received?path=/json" "$ref_all" "$base_burst/_received?path=/json" "$ref_burst" "$inflight" \
    <<'PY' 3<<<"$(sql "SELECT d.receiver || '|' || a.id FROM delivery d JOIN alert a ON a.id = d.alert_id")" \
           4<<<"$(psql -X -q -A -t -d "$REF_DB" -c "SELECT $IDENTITY FROM alert")" 5<<<"$(webhook_ids)"
import collections, json, sys, urllib.request
a = sys.argv
received = {"all": json.load(urllib.request.urlopen(a[1]))[int(a[2]):],
            "burst": json.load(urllib.request.urlopen(a[3]))[int(a[4]):]}
inflight = set(a[5].split())
outbox = collections.defaultdict(dict)
for line in open(3).read().splitlines():
    r, i = line.split("|", 1)
    outbox[r][i] = True
ref = collections.Counter(open(4).read().splitlines())
wid = dict(p.split("=", 1) for p in open(5).read().split())
missing = unknown = dups_out = dups = 0
one_id = True
content = {}
for r, got in received.items():
    count = collections.Counter()
    ids = collections.defaultdict(set)
    for e in got:
        d = json.loads(e["body"])["data"]
        i = str(d["alert_id"])
        count[i] += 1
        ids[i].add(e["webhook_id"])
        if r == "all":      # what the alert is, not its words: those are said on the day it is sent
            content[i] = "%s|%s|%s|%s" % (d["kind"], d["stage"], (d.get("project") or {}).get("code") or "",
                                          (d.get("milestone") or {}).get("title")
                                          or (d.get("campaign") if isinstance(d.get("campaign"), dict) else {}).get("code")
                                          or "")
    missing += len(set(outbox[r]) - set(count))
    unknown += len(set(count) - set(outbox[r]))
    d2 = {i for i, c in count.items() if c > 1}
    dups += len(d2)
    dups_out += len(d2 - inflight)
    one_id = one_id and all(v == {wid.get(i)} for i, v in ids.items())
print("missing=%d unknown=%d dups_outside_inflight=%d one_webhook_id_each=%s same_as_alone=%s dups=%d" % (
    missing, unknown, dups_out, one_id, collections.Counter(content.values()) == ref, dups))
PY
)
echo "# $got"
expect_contains "every alert arrived at least once" "missing=0" "$got"
expect_contains "nothing arrived that is not an alert" "unknown=0" "$got"
expect_contains "the alerts received are exactly those one daemon alone makes: none lost, none made twice" "same_as_alone=True" "$got"
expect_contains "duplicates only for what the killed leader had in flight" "dups_outside_inflight=0" "$got"
expect_contains "every copy of an alert carries the same webhook-id" "one_webhook_id_each=True" "$got"

for p in $T_EXTRA_PIDS; do
    case " $RECEIVERS " in *" $p "*) continue ;; esac
    kill "$p"; wait "$p" || fail "a keyprojd did not stop cleanly"
done
ok "the surviving keyprojd stopped cleanly"
