-- delivery.sql — the outbox: delivery wake-ups, the claim and the record
-- of verdicts (daemon/deliver*.c), and the retry command.

-- ===========================================================================
-- Wake-ups
-- ===========================================================================

-- Delivery wake-ups and the per-receiver claim.
--
-- Every keyprojd delivers (SKIP LOCKED makes them share the work); a NOTIFY
-- on new delivery rows wakes them at once instead of at their next poll, so
-- an alert written by any instance (or by hand in SQL) goes out within a
-- second.
CREATE OR REPLACE FUNCTION keyproj_notify_delivery() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('keyproj_delivery', '');
    RETURN NULL;
END;
$$;
CREATE OR REPLACE TRIGGER delivery_notify AFTER INSERT ON delivery
    FOR EACH STATEMENT EXECUTE FUNCTION keyproj_notify_delivery();

-- ===========================================================================
-- Retry
-- ===========================================================================

-- One delivery (dead, or silenced: an administrator may send what a silence
-- held after all) or every dead one of a receiver and/or since a time:
-- pending, due at p_now. attempts is kept, so a replay that fails again
-- goes on from where the schedule stood; the maximum age starts over.
-- p_receivers: the receivers the configuration has (nothing else would
-- ever pick the row up).
CREATE OR REPLACE FUNCTION keyproj_delivery_retry(p_id bigint, p_receiver text, p_since timestamptz,
                                       p_receivers text[], p_now timestamptz, p_tz text,
                                       p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    d delivery;
    v_subject text := 'delivery:' || p_id;
    v_old jsonb;
    v_new jsonb;
    v_n bigint;
    v_by json;
BEGIN
    IF p_id IS NOT NULL THEN
        SELECT * INTO d FROM delivery WHERE id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN keyproj_not_found(p_actor, 'delivery.retry', v_subject, NULL,
                                     format('no delivery %s (see: deliveries --status dead)', p_id), p_req);
        END IF;
        v_old := jsonb_build_object('status', d.status, 'attempts', d.attempts, 'last_error', d.last_error,
                                    'silence_id', d.silence_id, 'next_attempt_at', d.next_attempt_at);
        v_new := v_old || jsonb_build_object('status', 'pending', 'silence_id', NULL, 'next_attempt_at', p_now);
        IF d.status NOT IN ('dead', 'silenced') THEN
            RETURN keyproj_write_refused(p_actor, 'delivery.retry', v_subject, v_old, v_new, 'invalid',
                       CASE d.status
                           WHEN 'delivered' THEN format('delivery %s was delivered at %s: nothing to retry',
                                                        p_id, keyproj_local(d.delivered_at, p_tz))
                           ELSE format('delivery %s is pending (next attempt at %s): it is retried by itself',
                                       p_id, keyproj_local(d.next_attempt_at, p_tz)) END, p_req);
        END IF;
        IF NOT d.receiver = ANY (p_receivers) THEN
            RETURN keyproj_write_refused(p_actor, 'delivery.retry', v_subject, v_old, v_new, 'invalid',
                       format('delivery %s is for receiver ''%s'', which is not in the configuration',
                              p_id, d.receiver), p_req);
        END IF;
        UPDATE delivery
           SET status = 'pending', next_attempt_at = p_now, first_attempt_at = NULL,
               silence_id = NULL, silenced_at = NULL, claimed_by = NULL, claimed_until = NULL
         WHERE id = p_id;
        RETURN keyproj_write_ok(p_actor, 'delivery.retry', v_subject, v_old, v_new, NULL, p_req,
                                json_build_object('retried', 1, 'id', p_id, 'receiver', d.receiver,
                                                  'attempts', d.attempts, 'was', d.status));
    END IF;

    WITH r AS (
        UPDATE delivery
           SET status = 'pending', next_attempt_at = p_now, first_attempt_at = NULL,
               claimed_by = NULL, claimed_until = NULL
         WHERE status = 'dead'
           AND receiver = ANY (p_receivers)
           AND (p_receiver IS NULL OR receiver = p_receiver)
           AND (p_since IS NULL OR created_at >= p_since)
        RETURNING id, receiver, attempts, last_error
    ), a AS (
        SELECT keyproj_audit_rows(p_actor, 'delivery.retry', p_req,
                                  array_agg('delivery:' || r.id ORDER BY r.id),
                                  array_agg(jsonb_build_object('status', 'dead', 'last_error', r.last_error)
                                            ORDER BY r.id),
                                  array_agg(jsonb_build_object('status', 'pending', 'next_attempt_at', p_now)
                                            ORDER BY r.id)) AS n
          FROM r
    ), n AS (
        SELECT receiver, count(*) AS c FROM r GROUP BY receiver
    )
    SELECT (SELECT n FROM a), (SELECT json_object_agg(receiver, c ORDER BY receiver) FROM n)
      INTO v_n, v_by;
    RETURN json_build_object('ok', true, 'data',
                             json_build_object('retried', v_n, 'receivers', coalesce(v_by, '{}'::json)));
END
$fn$;

-- ===========================================================================
-- Claim and record
-- ===========================================================================

-- The outbox's two hot statements as PL/pgSQL
-- functions (daemon/deliver_claim.c claims, daemon/deliver_batch.c records), so
-- PostgreSQL plans each once per connection instead of at every call: at
-- thousands of deliveries a second, planning was half of a claim's time.
-- Their meaning is that of the statements they replace (doc/webhooks.md,
-- "Leases and crashes"):
--   * a claim takes, per receiver, at most its cap of due rows that nobody
--     holds (no live lease, not among the caller's own rows p_held), oldest
--     first, FOR UPDATE SKIP LOCKED; a row an active silence covers becomes
--     'silenced' and takes no lease and no attempt; the others get a lease
--     of the receiver's length and one attempt more;
--   * a record writes, in one statement, the verdicts on rows the caller
--     holds the lease of (others are left alone): delivered, pending (with
--     its next attempt), dead, released — back as before the claim, the
--     attempt not counted — or deferred — a robot said "over the limit":
--     pending at its next attempt, with the error, the attempt not counted
--     (it never leads to dead) — and ends their lease.
-- reds_only_at_once: up to when a receiver's non-red rows may go. p_cut is
-- the last daily digest moment (NULL: the receiver holds nothing back).
-- The rows due before it go once that moment's digest to the receiver has
-- been answered (delivered, dead or silenced: keyproj_digest_tells_held
-- has then marked those it listed as told), or, when no digest was
-- written for that moment (a day skipped), an hour after it; until then
-- nothing is released ('-infinity'), so a held row is never sent beside
-- the digest that tells it.
CREATE OR REPLACE FUNCTION keyproj_digest_cut(p_receiver text, p_cut float8, p_now timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN p_cut IS NULL THEN NULL
    WHEN EXISTS (SELECT 1 FROM alert a JOIN delivery d ON d.alert_id = a.id AND d.receiver = p_receiver
                  WHERE a.kind = 'digest' AND a.subject = 'receiver:' || p_receiver AND a.stage LIKE 'daily:%'
                    AND a.created_at >= to_timestamp(p_cut) AND d.status <> 'pending')
      OR (p_now >= to_timestamp(p_cut) + interval '1 hour'
          AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'digest' AND a.subject = 'receiver:' || p_receiver
                             AND a.stage LIKE 'daily:%' AND a.created_at >= to_timestamp(p_cut)))
    THEN to_timestamp(p_cut)
    ELSE '-infinity'::timestamptz
END
$$;

-- The webhook-id of an alert's message (json receivers), from the alert's
-- identity, UNIQUE in the alert table: "msg_" and the first 26 hex digits
-- (104 bits) of SHA-256 over kind, subject and stage joined by U+001F (a
-- unit separator, which no kind, subject or stage holds). Not the row id:
-- an alert lost with an asynchronous standby's unreplicated tail is made
-- again by the next scan with a new row id but the same identity, so its
-- copy is recognised as one; and a sequence that hands out a lost row's id
-- again can never give a different alert an id a receiver has seen
-- (doc/webhooks.md, "webhook-id"). Also for looking a received message up:
-- SELECT * FROM alert WHERE keyproj_webhook_id(kind, subject, stage) = 'msg_…'.
CREATE OR REPLACE FUNCTION keyproj_webhook_id(p_kind text, p_subject text, p_stage text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT 'msg_' || left(encode(sha256(convert_to(p_kind || chr(31) || p_subject || chr(31) || p_stage, 'UTF8')),
                             'hex'), 26)
$$;

-- keyproj_claim_due replaces keyproj_claim_deliveries, whose last column
-- was the webhook-id: it now gives the alert's subject, and keyprojd makes
-- the id from kind, subject and stage itself (sign_webhook_id, the same
-- digest as keyproj_webhook_id; hashing every claimed row here was a third
-- of a claim's time). Under another name, so that a keyprojd of before,
-- still running beside a newer one, fails its claims loudly instead of
-- sending a subject as a webhook-id.
DROP FUNCTION IF EXISTS keyproj_claim_deliveries(timestamptz, text, text[], int[], int[], float8[], int[], bigint[]);
-- The planner settings: without them it expected more rows from the claim
-- than the few hundred it takes, and joined them to delivery by hashing
-- the whole table (a sequential scan that grows with the outbox's history)
-- instead of looking each one up by its key; and it planned the statement
-- anew at every call (its custom plans looked cheaper than the generic
-- one), about 0.4 ms a claim. The generic plan is the same nested loop
-- over each receiver's due rows.
CREATE OR REPLACE FUNCTION keyproj_claim_due(p_now timestamptz, p_worker text, p_receivers text[], p_caps int[],
                                             p_windows int[], p_cuts float8[], p_leases int[], p_held bigint[])
RETURNS TABLE (id bigint, receiver text, attempts int, first_attempt float8, alert_id bigint, kind text,
               stage text, light text, created text, payload text, silence_id bigint, lease_end float8,
               subject text)
LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    -- no active silence at all (the usual case): no lookup per row
    any_silence boolean := EXISTS (SELECT 1 FROM silence si WHERE si.deleted_at IS NULL
                                     AND si.starts_at <= p_now AND si.ends_at > p_now);
BEGIN
    RETURN QUERY
    -- MATERIALIZED: each receiver's digest cut once per claim; inlined, it
    -- was worked out again for every candidate row (a third of a claim).
    -- Only for receivers that hold rows for a digest: a SQL function's
    -- body is parsed and planned again in every statement that calls it
    -- (0.3-0.7 ms, most of a small claim's time).
    WITH want AS MATERIALIZED (SELECT w.*, CASE WHEN w.cut IS NOT NULL
                                               THEN keyproj_digest_cut(w.receiver, w.cut, p_now) END AS ecut
                    FROM unnest(p_receivers, p_caps, p_windows, p_cuts, p_leases)
                         AS w(receiver, cap, win, cut, lease)),
    c AS (SELECT x.id, x.alert_id, w.lease FROM want w CROSS JOIN LATERAL (
        SELECT d.id, d.alert_id FROM delivery d
         WHERE d.receiver = w.receiver AND d.status = 'pending' AND d.next_attempt_at <= p_now
           AND (d.claimed_until IS NULL OR d.claimed_until < p_now)
           AND d.id <> ALL (p_held)
           -- reds_only_at_once: the non-red rows wait for the digest (keyproj_digest_cut)
           AND (w.ecut IS NULL OR d.next_attempt_at <= w.ecut
                OR EXISTS (SELECT 1 FROM alert ha WHERE ha.id = d.alert_id
                             AND (ha.light = 'red' OR ha.kind = 'digest')))
           -- a chat receiver: only once its oldest due row has waited out the window
           AND (w.win = 0 OR EXISTS (SELECT 1 FROM delivery e WHERE e.receiver = w.receiver
                  AND e.status = 'pending' AND e.next_attempt_at <= p_now - make_interval(secs => w.win)
                  AND (e.claimed_until IS NULL OR e.claimed_until < p_now)))
         ORDER BY d.next_attempt_at LIMIT w.cap FOR UPDATE SKIP LOCKED) x),
    s AS (SELECT c.id, c.lease,
                 CASE WHEN any_silence THEN keyproj_silence_for(c.alert_id, p_now) END AS silence FROM c)
    UPDATE delivery d SET
        status = CASE WHEN s.silence IS NULL THEN d.status ELSE 'silenced' END,
        silence_id = s.silence,
        silenced_at = CASE WHEN s.silence IS NOT NULL THEN p_now END,
        claimed_by = CASE WHEN s.silence IS NULL THEN p_worker END,
        claimed_until = CASE WHEN s.silence IS NULL THEN p_now + make_interval(secs => s.lease) END,
        attempts = d.attempts + CASE WHEN s.silence IS NULL THEN 1 ELSE 0 END,
        first_attempt_at = CASE WHEN s.silence IS NULL THEN coalesce(d.first_attempt_at, p_now)
                                ELSE d.first_attempt_at END
      FROM s, alert a
     WHERE d.id = s.id AND a.id = d.alert_id
    -- date_part, not extract: extract gives numeric since PostgreSQL 14,
    -- and its conversion to float8 cost more than the rest of the row
    RETURNING d.id, d.receiver, d.attempts, date_part('epoch', d.first_attempt_at),
              a.id, a.kind, a.stage, a.light,
              to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), a.payload::text,
              d.silence_id, date_part('epoch', d.claimed_until), a.subject;
END;
$$;

-- p_digests: whether a row may be a digest's (keyprojd knows the kind of
-- every row it renders); false skips keyproj_digest_tells_held, whose
-- lookup of every row's alert was a fifth of recording a batch. The form
-- without it stays for a keyprojd of before, still running beside a newer
-- one: it always looks.
CREATE OR REPLACE FUNCTION keyproj_record_deliveries(p_worker text, p_ids bigint[], p_verdicts text[], p_at float8[],
                                          p_next float8[], p_errors text[], p_http int[], p_digests boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    UPDATE delivery d SET
        status = CASE WHEN v.verdict IN ('released', 'deferred') THEN d.status ELSE v.verdict END,
        delivered_at = CASE WHEN v.verdict = 'delivered' THEN to_timestamp(v.at) END,
        next_attempt_at = CASE WHEN v.verdict IN ('pending', 'deferred') THEN to_timestamp(v.next)
                               ELSE d.next_attempt_at END,
        last_error = CASE WHEN v.verdict = 'released' THEN d.last_error ELSE v.error END,
        last_http_status = CASE WHEN v.verdict = 'released' THEN d.last_http_status ELSE v.http END,
        attempts = d.attempts - CASE WHEN v.verdict IN ('released', 'deferred') THEN 1 ELSE 0 END,
        first_attempt_at = CASE WHEN v.verdict IN ('released', 'deferred') AND d.attempts = 1 THEN NULL
                                ELSE d.first_attempt_at END,
        claimed_by = NULL, claimed_until = NULL
      FROM unnest(p_ids, p_verdicts, p_at, p_next, p_errors, p_http) AS v(id, verdict, at, next, error, http)
     WHERE d.id = v.id AND d.claimed_by = p_worker
       AND v.verdict IN ('delivered', 'pending', 'dead', 'released', 'deferred');
    GET DIAGNOSTICS n = ROW_COUNT;
    IF p_digests THEN
        PERFORM keyproj_digest_tells_held(p_ids, p_verdicts, p_at);
    END IF;
    RETURN n;
END;
$$;

CREATE OR REPLACE FUNCTION keyproj_record_deliveries(p_worker text, p_ids bigint[], p_verdicts text[], p_at float8[],
                                          p_next float8[], p_errors text[], p_http int[])
RETURNS bigint
LANGUAGE sql AS $$
SELECT keyproj_record_deliveries(p_worker, p_ids, p_verdicts, p_at, p_next, p_errors, p_http, true)
$$;

-- A daily digest delivered to a receiver that holds its non-red alerts for
-- it (reds_only_at_once; the digest's payload says covers_held) has told
-- the receiver every milestone it lists: that receiver's held, non-red
-- milestone alerts raised before the digest and listed in it are
-- delivered with it (delivered_at the digest's), not sent again after it.
-- Each digest's are audited once (delivery.told_in_digest). Alerts it does
-- not list (another kind, or beyond its 500 items) go out after it as
-- before.
CREATE OR REPLACE FUNCTION keyproj_digest_tells_held(p_ids bigint[], p_verdicts text[], p_at float8[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g record;
    v_ids bigint[];
BEGIN
    FOR g IN SELECT d.receiver, a.id AS alert_id, a.created_at, a.payload, to_timestamp(v.at) AS at, v.verdict
               FROM unnest(p_ids, p_verdicts, p_at) AS v(id, verdict, at)
               JOIN delivery d ON d.id = v.id JOIN alert a ON a.id = d.alert_id
              WHERE v.verdict IN ('delivered', 'dead') AND a.kind = 'digest'
                AND coalesce((a.payload->>'covers_held')::boolean, false) LOOP
        -- what the digest held back may go now (keyproj_digest_cut): wake the senders
        PERFORM pg_notify('keyproj_delivery', '');
        CONTINUE WHEN g.verdict <> 'delivered';
        WITH told AS (
            UPDATE delivery h SET status = 'delivered', delivered_at = g.at, last_error = NULL
              FROM alert ha
             WHERE h.receiver = g.receiver AND h.status = 'pending' AND h.claimed_by IS NULL
               AND ha.id = h.alert_id AND ha.kind IN ('milestone.overdue', 'milestone.due_soon')
               AND ha.light IS DISTINCT FROM 'red' AND ha.created_at <= g.created_at
               AND ha.subject IN (SELECT 'milestone:' || (i->'milestone'->>'id')
                                    FROM jsonb_array_elements(g.payload->'items') AS i)
            RETURNING h.id)
        SELECT array_agg(id ORDER BY id) INTO v_ids FROM told;
        IF v_ids IS NOT NULL THEN
            PERFORM keyproj_audit('keyprojd', 'delivery.told_in_digest', 'receiver:' || g.receiver, NULL,
                                  jsonb_build_object('digest', g.alert_id, 'deliveries', v_ids,
                                                     'rows', cardinality(v_ids)),
                                  'ok', NULL);
        END IF;
    END LOOP;
END;
$$;


-- ===========================================================================
-- Robot pacing (daemon/deliver_pace.c, table robot_send)
-- ===========================================================================

-- A chat robot counts the messages it gets in any window of 60 seconds
-- (Feishu also of 1 second), from every sender. Each message keyprojd sends
-- takes a slot first: a row of robot_send at the sender's p_now. The
-- windows counted here are a little longer than the robot's (61 s, 1.25 s):
-- a message reaches the robot after it took its slot, and an earlier one
-- may have travelled longer. Taking is serialised per robot by a
-- transaction advisory lock (class 7391003, the robot's hash), so two
-- daemons cannot both take the last slot. Rows in the future count too: a
-- clock moved back, or a hold after "over the limit" (below).
--
-- keyproj_robot_take: at most p_want slots at p_now (fewer when a window
-- is full), and when the next one frees (epoch; NULL while one is free).
CREATE OR REPLACE FUNCTION keyproj_robot_take(p_robot text, p_now timestamptz, p_want int,
                                              p_per_minute int, p_per_second int)
RETURNS TABLE (granted int, free_at float8)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    c_minute constant interval := interval '61 s';
    c_second constant interval := interval '1.25 s';
    v_min int;
    v_sec int := 0;
    v_k int;
    v_free timestamptz;
    v_free_s timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(7391003, hashtext(p_robot));
    -- Pruned as slots are taken: a few hundred rows per robot at most.
    DELETE FROM robot_send r WHERE r.sent_at < p_now - interval '5 min';
    SELECT count(*) INTO v_min FROM robot_send r WHERE r.robot = p_robot AND r.sent_at > p_now - c_minute;
    IF p_per_second IS NOT NULL THEN
        SELECT count(*) INTO v_sec FROM robot_send r WHERE r.robot = p_robot AND r.sent_at > p_now - c_second;
    END IF;
    v_k := greatest(0, least(p_want, p_per_minute - v_min, coalesce(p_per_second - v_sec, p_want)));
    INSERT INTO robot_send (robot, sent_at) SELECT p_robot, p_now FROM generate_series(1, v_k);
    -- A full window frees when the oldest row that keeps it full leaves it:
    -- of c rows, the (c - limit + 1)-th oldest.
    IF v_min + v_k >= p_per_minute THEN
        SELECT r.sent_at + c_minute INTO v_free FROM robot_send r
         WHERE r.robot = p_robot AND r.sent_at > p_now - c_minute
         ORDER BY r.sent_at OFFSET v_min + v_k - p_per_minute LIMIT 1;
    END IF;
    IF p_per_second IS NOT NULL AND v_sec + v_k >= p_per_second THEN
        SELECT r.sent_at + c_second INTO v_free_s FROM robot_send r
         WHERE r.robot = p_robot AND r.sent_at > p_now - c_second
         ORDER BY r.sent_at OFFSET v_sec + v_k - p_per_second LIMIT 1;
        v_free := greatest(v_free, v_free_s);
    END IF;
    RETURN QUERY SELECT v_k, extract(epoch FROM v_free)::float8;
END;
$$;

-- The robot answered "over the limit" (another sender, or a bug of ours):
-- its minute window counts as full until p_until, for every daemon.
CREATE OR REPLACE FUNCTION keyproj_robot_hold(p_robot text, p_until timestamptz, p_per_minute int)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_at timestamptz := p_until - interval '61 s';
BEGIN
    PERFORM pg_advisory_xact_lock(7391003, hashtext(p_robot));
    INSERT INTO robot_send (robot, sent_at)
    SELECT p_robot, v_at
      FROM generate_series(1, p_per_minute - (SELECT count(*) FROM robot_send r
                                                WHERE r.robot = p_robot AND r.sent_at >= v_at)::int);
END;
$$;

-- A message sent outside the claim (keyprojctl receiver test) takes its
-- slot even when none is free: it was asked for by hand, and it counts.
CREATE OR REPLACE FUNCTION keyproj_robot_note(p_robot text, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7391003, hashtext(p_robot));
    INSERT INTO robot_send (robot, sent_at) VALUES (p_robot, p_now);
END;
$$;
