#!/bin/bash
# The webhook-id of an alert's message is its identity's (kind, subject,
# stage), not its row id, so what PostgreSQL failover can do to rows never
# fools a receiver that drops duplicates by webhook-id: an alert lost after
# it was sent (an asynchronous standby's unreplicated tail) and made again
# by a scan arrives again under the SAME webhook-id; and when the id
# sequence hands a lost row's id to a different alert, that alert still
# gets a webhook-id of its own. The loss is played in SQL: the alert and
# its delivery deleted, the milestone's next_check_on reset, the sequence
# set back.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
create_demo_db
write_config "
alerts = { $T_NO_HOLDS };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    match = { kind = [ \"milestone.overdue\" ]; county = [ \"涧西区\" ]; }; }
);"
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready

# received → "webhook_id alert_id kind stage milestone" of every json
# message the receiver accepted, in order.
received() {
    python3 -c 'import json, sys, urllib.request
for e in json.load(urllib.request.urlopen(sys.argv[1])):
    d = json.loads(e["body"])["data"]
    print(e["webhook_id"], d["alert_id"], d["kind"], d["stage"], (d.get("milestone") or {}).get("id"))' \
        "$base/_received?path=/json"
}
wid_of() {      # wid_of ALERT_ID → the webhook-id the receiver got it under
    received | awk -v a="$1" '$2 == a { print $1 }' | sort -u
}
settled() {     # every delivery delivered, at most 30 s
    wait_until 30 sql_is 0 "SELECT count(*) FROM delivery WHERE status <> 'delivered'" ||
        fail "not delivered: $(sql "SELECT status, count(*), max(last_error) FROM delivery GROUP BY 1")"
}
# identity_wid ALERT_ID → msg_ + the first 26 hex digits of SHA-256 over its
# kind, subject and stage joined by U+001F: the contract of doc/webhooks.md,
# computed here rather than by keyproj_webhook_id.
identity_wid() {
    python3 -c 'import hashlib, sys; print("msg_" + hashlib.sha256("\x1f".join(sys.argv[1].split("|", 2)).encode()).hexdigest()[:26])' \
        "$(sql "SELECT kind || '|' || subject || '|' || stage FROM alert WHERE id = $1")"
}

kpctl scan >/dev/null || fail "scan"
settled
n=$(sql "SELECT count(*) FROM delivery")
[ "$n" -ge 2 ] || fail "the demo ledger raised $n overdue alerts in 涧西区: the cases below need two"
expect_eq "every alert reached the json receiver once" "$n $n" \
    "$(received | awk '{ print $1 }' | sort -u | wc -l) $(received | wc -l)"
expect_eq "every webhook-id is msg_ and 26 hex digits" "$n" "$(received | grep -cE '^msg_[0-9a-f]{26} ')"

# A: the first alert, M1 its milestone.
sent="SELECT a.id, substr(a.subject, 11) FROM alert a JOIN delivery d ON d.alert_id = a.id"
read -r a m1 <<<"$(sql "$sent ORDER BY a.id LIMIT 1" | tr '|' ' ')"
wid_a=$(wid_of "$a")

# ---- the alert lost after it was sent, made again by the next scan -------
identity_a=$(sql "SELECT kind || '|' || subject || '|' || stage FROM alert WHERE id = $a")
sql "DELETE FROM delivery WHERE alert_id = $a; DELETE FROM alert WHERE id = $a;
     UPDATE milestone_state SET next_check_on = '-infinity' WHERE milestone_id = $m1" >/dev/null
kpctl scan >/dev/null || fail "rescan"
a2=$(sql "SELECT id FROM alert WHERE kind || '|' || subject || '|' || stage = '$identity_a'")
[ -n "$a2" ] && [ "$a2" != "$a" ] || fail "the scan did not make A again under a new id (got '$a2', was $a)"
ok "the rescan made A again, with a new row id ($a → $a2)"
settled
expect_eq "the receiver got it again" "$((n + 1))" "$(received | wc -l)"
expect_eq "… under the SAME webhook-id, so it can tell it is a copy" "$wid_a" "$(wid_of "$a2")"
expect_eq "… and two messages carry it, both A (kind, stage, milestone)" "1 2" \
    "$(received | awk -v w="$wid_a" '$1 == w { print $3, $4, $5 }' | sort -u | wc -l) \
$(received | awk -v w="$wid_a" '$1 == w' | wc -l)"

# ---- a different alert B gets the id A had ---------------------------------
# A is lost again (not made again this time), and so is B (alert of M2);
# the sequence goes back, as when its WAL was lost too, so the rescan hands
# B the row id A had when the receiver got it.
read -r b m2 <<<"$(sql "$sent WHERE a.id <> $a2 ORDER BY a.id LIMIT 1" | tr '|' ' ')"
wid_b0=$(wid_of "$b")
sql "DELETE FROM delivery WHERE alert_id IN ($a2, $b); DELETE FROM alert WHERE id IN ($a2, $b);
     SELECT setval(pg_get_serial_sequence('alert', 'id'), $a2 - 1);
     UPDATE milestone_state SET next_check_on = '-infinity' WHERE milestone_id = $m2" >/dev/null
kpctl scan >/dev/null || fail "rescan for B"
expect_eq "B is made again with A's row id" "milestone:$m2" "$(sql "SELECT subject FROM alert WHERE id = $a2")"
settled
expect_eq "the receiver got B" "$((n + 2))" "$(received | wc -l)"
wid_b=$(received | tail -n 1 | awk -v a="$a2" '$2 == a { print $1 }')
[ -n "$wid_b" ] || fail "the last message is not B (alert $a2): $(received | tail -n 1)"
[ "$wid_b" != "$wid_a" ] || fail "B (milestone $m2) came with A's webhook-id $wid_a: a receiver would drop it"
ok "B, with A's row id, carries a webhook-id of its own"
expect_eq "… its identity's, the one it had before the loss" "$wid_b0" "$wid_b"

# Over everything received: one webhook-id, one alert identity; one
# identity, one webhook-id.
expect_eq "no webhook-id was given to two different alerts, nor two to one" "0 0" "$(received | python3 -c '
import collections, sys
by_wid, by_identity = collections.defaultdict(set), collections.defaultdict(set)
for line in sys.stdin:
    wid, _, kind, stage, milestone = line.split()
    by_wid[wid].add((kind, stage, milestone))
    by_identity[(kind, stage, milestone)].add(wid)
print(sum(len(v) > 1 for v in by_wid.values()), sum(len(v) > 1 for v in by_identity.values()))')"

# The form, as doc/webhooks.md gives it (B's alert row is there).
expect_eq "B's webhook-id is derived from its kind, subject and stage" "$(identity_wid "$a2")" "$wid_b"
expect_eq "… the same as keyproj_webhook_id says (to look a message up in SQL)" "$wid_b" \
    "$(sql "SELECT keyproj_webhook_id(kind, subject, stage) FROM alert WHERE id = $a2")"

stop_daemon || fail "keyprojd did not stop cleanly"
