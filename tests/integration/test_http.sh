#!/bin/bash
# The sending half of delivery, told as a receiver sees it: signed requests
# that an independent implementation verifies, robots' limits and error
# codes, keep-alive, timeouts, a slow receiver not holding up another, and
# every fault classified the way deliver.c needs. No PostgreSQL needed.
. "$top_srcdir/tests/lib/assert.sh"

PROBE="$top_builddir/tests/http_probe"
RECEIVER="$top_srcdir/tests/receivers/receiver.py"
NPM_DIR="$top_builddir/tests/tmp/npm-standardwebhooks"

SW_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
SW_OTHER=whsec_b3RoZXItc2VjcmV0LWZvci1yb3RhdGlvbi10ZXN0cw==
DT_SECRET=SEC3f1c9a0e7b2d4c6a8e0f1b3d5c7a9e1f
FS_SECRET=feishu-test-secret

on_failure() {
    echo "--- last probe output ($T_DIR) ---"
    tail -n 20 "$T_DIR/probe.out" "$T_DIR/probe.err" 2>/dev/null
}

# start_receiver NAME ARGS… — starts receiver.py; its port goes to $PORT.
start_receiver() {
    local name=$1
    shift
    python3 "$RECEIVER" "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" &
    T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
    wait_until 30 test -s "$T_DIR/$name.out" && PORT=$(head -n 1 "$T_DIR/$name.out") && [ -n "$PORT" ] ||
        fail "receiver $name did not start: $(cat "$T_DIR/$name.err")"
}

# probe ARGS… — runs http_probe; its result lines are in $T_DIR/probe.out.
probe() {
    "$PROBE" "$@" >"$T_DIR/probe.out" 2>"$T_DIR/probe.err" ||
        fail "http_probe $*: exit $?: $(tail -n 3 "$T_DIR/probe.err")"
    cat "$T_DIR/probe.out" "$T_DIR/probe.err" >>"$T_DIR/all.out"
}

# lines PATTERN… — how many result lines contain every pattern.
lines() {
    local out
    out=$(grep '^result ' "$T_DIR/probe.out")
    for pat in "$@"; do
        out=$(printf '%s\n' "$out" | grep -F -- "$pat")
    done
    [ -n "$out" ] && printf '%s\n' "$out" | wc -l || echo 0
}

# field LINE-PATTERN KEY — KEY's value on the first result line matching.
field() {
    grep '^result ' "$T_DIR/probe.out" | grep -F -- "$1" | head -n 1 |
        sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p"
}

# rcv BASE PYTHON-EXPR — evaluates EXPR with r = GET /_received, s = GET /_stats.
rcv() {
    python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request
base, expr = sys.argv[1], sys.argv[2]
r = json.load(urllib.request.urlopen(base + "/_received"))
s = json.load(urllib.request.urlopen(base + "/_stats"))
print(eval(expr))
PY
}

reset() {
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_reset", data=b"", method="POST"))' "$1"
}

start_receiver main --json-secret "$SW_SECRET" --dingtalk-secret "$DT_SECRET" \
    --feishu-secret "$FS_SECRET"
A="http://127.0.0.1:$PORT"
start_receiver other --json-secret "$SW_SECRET" --feishu-legacy
B="http://127.0.0.1:$PORT"

# ---- signed formats, verified by the receiver ------------------------------

probe -n 20 -c 4 --type json --secret "$SW_SECRET" "$A/json"
expect_eq "20 json alerts are accepted (204) by a Standard Webhooks verifier" 20 \
    "$(lines 'status=204' 'ok=1')"
expect_eq "the receiver got 20 messages with 20 distinct webhook-ids" "20 20" \
    "$(rcv "$A" 'str(len(r)) + " " + str(len(set(e["webhook_id"] for e in r)))')"
expect_eq "webhook-id is the one the probe gave its first alert (msg_<probe number>)" "msg_1000" \
    "$(rcv "$A" 'sorted(e["webhook_id"] for e in r)[0]')"
expect_eq "the payload keeps its Chinese text" "涧西区 milestone.overdue" \
    "$(rcv "$A" 'r[0]["json"]["data"]["project"]["county"] + " " + r[0]["json"]["type"]')"

probe --type json --secret "$SW_OTHER $SW_SECRET" "$A/json"
expect_eq "during a rotation, a receiver that knows one of two secrets accepts" 1 \
    "$(lines 'status=204' 'ok=1')"
probe --type json --secret "$SW_OTHER" "$A/json"
expect_eq "a wrong secret is refused (401) and classified permanent" 1 \
    "$(lines 'status=401' 'ok=0' 'permanent=1')"

# The same alert sent twice arrives twice with the same id: receivers
# (and later tests of deliver.c) can count duplicates exactly.
reset "$A"
probe --type json --secret "$SW_SECRET" --id-base 77 "$A/json"
probe --type json --secret "$SW_SECRET" --id-base 77 "$A/json"
expect_eq "a resent alert keeps its webhook-id, and the receiver counts both" "2 1" \
    "$(rcv "$A" 'str(len(r)) + " " + str(len(set(e["webhook_id"] for e in r)))')"

reset "$A"
probe -n 3 --type wecom "$A/wecom?key=test-key" --light red -n 1 "$A/wecom?key=test-key"
expect_eq "wecom: markdown and text messages are accepted (errcode 0)" 4 "$(lines 'ok=1')"
expect_eq "wecom: a red alert is a text message that @-mentions the leader's mobile" \
    "[['13800000000']]" \
    "$(rcv "$A" '[e["json"]["text"]["mentioned_mobile_list"] for e in r if e["json"]["msgtype"] == "text"]')"
expect_contains "wecom: the markdown is readable Chinese" "**【黄灯】节点逾期｜洛阳某某智能制造产业园（一期）**" \
    "$(rcv "$A" '[e["json"]["markdown"]["content"] for e in r if e["json"]["msgtype"] == "markdown"][0]')"
probe --type wecom "$A/wecom?key=wrong-key"
expect_eq "wecom: a bad key (93000) is permanent" 1 "$(lines 'ok=0' 'permanent=1' '93000')"

reset "$A"
probe --type wecom --digest 300 "$A/wecom?key=test-key"
expect_eq "wecom: a digest of 300 alerts fits the 4096-byte markdown limit" 1 "$(lines 'ok=1')"
listed=$(field 'path=/wecom ' listed)
expect_contains "wecom: the digest lists some and counts the rest" \
    "……另有 $((300 - ${listed%/*})) 条未列出" "$(rcv "$A" 'r[0]["json"]["markdown"]["content"]')"

reset "$A"
probe -n 25 -c 1 --type wecom "$A/wecom?key=test-key"
expect_eq "wecom: 20 messages a minute pass" 20 "$(lines 'ok=1')"
expect_eq "wecom: the rest get 45009, retried no sooner than 60 s" 5 \
    "$(lines 'ok=0' 'permanent=0' 'retry_after=60' '45009')"

reset "$A"
probe -n 3 --type dingtalk --secret "$DT_SECRET" "$A/dingtalk?access_token=test-token" \
    -n 1 --light red "$A/dingtalk?access_token=test-token"
expect_eq "dingtalk: signed URLs are verified and accepted" 4 "$(lines 'ok=1')"
expect_eq "dingtalk: a red alert @-mentions the leader in at.atMobiles and in the text" \
    "['13800000000'] True" \
    "$(rcv "$A" '[str(e["json"]["at"]["atMobiles"]) + " " + str(e["json"]["markdown"]["text"].endswith("@13800000000")) for e in r if "at" in e["json"]][0]')"
probe --type dingtalk --secret SECwrong "$A/dingtalk?access_token=test-token"
expect_eq "dingtalk: a wrong secret (310000) is permanent" 1 "$(lines 'ok=0' 'permanent=1' '310000')"
probe --type dingtalk --secret "$DT_SECRET" "$A/dingtalk?access_token=nope"
expect_eq "dingtalk: a bad token (300001) is permanent" 1 "$(lines 'ok=0' 'permanent=1' '300001')"

reset "$A"
probe -n 22 -c 1 --type dingtalk --secret "$DT_SECRET" "$A/dingtalk?access_token=test-token"
expect_eq "dingtalk: 20 messages a minute pass" 20 "$(lines 'ok=1')"
expect_eq "dingtalk: then 130101, retried after its 10-minute throttle" 2 \
    "$(lines 'ok=0' 'permanent=0' 'retry_after=600' '130101')"

reset "$A"
probe -n 3 -c 1 --type feishu --secret "$FS_SECRET" "$A/feishu/test-hook"
expect_eq "feishu: signed bodies are verified and accepted (code 0)" 3 "$(lines 'ok=1')"
expect_eq "feishu: the post's title is the alert's" "【黄灯】节点逾期｜洛阳某某智能制造产业园（一期）" \
    "$(rcv "$A" 'r[0]["json"]["content"]["post"]["zh_cn"]["title"]')"
probe --type feishu --secret wrong "$A/feishu/test-hook"
expect_eq "feishu: a signature mismatch (19021) is permanent" 1 "$(lines 'ok=0' 'permanent=1' '19021')"
probe --type feishu "$B/feishu/test-hook"
expect_eq "feishu: the older answer (StatusCode 0) counts as success" 1 "$(lines 'ok=1')"
reset "$A"      # also restarts the rate windows
probe -n 8 -c 8 --type feishu --secret "$FS_SECRET" "$A/feishu/test-hook"
expect_eq "feishu: 5 a second pass" 5 "$(lines 'ok=1')"
expect_eq "feishu: the rest get 11232, retried no sooner than 60 s" 3 \
    "$(lines 'ok=0' 'permanent=0' 'retry_after=60' '11232')"

if grep -q -e 'test-key' -e 'access_token' -e 'sign=' -e 'test-hook' "$T_DIR/all.out"; then
    fail "a key, token or signature from a URL was printed"
fi
ok "no key, token or signature from a URL shows in what was printed"

# ---- connections and time -------------------------------------------------

reset "$A"
probe -n 200 -c 4 --type json --secret "$SW_SECRET" "$A/json"
expect_eq "200 requests at 4 at a time all succeed" 200 "$(lines 'ok=1')"
conns=$(rcv "$A" 's["connections"]')
[ "$conns" -le 8 ] || fail "keep-alive: 200 requests used $conns connections"
ok "keep-alive: 200 requests used $conns connections"

start=$(date +%s%N)
probe -t 1000 "$A/fail/hang"
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "a receiver that never answers times out (status 0, retried)" 1 \
    "$(lines 'status=0' 'ok=0' 'permanent=0' 'timed out')"
[ "$took" -lt 2000 ] || fail "a 1 s timeout took $took ms"
ok "a 1 s timeout returns in $took ms"

probe "$A/fail/slow?ms=3000" -n 20 -c 4 --type json --secret "$SW_SECRET" "$B/json"
slow_at=$(field 'path=/fail/slow' at_ms)
last_fast=$(grep 'path=/json' "$T_DIR/probe.out" | sed -n 's/.* at_ms=\([0-9]*\).*/\1/p' | sort -n | tail -n 1)
expect_eq "the slow receiver and the other one both answered" 21 "$(lines 'ok=1')"
[ "$slow_at" -ge 2900 ] || fail "the slow receiver answered after only $slow_at ms"
[ "$last_fast" -lt 1500 ] || fail "the other receiver's last answer came at $last_fast ms"
ok "a slow receiver (${slow_at} ms) does not delay another (all done by ${last_fast} ms)"

start=$(date +%s%N)
probe --cancel-after 300 -n 2 "$A/fail/hang"
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "http_free ends requests in flight: done is called, cancelled" 2 \
    "$(lines 'cancelled=1' 'status=0' 'cancelled: shutting down')"
[ "$took" -lt 1500 ] || fail "cancelling took $took ms"
ok "cancelling requests in flight is immediate ($took ms)"

# ---- faults, classified as deliver.c needs --------------------------------

probe --classify wecom "$A/fail/garbage" --classify json "$A/fail/500" "$A/fail/reset" \
    "$A/fail/429?retry_after=7" "$A/fail/410"
expect_eq "a chat robot's 200 with a non-JSON body is a retryable failure" 1 \
    "$(lines 'path=/fail/garbage' 'status=200' 'ok=0' 'permanent=0' 'without its JSON error code')"
expect_eq "HTTP 500 is retried" 1 "$(lines 'path=/fail/500' 'status=500' 'ok=0' 'permanent=0')"
expect_eq "a connection reset mid-answer is no answer, retried" 1 \
    "$(lines 'path=/fail/reset' 'status=0' 'ok=0' 'permanent=0')"
expect_eq "HTTP 429 is retried no sooner than its Retry-After" 1 \
    "$(lines 'path=/fail/429' 'status=429' 'permanent=0' 'retry_after=7')"
expect_eq "HTTP 410 Gone is permanent" 1 "$(lines 'path=/fail/410' 'status=410' 'permanent=1')"

retry_date=$(date -u -d '+30 sec' '+%a, %d %b %Y %H:%M:%S GMT')
probe "$A/fail/429?retry_after=$(echo "$retry_date" | sed 's/ /%20/g; s/,/%2C/g')" \
    "$A/fail/big?bytes=200000" "http://127.0.0.1:1/json"
ra=$(field 'path=/fail/429' retry_after)
[ "$ra" -ge 27 ] && [ "$ra" -le 31 ] || fail "Retry-After as an HTTP date 30 s ahead gave $ra s"
ok "Retry-After as an HTTP date is honoured too ($ra s)"
expect_eq "an answer above 64 KiB is read, kept only up to the cap, and still a success" 1 \
    "$(lines 'path=/fail/big' 'status=200' 'ok=1' 'truncated=1')"
expect_eq "a refused connection is no answer, retried" 1 \
    "$(lines 'path=/json' 'status=0' 'permanent=0' 'no response: ')"

# ---- the Standard Webhooks reference library, when npm can fetch it --------

if [ ! -d "$NPM_DIR/node_modules/standardwebhooks" ] && command -v npm >/dev/null &&
   command -v node >/dev/null; then
    mkdir -p "$NPM_DIR"
    timeout 120 npm install --prefix "$NPM_DIR" --no-audit --no-fund --silent \
        standardwebhooks@1.1.1 >"$T_DIR/npm.log" 2>&1 || rm -rf "$NPM_DIR/node_modules"
fi
if [ -d "$NPM_DIR/node_modules/standardwebhooks" ]; then
    reset "$A"
    probe -n 5 --type json --secret "$SW_SECRET" "$A/json" --digest 3 -n 1 "$A/json"
    cat >"$T_DIR/verify.js" <<'JS'
const { Webhook } = require(process.argv[2] + "/node_modules/standardwebhooks");
const items = JSON.parse(require("fs").readFileSync(0, "utf8"));
const wh = new Webhook(process.argv[3]);
let verified = 0, tampered = 0;
for (const e of items) {
    const h = { "webhook-id": e.webhook_id, "webhook-timestamp": e.webhook_timestamp,
                "webhook-signature": e.webhook_signature };
    wh.verify(e.body, h);
    verified++;
    try { wh.verify(e.body.replace("涧西区", "洛龙区"), h); } catch (err) { tampered++; }
}
console.log(verified + " " + tampered);
JS
    out=$(python3 -c 'import json,sys,urllib.request; print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1] + "/_received"))))' "$A" |
          node "$T_DIR/verify.js" "$NPM_DIR" "$SW_SECRET" 2>&1)
    expect_eq "the Standard Webhooks reference library (npm standardwebhooks 1.1.1) verifies our signatures and rejects tampered bodies" \
        "6 6" "$out"
else
    T_CHECKS=$((T_CHECKS + 1))
    echo "ok $T_CHECKS - # SKIP npm standardwebhooks@1.1.1 not installable here"
fi
