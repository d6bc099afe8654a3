-- progress.sql — the administrators' progress writes (daemon/
-- cmd_progress.c): a milestone done, waived, rescheduled or reopened; a
-- monthly investment report; a project's actual start and completion.
--
-- One function per command, called as ONE statement, so the change and its
-- audit_log row commit together or not at all (the daemon has one async
-- connection and never holds a transaction open across callbacks).
-- A refusal is returned as data, never raised (audit.sql).
--
-- Every function takes today (the business date from clock.c; never
-- current_date, doc/alerts.md), the actor (the peer's user name) and the
-- request id, and returns (json, not jsonb, to keep the members in the
-- order a reader wants them)
--   {"ok": true, "data": {...}}  or  {"ok": false, "code": "not_found" |
--   "invalid", "message": "..."}.

-- What a milestone write answers: the node as it now stands.
CREATE OR REPLACE FUNCTION keyproj_milestone_json(p_id bigint, p_today date) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
           'id', m.id, 'project', p.code, 'project_name', p.name, 'campaign', c.code,
           'kind', m.kind, 'title', m.title, 'due', m.due_on,
           'status', CASE WHEN m.status = 'pending' AND m.due_on < p_today THEN 'overdue' ELSE m.status END,
           'done_on', m.done_on, 'waived_reason', m.waived_reason, 'note', m.note,
           'unit', coalesce(mu.name, pu.name))
  FROM milestone m
  JOIN project p ON p.id = m.project_id
  JOIN campaign c ON c.id = m.campaign_id
  LEFT JOIN unit mu ON mu.id = m.unit_id
  LEFT JOIN unit pu ON pu.id = p.unit_id
 WHERE m.id = p_id
$$;

-- The state a refusal describes: "is already done (on 2026-11-02)".
CREATE OR REPLACE FUNCTION keyproj_milestone_state(p_status text, p_done_on date, p_reason text) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT CASE p_status
    WHEN 'done' THEN format('done (on %s)', keyproj_ymd(p_done_on))
    WHEN 'waived' THEN format('waived (reason: %s)', coalesce(p_reason, 'none given'))
    ELSE p_status END
$$;

-- The milestone kinds that complete a project (alerts.completing_kinds in
-- keyprojd.conf): p_kinds when given, else the setting
-- keyproj.completing_kinds the import sets, else the configuration's
-- default, {completion,operation}. '{}' means none.
CREATE OR REPLACE FUNCTION keyproj_completing_kinds(p_kinds text[] DEFAULT NULL) RETURNS text[]
LANGUAGE sql STABLE AS $$
SELECT coalesce(p_kinds, nullif(current_setting('keyproj.completing_kinds', true), '')::text[],
                '{completion,operation}'::text[])
$$;

-- Completion by milestone: the projects that the done milestones p_mids of
-- a completing kind finish (a 竣工验收 or 通车 node done is the project
-- done), each completed on the earliest such node's done_on, audited as
-- project.complete with that node as the reason. A project already
-- completed or in operation, or one whose recorded start is after the
-- node's date, is left alone. Set-based (the import passes all its rows).
-- Returns [{"project", "status", "actual_end", "milestone"}, …].
CREATE OR REPLACE FUNCTION keyproj_complete_by_milestones(p_mids bigint[], p_kinds text[], p_actor text,
                                                          p_req text) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_done jsonb;
    v_audited bigint;
BEGIN
    -- Nothing to complete: no UPDATE at all (even one of no rows would
    -- wake the engine through the statement trigger's NOTIFY).
    IF NOT EXISTS (SELECT 1 FROM milestone m JOIN project p ON p.id = m.project_id
                    WHERE m.id = ANY (p_mids) AND m.status = 'done' AND m.kind = ANY (p_kinds)
                      AND p.status NOT IN ('completed', 'operating') AND p.actual_end IS NULL
                      AND (p.actual_start IS NULL OR p.actual_start <= m.done_on)) THEN
        RETURN '[]'::jsonb;
    END IF;
    WITH firsts AS (
        SELECT DISTINCT ON (m.project_id) m.project_id, m.id, m.done_on, m.title, c.code AS campaign
          FROM milestone m JOIN campaign c ON c.id = m.campaign_id
         WHERE m.id = ANY (p_mids) AND m.status = 'done' AND m.kind = ANY (p_kinds)
         ORDER BY m.project_id, m.done_on, m.id
    ), upd AS (   -- the self-join "o" still shows the project before the update
        UPDATE project p SET status = 'completed', actual_end = f.done_on
          FROM firsts f, project o
         WHERE p.id = f.project_id AND o.id = p.id
           AND p.status NOT IN ('completed', 'operating') AND p.actual_end IS NULL
           AND (p.actual_start IS NULL OR p.actual_start <= f.done_on)
        RETURNING p.code, o.status AS old_status, f.id AS mid, f.done_on, f.title, f.campaign)
    SELECT keyproj_audit_rows(p_actor, 'project.complete', p_req,
               array_agg('project:' || code ORDER BY code),
               array_agg(jsonb_build_object('status', old_status, 'actual_end', NULL) ORDER BY code),
               array_agg(jsonb_build_object('status', 'completed', 'actual_end', done_on,
                                            'reason', format('milestone %s (%s %s) done on %s', mid, campaign,
                                                             title, keyproj_ymd(done_on)),
                                            'milestone', 'milestone:' || mid) ORDER BY code)),
           coalesce(jsonb_agg(jsonb_build_object('project', code, 'status', 'completed', 'actual_end', done_on,
                                                 'milestone', mid) ORDER BY code), '[]'::jsonb)
      INTO v_audited, v_done
      FROM upd;
    RETURN v_done;
END
$fn$;

-- The signature before completion by milestone (no p_kinds).
DROP FUNCTION IF EXISTS keyproj_milestone_done(bigint, date, text, date, text, text);

-- done ID [--date D] [--note TEXT]: with a node of a completing kind
-- (p_kinds, keyproj_completing_kinds) its project completes too, in the
-- same statement; the answer then names it in completed_project.
CREATE OR REPLACE FUNCTION keyproj_milestone_done(p_id bigint, p_on date, p_note text, p_kinds text[],
                                       p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'milestone:' || p_id;
    m record;
    v_old jsonb;
    v_new jsonb;
    v_data json;
    v_completed jsonb;
BEGIN
    -- FOR UPDATE: two administrators (or two daemons) cannot both pass the
    -- checks below on the same node.
    SELECT ms.*, c.code AS campaign, c.starts_on AS c_starts INTO m
      FROM milestone ms JOIN campaign c ON c.id = ms.campaign_id
     WHERE ms.id = p_id
       FOR UPDATE OF ms;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'milestone.done', v_subject,
                                 jsonb_build_object('status', 'done', 'done_on', p_on, 'note', p_note),
                                 format('no milestone %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('status', m.status, 'done_on', m.done_on, 'note', m.note);
    v_new := jsonb_build_object('status', 'done', 'done_on', p_on, 'note', coalesce(p_note, m.note));
    IF m.status <> 'pending' THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.done', v_subject, v_old, v_new, 'invalid',
                   format('milestone %s is already %s%s', p_id,
                          keyproj_milestone_state(m.status, m.done_on, m.waived_reason),
                          CASE WHEN m.status = 'waived' THEN ': reopen it first' ELSE '' END), p_req);
    END IF;
    IF p_on > p_today THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.done', v_subject, v_old, v_new, 'invalid',
                   format('done date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today)),
                   p_req);
    END IF;
    IF p_on < m.c_starts THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.done', v_subject, v_old, v_new, 'invalid',
                   format('done date %s is before campaign %s starts (%s)', keyproj_ymd(p_on), m.campaign,
                          keyproj_ymd(m.c_starts)), p_req);
    END IF;
    UPDATE milestone SET status = 'done', done_on = p_on, note = coalesce(p_note, note) WHERE id = p_id;
    -- the node's audit row first, then the project's it completes
    v_data := keyproj_write_ok(p_actor, 'milestone.done', v_subject, v_old, v_new, NULL, p_req,
                               keyproj_milestone_json(p_id, p_today));
    v_completed := keyproj_complete_by_milestones(ARRAY[p_id], keyproj_completing_kinds(p_kinds), p_actor, p_req);
    IF jsonb_array_length(v_completed) = 0 THEN
        RETURN v_data;
    END IF;
    -- json_each keeps the node's members in their order
    RETURN json_build_object('ok', true, 'data',
               (SELECT json_object_agg(e.key, e.value ORDER BY e.ord)
                  FROM (SELECT key, value, ord
                          FROM json_each(v_data->'data') WITH ORDINALITY AS x(key, value, ord)
                        UNION ALL
                        SELECT 'completed_project', (v_completed->0)::json, 1000000) e));
END
$fn$;

-- waive ID --reason TEXT: the node no longer applies (design changed, the
-- item was merged into another …). Only a pending node can be waived.
CREATE OR REPLACE FUNCTION keyproj_milestone_waive(p_id bigint, p_reason text, p_today date,
                                        p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'milestone:' || p_id;
    m milestone;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('status', 'waived', 'waived_reason', p_reason);
BEGIN
    SELECT * INTO m FROM milestone WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'milestone.waive', v_subject, v_new, format('no milestone %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('status', m.status, 'waived_reason', m.waived_reason);
    IF nullif(btrim(p_reason), '') IS NULL THEN   -- keyprojd checks too; this is the last line
        RETURN keyproj_write_refused(p_actor, 'milestone.waive', v_subject, v_old, v_new, 'invalid',
                                     'a waiver needs a reason', p_req);
    END IF;
    IF m.status <> 'pending' THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.waive', v_subject, v_old, v_new, 'invalid',
                   format('milestone %s is already %s%s', p_id,
                          keyproj_milestone_state(m.status, m.done_on, m.waived_reason),
                          CASE WHEN m.status = 'done' THEN ': reopen it first to waive it' ELSE '' END), p_req);
    END IF;
    UPDATE milestone SET status = 'waived', waived_reason = p_reason WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, 'milestone.waive', v_subject, v_old, v_new, NULL, p_req,
                            keyproj_milestone_json(p_id, p_today));
END
$fn$;

-- The two-month campaign holding a date, created as the import creates it
-- when it does not exist yet (its window follows from its code). Audited
-- as the import audits a campaign it creates.
CREATE OR REPLACE FUNCTION keyproj_bimonthly_campaign(p_day date, p_actor text, p_action text, p_req text)
RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_code text := keyproj_bimonthly_code(p_day);
    v_id bigint;
BEGIN
    SELECT id INTO v_id FROM campaign WHERE code = v_code;
    IF FOUND THEN
        RETURN v_id;
    END IF;
    INSERT INTO campaign (code, name, kind, starts_on, ends_on)
    VALUES (v_code, format('%s年第%s期双月攻坚', substr(v_code, 1, 4), substr(v_code, 7, 1)), 'bimonthly',
            keyproj_bimonthly_start(v_code), keyproj_bimonthly_end(v_code))
    ON CONFLICT (code) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN   -- created meanwhile by another transaction
        SELECT id INTO v_id FROM campaign WHERE code = v_code;
        RETURN v_id;
    END IF;
    PERFORM keyproj_audit(p_actor, p_action, 'campaign:' || code, NULL,
                          jsonb_build_object('name', name, 'kind', kind, 'starts_on', starts_on, 'ends_on', ends_on),
                          'ok', p_req)
       FROM campaign WHERE id = v_id;
    RETURN v_id;
END
$fn$;

-- reschedule ID DATE --reason TEXT [--move]
--
-- The new date must lie in the node's campaign: a 双月攻坚 node is a target
-- of that push, and quietly carrying it into the next window would take it
-- out of the count by which the push is judged. With p_move the node goes,
-- on purpose, to the two-month campaign that holds the new date.
CREATE OR REPLACE FUNCTION keyproj_milestone_reschedule(p_id bigint, p_due date, p_reason text, p_move boolean,
                                             p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'milestone:' || p_id;
    m record;
    v_old jsonb;
    v_new jsonb;
    v_cid bigint;
    v_code text;
    v_clash bigint;
BEGIN
    SELECT ms.*, c.code AS campaign, c.starts_on AS c_starts, c.ends_on AS c_ends INTO m
      FROM milestone ms JOIN campaign c ON c.id = ms.campaign_id
     WHERE ms.id = p_id
       FOR UPDATE OF ms;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'milestone.reschedule', v_subject,
                                 jsonb_build_object('due_on', p_due, 'reason', p_reason),
                                 format('no milestone %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('due_on', m.due_on, 'campaign', m.campaign);
    v_new := jsonb_build_object('due_on', p_due, 'campaign', m.campaign);
    IF nullif(btrim(p_reason), '') IS NULL THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.reschedule', v_subject, v_old, v_new, 'invalid',
                                     'a new due date needs a reason', p_req);
    END IF;
    IF m.status <> 'pending' THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.reschedule', v_subject, v_old, v_new || jsonb_build_object('reason', p_reason),
                   'invalid', format('milestone %s is already %s: reopen it first',
                                     p_id, keyproj_milestone_state(m.status, m.done_on, m.waived_reason)), p_req);
    END IF;
    IF p_due = m.due_on THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.reschedule', v_subject, v_old, v_new || jsonb_build_object('reason', p_reason),
                   'invalid', format('milestone %s is already due on %s', p_id, keyproj_ymd(p_due)), p_req);
    END IF;
    v_cid := m.campaign_id;
    IF p_due NOT BETWEEN m.c_starts AND m.c_ends THEN
        v_code := keyproj_bimonthly_code(p_due);
        v_new := jsonb_build_object('due_on', p_due, 'campaign', v_code);
        IF NOT p_move THEN
            RETURN keyproj_write_refused(p_actor, 'milestone.reschedule', v_subject, v_old, v_new || jsonb_build_object('reason', p_reason),
                       'invalid', format('new due date %s is outside campaign %s (%s to %s): give a date inside it, '
                                         'or add --move to move the milestone to %s', keyproj_ymd(p_due), m.campaign,
                                         keyproj_ymd(m.c_starts), keyproj_ymd(m.c_ends), v_code), p_req);
        END IF;
        SELECT x.id INTO v_clash FROM milestone x JOIN campaign c ON c.id = x.campaign_id
         WHERE x.project_id = m.project_id AND c.code = v_code AND x.kind = m.kind AND x.title = m.title;
        IF FOUND THEN
            RETURN keyproj_write_refused(p_actor, 'milestone.reschedule', v_subject, v_old, v_new || jsonb_build_object('reason', p_reason),
                       'invalid', format('campaign %s already has this project''s "%s" (milestone %s)',
                                         v_code, m.title, v_clash), p_req);
        END IF;
        v_cid := keyproj_bimonthly_campaign(p_due, p_actor, 'milestone.reschedule', p_req);
    END IF;
    UPDATE milestone SET due_on = p_due, campaign_id = v_cid WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, 'milestone.reschedule', v_subject, v_old, v_new,
                            jsonb_build_object('reason', p_reason), p_req,
                            keyproj_milestone_json(p_id, p_today));
END
$fn$;

-- reopen ID: done or waived back to pending (marked by mistake, or the
-- waiver withdrawn). The note stays; the completion date and the waiver
-- reason go, as the table's constraints require.
CREATE OR REPLACE FUNCTION keyproj_milestone_reopen(p_id bigint, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'milestone:' || p_id;
    m milestone;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('status', 'pending', 'done_on', NULL, 'waived_reason', NULL);
BEGIN
    SELECT * INTO m FROM milestone WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'milestone.reopen', v_subject, v_new, format('no milestone %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('status', m.status, 'done_on', m.done_on, 'waived_reason', m.waived_reason);
    IF m.status = 'pending' THEN
        RETURN keyproj_write_refused(p_actor, 'milestone.reopen', v_subject, v_old, v_new, 'invalid',
                   format('milestone %s is not done or waived (it is pending, due %s)', p_id, keyproj_ymd(m.due_on)),
                   p_req);
    END IF;
    UPDATE milestone SET status = 'pending', done_on = NULL, waived_reason = NULL WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, 'milestone.reopen', v_subject, v_old, v_new, NULL, p_req,
                            keyproj_milestone_json(p_id, p_today));
END
$fn$;

-- The year's reports of a project from a month on, as {"YYYY-MM": ytd}.
CREATE OR REPLACE FUNCTION keyproj_ytd_after(p_pid bigint, p_month date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT coalesce(jsonb_object_agg(to_char(month, 'YYYY-MM'), trim_scale(ytd) ORDER BY month), '{}'::jsonb)
  FROM investment_report
 WHERE project_id = p_pid AND month > p_month
   AND month < date_trunc('year', p_month) + interval '1 year'
$$;

-- The fields of a report a change is about (NULLs when there is none).
CREATE OR REPLACE FUNCTION keyproj_report_fields(r investment_report) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_build_object('amount', trim_scale(r.amount), 'ytd', trim_scale(r.ytd),
                          'since_start', trim_scale(r.since_start), 'progress', r.progress)
$$;

-- report CODE MONTH AMOUNT [--progress TEXT]
--
-- ytd (year to date) = the ytd of the latest earlier report of the same
-- year, plus this month's amount (this amount alone when there is none) —
-- the rule the import applies to a report given without ytd, so a month
-- reported by hand and one imported agree.
--
-- Later months of the same year are then recomputed the same way, each
-- from the one before: a late or corrected month flows through to every
-- ytd after it, and a later ytd that already counted a late month's money
-- (the sheet had no row for it) is not counted twice. since_start moves
-- with ytd on each row it has (what was invested before this year does not
-- change); reports of later years are left as reported.
CREATE OR REPLACE FUNCTION keyproj_report(p_code text, p_month date, p_amount numeric, p_progress text,
                               p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := format('report:%s/%s', p_code, to_char(p_month, 'YYYY-MM'));
    v_pid bigint;
    r investment_report;
    prev investment_report;
    v_ytd numeric(16,4);
    v_since numeric(16,4);
    v_existed boolean;
    v_changed boolean;
    v_old jsonb;
    v_new jsonb;
    v_later_old jsonb;
    v_later_new jsonb;
BEGIN
    -- Locks the project: later months are recomputed from this one, so two
    -- reports of one project must not interleave.
    SELECT id INTO v_pid FROM project WHERE code = p_code FOR UPDATE;
    v_new := jsonb_build_object('amount', trim_scale(p_amount), 'progress', p_progress);
    IF v_pid IS NULL THEN
        RETURN keyproj_not_found(p_actor, 'report.submit', v_subject, v_new,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    IF p_month > date_trunc('month', p_today) THEN
        RETURN keyproj_write_refused(p_actor, 'report.submit', v_subject, NULL, v_new, 'invalid',
                   format('month %s has not begun (today is %s)', to_char(p_month, 'YYYY-MM'), keyproj_ymd(p_today)),
                   p_req);
    END IF;
    SELECT * INTO r FROM investment_report WHERE project_id = v_pid AND month = p_month;
    SELECT * INTO prev FROM investment_report WHERE project_id = v_pid AND month < p_month
     ORDER BY month DESC LIMIT 1;
    v_existed := r.month IS NOT NULL;
    v_ytd := p_amount + CASE WHEN prev.month >= date_trunc('year', p_month) THEN prev.ytd ELSE 0 END;
    v_since := CASE WHEN v_existed THEN r.since_start + (v_ytd - r.ytd) ELSE prev.since_start + p_amount END;
    v_old := keyproj_report_fields(r);
    v_later_old := keyproj_ytd_after(v_pid, p_month);

    INSERT INTO investment_report AS x (project_id, month, amount, ytd, since_start, progress, reported_at, reported_by)
    VALUES (v_pid, p_month, p_amount, v_ytd, v_since, p_progress, now(), p_actor)
    ON CONFLICT (project_id, month) DO UPDATE
       SET amount = EXCLUDED.amount, ytd = EXCLUDED.ytd, since_start = EXCLUDED.since_start,
           progress = coalesce(EXCLUDED.progress, x.progress), reported_at = now(), reported_by = p_actor
     WHERE (x.amount, x.ytd, x.since_start, x.progress)
           IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.ytd, EXCLUDED.since_start,
                             coalesce(EXCLUDED.progress, x.progress));

    UPDATE investment_report u
       SET ytd = c.ytd, since_start = u.since_start + (c.ytd - u.ytd)
      FROM (SELECT month, v_ytd + sum(amount) OVER (ORDER BY month) AS ytd
              FROM investment_report
             WHERE project_id = v_pid AND month > p_month
               AND month < date_trunc('year', p_month) + interval '1 year') c
     WHERE u.project_id = v_pid AND u.month = c.month AND u.ytd <> c.ytd;

    SELECT * INTO r FROM investment_report WHERE project_id = v_pid AND month = p_month;
    v_new := keyproj_report_fields(r);
    v_later_new := keyproj_ytd_after(v_pid, p_month);
    v_changed := NOT v_existed OR v_old <> v_new OR v_later_old <> v_later_new;
    -- Audited: this month's changed fields, and later months only if they
    -- moved (then only those). A new month has no old side.
    IF NOT v_existed THEN
        v_old := '{}';
    END IF;
    IF v_later_old <> v_later_new THEN
        v_old := v_old || jsonb_build_object('later_ytd', keyproj_changed_only(v_later_old, v_later_new));
        v_new := v_new || jsonb_build_object('later_ytd', keyproj_changed_only(v_later_new, v_later_old));
    END IF;
    RETURN keyproj_write_ok(p_actor, 'report.submit', v_subject, nullif(v_old, '{}'::jsonb), v_new, NULL, p_req,
        json_build_object('project', p_code, 'month', to_char(p_month, 'YYYY-MM'), 'amount', trim_scale(r.amount),
                          'ytd', trim_scale(r.ytd), 'since_start', trim_scale(r.since_start),
                          'progress', r.progress, 'later_ytd', v_later_new, 'changed', v_changed));
END
$fn$;

CREATE OR REPLACE FUNCTION keyproj_project_json(p_id bigint) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object('code', p.code, 'name', p.name, 'county', c.name, 'status', p.status,
                          'planned_start', p.planned_start, 'actual_start', p.actual_start,
                          'planned_end', p.planned_end, 'actual_end', p.actual_end,
                          'archived_on', p.archived_on, 'archive_reason', p.archive_reason)
  FROM project p JOIN county c ON c.id = p.county_id
 WHERE p.id = p_id
$$;

-- Why a finished project cannot start or complete again: "project X is
-- already completed (on 2026-10-30)", "… already in operation (completed
-- on 2026-06-30)"; each a whole sentence, so that keyprojctl can say it in
-- Chinese (daemon/ctl_errors.c).
DROP FUNCTION IF EXISTS keyproj_project_finished(text, date);
CREATE OR REPLACE FUNCTION keyproj_project_finished(p_code text, p_status text, p_end date) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN p_status = 'completed' AND p_end IS NOT NULL THEN
        format('project %s is already completed (on %s)', p_code, keyproj_ymd(p_end))
    WHEN p_status = 'completed' THEN format('project %s is already completed', p_code)
    WHEN p_end IS NOT NULL THEN format('project %s is already in operation (completed on %s)', p_code, keyproj_ymd(p_end))
    ELSE format('project %s is already in operation', p_code)
END
$$;

-- start CODE DATE: the project broke ground (开工); status building.
CREATE OR REPLACE FUNCTION keyproj_project_start(p_code text, p_on date, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'project:' || p_code;
    p project;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('status', 'building', 'actual_start', p_on);
    v_why text;
BEGIN
    SELECT * INTO p FROM project WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'project.start', v_subject, v_new,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    v_old := jsonb_build_object('status', p.status, 'actual_start', p.actual_start);
    v_why := CASE
        WHEN p_on > p_today THEN
            format('start date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today))
        WHEN p.status IN ('completed', 'operating') THEN
            keyproj_project_finished(p_code, p.status, p.actual_end)
        WHEN p.actual_start IS NOT NULL THEN
            format('project %s already started on %s', p_code, keyproj_ymd(p.actual_start))
        WHEN p_on > p.actual_end THEN
            format('start date %s is after the project''s completion date %s', keyproj_ymd(p_on), keyproj_ymd(p.actual_end))
    END;
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, 'project.start', v_subject, v_old, v_new, 'invalid', v_why, p_req);
    END IF;
    UPDATE project SET status = 'building', actual_start = p_on WHERE id = p.id;
    RETURN keyproj_write_ok(p_actor, 'project.start', v_subject, v_old, v_new, NULL, p_req, keyproj_project_json(p.id));
END
$fn$;

-- complete CODE DATE: the project is finished (竣工); status completed.
CREATE OR REPLACE FUNCTION keyproj_project_complete(p_code text, p_on date, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'project:' || p_code;
    p project;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('status', 'completed', 'actual_end', p_on);
    v_why text;
BEGIN
    SELECT * INTO p FROM project WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'project.complete', v_subject, v_new,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    v_old := jsonb_build_object('status', p.status, 'actual_end', p.actual_end);
    v_why := CASE
        WHEN p_on > p_today THEN
            format('completion date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today))
        WHEN p.status IN ('completed', 'operating') THEN
            keyproj_project_finished(p_code, p.status, p.actual_end)
        WHEN p.actual_start IS NULL THEN
            format('project %s has not started: record its start first (start %s DATE)', p_code, p_code)
        WHEN p_on < p.actual_start THEN
            format('completion date %s is before the project''s start date %s', keyproj_ymd(p_on),
                   keyproj_ymd(p.actual_start))
    END;
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, 'project.complete', v_subject, v_old, v_new, 'invalid', v_why, p_req);
    END IF;
    UPDATE project SET status = 'completed', actual_end = p_on WHERE id = p.id;
    RETURN keyproj_write_ok(p_actor, 'project.complete', v_subject, v_old, v_new, NULL, p_req, keyproj_project_json(p.id));
END
$fn$;


-- archive CODE --reason TEXT [--date D]: the project leaves the list (调出)
-- on D (today by default; not in the future). Its rows stay; from D it is
-- out of the live ledger (sql/0003_project_archive.sql). Its deliveries
-- still pending and not claimed by a sender are not sent: they become dead
-- with the archive as their error, visible and replayable like any dead
-- letter (a readmission does not send them again; `retry` can).
CREATE OR REPLACE FUNCTION keyproj_project_archive(p_code text, p_on date, p_reason text, p_today date,
                                                   p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'project:' || p_code;
    p project;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('archived_on', p_on, 'archive_reason', p_reason);
    v_why text;
    v_dropped bigint;
BEGIN
    SELECT * INTO p FROM project WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'project.archive', v_subject, v_new,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    v_old := jsonb_build_object('archived_on', p.archived_on, 'archive_reason', p.archive_reason);
    v_why := CASE
        WHEN p.archived_on IS NOT NULL THEN
            format('project %s is already archived (调出 on %s, reason: %s)', p_code, keyproj_ymd(p.archived_on),
                   p.archive_reason)
        WHEN p_on > p_today THEN
            format('archive date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today))
        WHEN btrim(coalesce(p_reason, '')) = '' THEN
            'an archive needs a reason (--reason TEXT)'
    END;
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, 'project.archive', v_subject, v_old, v_new, 'invalid', v_why, p_req);
    END IF;
    UPDATE project SET archived_on = p_on, archive_reason = p_reason WHERE id = p.id;
    WITH d AS (
        UPDATE delivery dl SET status = 'dead',
               last_error = format('project %s archived (调出) on %s', p_code, keyproj_ymd(p_on))
          FROM alert a
         WHERE a.id = dl.alert_id AND a.project_id = p.id AND dl.status = 'pending' AND dl.claimed_by IS NULL
        RETURNING dl.id)
    SELECT count(*) INTO v_dropped FROM d;
    RETURN keyproj_write_ok(p_actor, 'project.archive', v_subject, v_old, v_new,
                            jsonb_build_object('deliveries_dropped', v_dropped), p_req,
                            (keyproj_project_json(p.id)::jsonb
                             || jsonb_build_object('deliveries_dropped', v_dropped))::json);
END
$fn$;

-- readmit CODE --reason TEXT [--date D]: an archived project is back on the
-- list (调入) from D; both archive columns are cleared, the audit row keeps
-- the old ones with the date and reason of the readmission.
CREATE OR REPLACE FUNCTION keyproj_project_readmit(p_code text, p_on date, p_reason text, p_today date,
                                                   p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_subject text := 'project:' || p_code;
    p project;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('archived_on', NULL, 'archive_reason', NULL);
    v_extra jsonb := jsonb_build_object('readmitted_on', p_on, 'reason', p_reason);
    v_why text;
BEGIN
    SELECT * INTO p FROM project WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, 'project.readmit', v_subject, v_extra,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    v_old := jsonb_build_object('archived_on', p.archived_on, 'archive_reason', p.archive_reason);
    v_why := CASE
        WHEN p.archived_on IS NULL THEN
            format('project %s is not archived: it is on the list', p_code)
        WHEN p_on > p_today THEN
            format('readmission date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today))
        WHEN p_on < p.archived_on THEN
            format('readmission date %s is before the project''s archive date %s', keyproj_ymd(p_on),
                   keyproj_ymd(p.archived_on))
        WHEN btrim(coalesce(p_reason, '')) = '' THEN
            'a readmission needs a reason (--reason TEXT)'
    END;
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, 'project.readmit', v_subject, v_old, v_new || v_extra, 'invalid',
                                     v_why, p_req);
    END IF;
    UPDATE project SET archived_on = NULL, archive_reason = NULL WHERE id = p.id;
    RETURN keyproj_write_ok(p_actor, 'project.readmit', v_subject, v_old, v_new, v_extra, p_req,
                            (keyproj_project_json(p.id)::jsonb || jsonb_build_object('readmitted_on', p_on))::json);
END
$fn$;
