-- audit.sql — the one home of audit_log writes: every write of the
-- daemon's SQL functions goes through keyproj_audit (one row) or
-- keyproj_audit_rows (many), an import's rows through one INSERT … SELECT
-- of keyproj_audit_old / keyproj_audit_new, and the command functions use
-- keyproj_write_ok / keyproj_write_refused / keyproj_not_found, which audit
-- and answer.
--
-- Actions are named object.verb: milestone.done, import.projects,
-- problem.add, … (doc/protocol.md lists them). The subject names the row
-- as object:key (project:CODE, milestone:123).
--
-- A refusal is returned as data, never raised: raising would roll back the
-- audit row that records the refused attempt.

-- The members of a whose value differs in b ('{}' when none). Both sides
-- are built with the same keys, so a key missing from b means "now null".
CREATE OR REPLACE FUNCTION keyproj_changed_only(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(jsonb_object_agg(k, a->k), '{}'::jsonb)
  FROM jsonb_object_keys(a) AS k
 WHERE (a->k) IS DISTINCT FROM coalesce(b->k, 'null'::jsonb)
$$;

-- One audit row: result is 'ok' or 'code: message'.
CREATE OR REPLACE FUNCTION keyproj_audit(p_actor text, p_action text, p_subject text, p_old jsonb,
                                         p_new jsonb, p_result text, p_req text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    VALUES (p_actor, p_action, p_subject, p_old, p_new, p_result, p_req);
END
$$;

-- Successful writes of many rows at once (an import's), one audit row per
-- element, in array order; p_old may be NULL (new rows). Set-based: one
-- INSERT whatever the count. Returns the number of rows written.
CREATE OR REPLACE FUNCTION keyproj_audit_rows(p_actor text, p_action text, p_req text, p_subjects text[],
                                              p_old jsonb[], p_new jsonb[])
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_n bigint;
BEGIN
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, p_action, e.subject, e.old, e.new, 'ok', p_req
      FROM unnest(p_subjects, p_old, p_new) WITH ORDINALITY AS e(subject, old, new, ord)
     ORDER BY e.ord;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- keyproj_audit_changes(…, subjects[], old[], new[]), which imports
-- used before they wrote their audit rows with one INSERT … SELECT.
DROP FUNCTION IF EXISTS keyproj_audit_changes(text, text, text, text[], jsonb[], jsonb[]);

-- The old and new sides of one audit row of an import, from the row's
-- values before (NULL: a new row) and after, built with the same keys: a
-- new row with the values it was given, an updated one with the values
-- that changed, before and after. Imports write their rows' audit rows
-- with one INSERT … SELECT of these, in the order they choose (building
-- arrays of 100,000 objects and taking them apart again cost seconds).
CREATE OR REPLACE FUNCTION keyproj_audit_old(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_old IS NOT NULL THEN keyproj_changed_only(p_old, p_new) END;

CREATE OR REPLACE FUNCTION keyproj_audit_new(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_old IS NULL THEN jsonb_strip_nulls(p_new) ELSE keyproj_changed_only(p_new, p_old) END;

-- A successful write: audits the changed fields (old and new; p_old NULL
-- for a new row, whose null fields are then left out; members of p_extra,
-- like a reason, go with the new side) and wraps data.
CREATE OR REPLACE FUNCTION keyproj_write_ok(p_actor text, p_action text, p_subject text, p_old jsonb,
                                 p_new jsonb, p_extra jsonb, p_req text, p_data json)
RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM keyproj_audit(p_actor, p_action, p_subject,
                          CASE WHEN p_old IS NOT NULL THEN keyproj_changed_only(p_old, p_new) END,
                          keyproj_changed_only(p_new, coalesce(p_old, '{}'::jsonb)) || coalesce(p_extra, '{}'::jsonb),
                          'ok', p_req);
    RETURN json_build_object('ok', true, 'data', p_data);
END
$$;

-- A refused write: audits what was there and what was asked for, in full
-- (the reader of a refusal wants the whole picture, not a diff), with the
-- error as the result.
CREATE OR REPLACE FUNCTION keyproj_write_refused(p_actor text, p_action text, p_subject text, p_old jsonb,
                                      p_new jsonb, p_code text, p_message text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM keyproj_audit(p_actor, p_action, p_subject, p_old, p_new, p_code || ': ' || p_message, p_req);
    RETURN json_build_object('ok', false, 'code', p_code, 'message', p_message);
END
$$;

-- A write refused because what it names does not exist: nothing was there,
-- so the audit row has no old side.
CREATE OR REPLACE FUNCTION keyproj_not_found(p_actor text, p_action text, p_subject text, p_new jsonb,
                                             p_message text, p_req text)
RETURNS json
LANGUAGE sql AS $$
SELECT keyproj_write_refused(p_actor, p_action, p_subject, NULL, p_new, 'not_found', p_message, p_req)
$$;
