-- admin.sql — the rest of the administrators' command set: the problem
-- list (问题清单), 联审联批 items, supervision orders and their replies,
-- 双月攻坚 targets and what was actually achieved against them.
--
-- The same rules as progress.sql: one function per write, called as ONE
-- statement, so the change and its audit_log row commit together; a
-- refusal is returned as data ({"ok": false, "code": …}) so that its
-- audit row commits too; today, the actor and the request id are
-- parameters (never current_date).

-- A unit by name, created (and audited, as the import audits the units it
-- creates) when it is new. NULL for a NULL or blank name.
CREATE OR REPLACE FUNCTION keyproj_unit_id(p_name text, p_actor text, p_action text, p_req text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_name text := nullif(btrim(p_name), '');
    v_id bigint;
BEGIN
    IF v_name IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT id INTO v_id FROM unit WHERE name = v_name;
    IF FOUND THEN
        RETURN v_id;
    END IF;
    INSERT INTO unit (name) VALUES (v_name) ON CONFLICT (name) DO NOTHING RETURNING id INTO v_id;
    IF v_id IS NULL THEN   -- created meanwhile by another transaction
        SELECT id INTO v_id FROM unit WHERE name = v_name;
        RETURN v_id;
    END IF;
    PERFORM keyproj_audit(p_actor, p_action, 'unit:' || v_name, NULL, jsonb_build_object('name', v_name),
                          'ok', p_req);
    RETURN v_id;
END
$fn$;

-- The time limit a problem works to: its own, else the "13710" default by
-- severity from the day it was reported (alerts.problem_days and
-- alerts.problem_major_days of keyprojd.conf, passed in by the daemon so
-- that the lists and the alert engine agree).
CREATE OR REPLACE FUNCTION keyproj_problem_limit(p_reported date, p_limit date, p_severity text, p_days int,
                                      p_major_days int) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(p_limit, p_reported + CASE WHEN p_severity = 'major' THEN p_major_days ELSE p_days END)
$$;

-- open | overdue (open, the day after its limit) | resolved
CREATE OR REPLACE FUNCTION keyproj_problem_state(p_status text, p_limit date, p_today date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN p_status = 'open' AND p_limit < p_today THEN 'overdue' ELSE p_status END
$$;

-- What a problem write answers: the problem as it now stands.
CREATE OR REPLACE FUNCTION keyproj_problem_json(p_id bigint, p_today date, p_days int, p_major_days int) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
           'id', x.id, 'project', p.code, 'project_name', p.name, 'county', c.name,
           'category', x.category, 'category_name', pc.name, 'severity', x.severity,
           'description', x.description,
           'unit', coalesce(u.name, pu.name), 'reported_on', x.reported_on,
           'time_limit', keyproj_problem_limit(x.reported_on, x.time_limit, x.severity, p_days, p_major_days),
           'limit_given', x.time_limit IS NOT NULL,
           'status', keyproj_problem_state(x.status,
                         keyproj_problem_limit(x.reported_on, x.time_limit, x.severity, p_days, p_major_days),
                         p_today),
           'resolved_on', x.resolved_on, 'resolution', x.resolution)
  FROM problem x
  JOIN problem_category pc ON pc.code = x.category
  JOIN project p ON p.id = x.project_id
  JOIN county c ON c.id = p.county_id
  LEFT JOIN unit u ON u.id = x.unit_id
  LEFT JOIN unit pu ON pu.id = p.unit_id
 WHERE x.id = p_id
$$;

-- ---- problem categories (problem_category, sql/0006_office_approvals.sql) ----

-- The category a spelling means: its code (any case), its Chinese name or
-- one of its aliases; NULL when none. The one lookup every command and the
-- problems import use, so that the table alone says what is accepted.
CREATE OR REPLACE FUNCTION keyproj_problem_category(p text) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT c.code
  FROM problem_category c
 WHERE c.code = lower(btrim(p)) OR c.name = btrim(p) OR btrim(p) = ANY (c.aliases)
 ORDER BY (c.code = lower(btrim(p))) DESC, (c.name = btrim(p)) DESC, c.sort, c.code
 LIMIT 1
$$;

-- "资金, 规划, …, 其他 (or funding, planning, …, other)", for messages.
CREATE OR REPLACE FUNCTION keyproj_problem_categories_expected() RETURNS text
LANGUAGE sql STABLE AS $$
SELECT string_agg(name, ', ' ORDER BY sort, code) || ' (or ' || string_agg(code, ', ' ORDER BY sort, code) || ')'
  FROM problem_category
$$;

-- problem category add CODE --name NAME [--aliases A,B] [--group G]: an
-- office's own category (要素保障's 用热, say), listed after the others and
-- before 其他. Audited as problem_category.add; a code, name or alias that
-- already means a category is refused.
CREATE OR REPLACE FUNCTION keyproj_problem_category_add(p_code text, p_name text, p_aliases text, p_group text,
                                                       p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'problem_category.add';
    v_code text := lower(btrim(p_code));
    v_subject text := 'problem_category:' || lower(btrim(p_code));
    v_aliases text[] := coalesce((SELECT array_agg(btrim(x.a) ORDER BY x.o)
                                    FROM unnest(string_to_array(p_aliases, ',')) WITH ORDINALITY AS x(a, o)
                                   WHERE btrim(x.a) <> ''), '{}');
    v_new jsonb := jsonb_build_object('name', btrim(p_name), 'aliases', v_aliases, 'group', nullif(btrim(p_group), ''));
    v_taken text;
    v_why text;
BEGIN
    SELECT w INTO v_taken
      FROM unnest(v_aliases || ARRAY[v_code, btrim(p_name)]) AS w
     WHERE keyproj_problem_category(w) IS NOT NULL
     LIMIT 1;
    v_why := CASE
        WHEN v_code IS NULL OR v_code !~ '^[a-z][a-z0-9_]{0,31}$' THEN
            format('category code ''%s'' must be a lower-case word of letters, digits and _ (like element_heat)',
                   p_code)
        WHEN nullif(btrim(p_name), '') IS NULL THEN 'a category needs a name (--name 用热)'
        WHEN v_taken IS NOT NULL THEN
            format('''%s'' already names category %s', v_taken, keyproj_problem_category(v_taken))
    END;
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid', v_why, p_req);
    END IF;
    INSERT INTO problem_category (code, name, aliases, grp, sort)
    VALUES (v_code, btrim(p_name), v_aliases, nullif(btrim(p_group), ''),
            (SELECT coalesce(max(sort), 100) + 1 FROM problem_category WHERE code <> 'other'));
    RETURN keyproj_write_ok(p_actor, v_action, v_subject, NULL, v_new, NULL, p_req,
                            json_build_object('code', v_code, 'name', btrim(p_name), 'aliases', v_aliases,
                                              'group', nullif(btrim(p_group), '')));
END
$fn$;

-- problem add CODE --category C --severity S --text T [--unit U]
--     [--limit DATE] [--reported DATE]
--
-- Reported on --reported (back-dated to the meeting that raised it, never
-- after today), else today; the time limit is judged from that day, so a
-- limit already past is accepted when it is not before the reported date.
-- Without --limit the time limit stays NULL, which the schema defines as
-- "the default by severity from the reported date": the answer shows the
-- date that gives. The category is any spelling problem_category knows.
-- A new unit is created, as the import does, unless p_new_units
-- (import.new_units) is "refuse" (keyproj_unit_check).
DROP FUNCTION IF EXISTS keyproj_problem_add(text, text, text, text, text, date, int, int, date, text, text);
DROP FUNCTION IF EXISTS keyproj_problem_add(text, text, text, text, text, date, date, int, int, date, text, text);
CREATE OR REPLACE FUNCTION keyproj_problem_add(p_code text, p_category text, p_severity text, p_text text, p_unit text,
                                    p_limit date, p_reported date, p_days int, p_major_days int,
                                    p_new_units text, p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'problem.add';
    v_subject text := 'project:' || p_code;
    v_reported date := coalesce(p_reported, p_today);
    v_category text := keyproj_problem_category(p_category);
    v_pid bigint;
    v_uid bigint;
    v_id bigint;
    v_new jsonb := jsonb_build_object('category', coalesce(v_category, p_category), 'severity', p_severity,
                                      'description', p_text, 'unit', p_unit, 'reported_on', v_reported,
                                      'time_limit', p_limit);
    v_why text;
BEGIN
    SELECT id INTO v_pid FROM project WHERE code = p_code;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    -- keyprojd checks all of these first; this is the last line. The unit
    -- is looked at last, once the rest holds.
    v_why := coalesce(CASE
        WHEN v_category IS NULL THEN
            format('unknown category ''%s'' (expected one of %s)', p_category, keyproj_problem_categories_expected())
        WHEN p_severity IS NULL OR p_severity NOT IN ('ordinary', 'major') THEN
            format('unknown severity ''%s''', p_severity)
        WHEN nullif(btrim(p_text), '') IS NULL THEN
            'a problem needs a description'
        WHEN v_reported > p_today THEN
            format('reported date %s is in the future (today is %s)', keyproj_ymd(v_reported), keyproj_ymd(p_today))
        WHEN p_limit < v_reported AND v_reported = p_today THEN
            format('time limit %s is before today (%s)', keyproj_ymd(p_limit), keyproj_ymd(p_today))
        WHEN p_limit < v_reported THEN
            format('time limit %s is before the reported date %s', keyproj_ymd(p_limit), keyproj_ymd(v_reported))
    END, keyproj_unit_check(p_unit, p_new_units));
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid', v_why, p_req);
    END IF;
    v_uid := keyproj_unit_id(p_unit, p_actor, v_action, p_req);
    INSERT INTO problem (project_id, category, severity, description, unit_id, reported_on, time_limit)
    VALUES (v_pid, v_category, p_severity, btrim(p_text), v_uid, v_reported, p_limit)
    RETURNING id INTO v_id;
    RETURN keyproj_write_ok(p_actor, v_action, 'problem:' || v_id, NULL,
                            v_new || jsonb_build_object('project', p_code, 'description', btrim(p_text),
                                                        'unit', nullif(btrim(p_unit), '')),
                            NULL, p_req, keyproj_problem_json(v_id, p_today, p_days, p_major_days));
END
$fn$;

-- problem resolve ID --note TEXT: resolved today, with how.
CREATE OR REPLACE FUNCTION keyproj_problem_resolve(p_id bigint, p_note text, p_days int, p_major_days int,
                                        p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'problem.resolve';
    v_subject text := 'problem:' || p_id;
    x problem;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('status', 'resolved', 'resolved_on', p_today, 'resolution', btrim(p_note));
BEGIN
    SELECT * INTO x FROM problem WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new, format('no problem %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('status', x.status, 'resolved_on', x.resolved_on, 'resolution', x.resolution);
    IF nullif(btrim(p_note), '') IS NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                                     'resolving a problem needs a note saying how', p_req);
    END IF;
    IF x.status = 'resolved' THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('problem %s is already resolved (on %s)', p_id, keyproj_ymd(x.resolved_on)), p_req);
    END IF;
    IF p_today < x.reported_on THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('problem %s was reported on %s, after today (%s)', p_id, keyproj_ymd(x.reported_on),
                          keyproj_ymd(p_today)), p_req);
    END IF;
    UPDATE problem SET status = 'resolved', resolved_on = p_today, resolution = btrim(p_note) WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, v_action, v_subject, v_old, v_new, NULL, p_req,
                            keyproj_problem_json(p_id, p_today, p_days, p_major_days));
END
$fn$;

-- pending | overdue (pending, the day after planned_on) | done | waived
CREATE OR REPLACE FUNCTION keyproj_approval_state(p_status text, p_planned date, p_today date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN p_status = 'pending' AND p_planned < p_today THEN 'overdue' ELSE p_status END
$$;

CREATE OR REPLACE FUNCTION keyproj_approval_json(p_id bigint, p_today date) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
           'id', a.id, 'project', p.code, 'project_name', p.name, 'county', c.name, 'item', a.item,
           'unit', u.name, 'planned_on', a.planned_on,
           'status', keyproj_approval_state(a.status, a.planned_on, p_today),
           'done_on', a.done_on, 'note', a.note, 'milestone', a.milestone_id)
  FROM approval a
  JOIN project p ON p.id = a.project_id
  JOIN county c ON c.id = p.county_id
  LEFT JOIN unit u ON u.id = a.unit_id
 WHERE a.id = p_id
$$;

-- approval add CODE ITEM --dept DEPT --due DATE [--note TEXT]: a 联审联批
-- item with its lead department (牵头部门) and time limit (办理时限),
-- pending until `approval done` (overdue the day after the limit, which may
-- already be past: items are often entered late). Audited as approval.add;
-- an unknown project, a blank item or one the project already has is
-- refused. A new department is created as a unit, as the import does,
-- unless p_new_units (import.new_units) is "refuse" (keyproj_unit_check).
DROP FUNCTION IF EXISTS keyproj_approval_add(text, text, text, date, text, date, text, text);
CREATE OR REPLACE FUNCTION keyproj_approval_add(p_code text, p_item text, p_dept text, p_due date, p_note text,
                                                p_new_units text, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'approval.add';
    v_subject text := 'project:' || p_code;
    v_item text := btrim(p_item);
    v_new jsonb := jsonb_build_object('item', btrim(p_item), 'unit', nullif(btrim(p_dept), ''),
                                      'planned_on', p_due, 'note', nullif(btrim(p_note), ''));
    v_pid bigint;
    v_old approval;
    v_id bigint;
    v_why text;
BEGIN
    SELECT id INTO v_pid FROM project WHERE code = p_code;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new,
                                 format('no project with code ''%s''', p_code), p_req);
    END IF;
    IF nullif(v_item, '') IS NULL OR nullif(btrim(p_dept), '') IS NULL OR p_due IS NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                                     'an approval item needs its item, lead department and time limit', p_req);
    END IF;
    SELECT * INTO v_old FROM approval WHERE project_id = v_pid AND item = v_item;
    IF FOUND THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid',
                   format('project %s already has approval item %s (%s, due %s)', p_code, v_old.id, v_item,
                          coalesce(keyproj_ymd(v_old.planned_on), 'no date')), p_req);
    END IF;
    v_why := keyproj_unit_check(p_dept, p_new_units);
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_new, 'invalid', v_why, p_req);
    END IF;
    INSERT INTO approval (project_id, item, unit_id, planned_on, note)
    VALUES (v_pid, v_item, keyproj_unit_id(p_dept, p_actor, v_action, p_req), p_due, nullif(btrim(p_note), ''))
    RETURNING id INTO v_id;
    RETURN keyproj_write_ok(p_actor, v_action, 'approval:' || v_id, NULL,
                            v_new || jsonb_build_object('project', p_code), NULL, p_req,
                            keyproj_approval_json(v_id, p_today));
END
$fn$;

-- approval done ID [--date D] [--note TEXT]
CREATE OR REPLACE FUNCTION keyproj_approval_done(p_id bigint, p_on date, p_note text, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'approval.done';
    v_subject text := 'approval:' || p_id;
    a approval;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('status', 'done', 'done_on', p_on, 'note', btrim(p_note));
BEGIN
    SELECT * INTO a FROM approval WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new, format('no approval item %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('status', a.status, 'done_on', a.done_on, 'note', a.note);
    v_new := jsonb_build_object('status', 'done', 'done_on', p_on, 'note', coalesce(btrim(p_note), a.note));
    IF a.status = 'done' THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('approval item %s (%s) is already done (on %s)', p_id, a.item, keyproj_ymd(a.done_on)),
                   p_req);
    END IF;
    IF a.status = 'waived' THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('approval item %s (%s) is waived: it is no longer required', p_id, a.item), p_req);
    END IF;
    IF a.milestone_id IS NOT NULL THEN     -- one home for its state: the milestone
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('approval item %s (%s) follows milestone %s: mark the milestone done (done %s)',
                          p_id, a.item, a.milestone_id, a.milestone_id), p_req);
    END IF;
    IF p_on > p_today THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('done date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today)),
                   p_req);
    END IF;
    UPDATE approval SET status = 'done', done_on = p_on, note = coalesce(btrim(p_note), note) WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, v_action, v_subject, v_old, v_new, NULL, p_req,
                            keyproj_approval_json(p_id, p_today));
END
$fn$;

   -- what the unit answered

-- open | overdue (no reply, the day after reply_due) | replied
CREATE OR REPLACE FUNCTION keyproj_order_state(p_replied date, p_due date, p_today date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN p_replied IS NOT NULL THEN 'replied' WHEN p_due < p_today THEN 'overdue' ELSE 'open' END
$$;

CREATE OR REPLACE FUNCTION keyproj_order_json(p_id bigint, p_today date) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
           'id', o.id, 'kind', o.kind, 'doc_no', o.doc_no, 'project', p.code, 'project_name', p.name,
           'county', c.name, 'to_unit', u.name, 'issued_on', o.issued_on, 'reply_due', o.reply_due,
           'status', keyproj_order_state(o.replied_on, o.reply_due, p_today),
           'replied_on', o.replied_on, 'reply_note', o.reply_note, 'reason', o.reason)
  FROM supervision_order o
  JOIN project p ON p.id = o.project_id
  JOIN county c ON c.id = p.county_id
  LEFT JOIN unit u ON u.id = o.to_unit_id
 WHERE o.id = p_id
$$;

-- order reply ID [--date D] [--note TEXT]: the unit answered the order.
CREATE OR REPLACE FUNCTION keyproj_order_reply(p_id bigint, p_on date, p_note text, p_today date, p_actor text, p_req text)
RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'order.reply';
    v_subject text := 'order:' || p_id;
    o supervision_order;
    v_old jsonb;
    v_new jsonb := jsonb_build_object('replied_on', p_on, 'reply_note', btrim(p_note));
BEGIN
    SELECT * INTO o FROM supervision_order WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN keyproj_not_found(p_actor, v_action, v_subject, v_new, format('no supervision order %s', p_id), p_req);
    END IF;
    v_old := jsonb_build_object('replied_on', o.replied_on, 'reply_note', o.reply_note);
    IF o.replied_on IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('order %s was already replied to (on %s)', p_id, keyproj_ymd(o.replied_on)), p_req);
    END IF;
    IF p_on > p_today THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('reply date %s is in the future (today is %s)', keyproj_ymd(p_on), keyproj_ymd(p_today)),
                   p_req);
    END IF;
    IF p_on < o.issued_on THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, v_old, v_new, 'invalid',
                   format('reply date %s is before the order was issued (%s)', keyproj_ymd(p_on),
                          keyproj_ymd(o.issued_on)), p_req);
    END IF;
    UPDATE supervision_order SET replied_on = p_on, reply_note = btrim(p_note) WHERE id = p_id;
    RETURN keyproj_write_ok(p_actor, v_action, v_subject, v_old, v_new, NULL, p_req,
                            keyproj_order_json(p_id, p_today));
END
$fn$;

-- What the projects of a scope (a county or all, a sector or all) achieved
-- in a window:
--   starts       projects whose actual start (开工) falls in the window
--   completions  projects whose actual completion (竣工) falls in it
--   investment   the monthly report amounts (万元) of the window's months
--   approvals    % of the 联审联批 items planned in the window that are
--                done (waived items do not count); NULL when none are
--   approval_items  how many items that share is of
CREATE OR REPLACE FUNCTION keyproj_campaign_actuals(p_starts date, p_ends date, p_county_id bigint, p_sector text)
RETURNS TABLE (starts bigint, completions bigint, investment numeric, approvals numeric, approval_items bigint)
LANGUAGE sql STABLE AS $$
WITH scope AS (
    SELECT p.id, p.actual_start, p.actual_end
      FROM project p
     WHERE (p_county_id IS NULL OR p.county_id = p_county_id) AND (p_sector IS NULL OR p.sector = p_sector)
), items AS (
    SELECT count(*) AS n, count(*) FILTER (WHERE a.status = 'done') AS done
      FROM approval a JOIN scope s ON s.id = a.project_id
     WHERE a.status <> 'waived' AND a.planned_on BETWEEN p_starts AND p_ends
)
SELECT (SELECT count(*) FROM scope WHERE actual_start BETWEEN p_starts AND p_ends),
       (SELECT count(*) FROM scope WHERE actual_end BETWEEN p_starts AND p_ends),
       (SELECT coalesce(trim_scale(sum(r.amount)), 0)
          FROM investment_report r JOIN scope s ON s.id = r.project_id
         WHERE r.month BETWEEN date_trunc('month', p_starts)::date AND p_ends),
       (SELECT CASE WHEN n > 0 THEN round(100.0 * done / n, 1) END FROM items),
       (SELECT n FROM items)
$$;

-- The parts of a target a change is about.
CREATE OR REPLACE FUNCTION keyproj_target_fields(t campaign_target) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_build_object('starts', t.starts, 'completions', t.completions,
                          'investment', trim_scale(t.investment), 'approvals', trim_scale(t.approvals))
$$;

-- A target value as keyprojd passes it: NULL = keep what is stored,
-- 'none' = no target, else the number. False when it is none of these.
CREATE OR REPLACE FUNCTION keyproj_target_value_ok(p text, p_pattern text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
SELECT p IS NULL OR p = 'none' OR p ~ p_pattern
$$;

-- campaign target set C [--county X] [--sector S] [--starts N]
--     [--completions N] [--investment AMOUNT] [--approvals PCT]
--
-- Sets the target of one scope (NULL county = city-wide, NULL sector =
-- every sector); values not given keep what is stored, 'none' removes one.
-- A two-month campaign is created when it does not exist yet (targets are
-- set before a push begins); any other campaign must exist.
CREATE OR REPLACE FUNCTION keyproj_campaign_target_set(p_code text, p_county text, p_sector text, p_starts text,
                                            p_completions text, p_investment text, p_approvals text,
                                            p_today date, p_actor text, p_req text) RETURNS json
LANGUAGE plpgsql AS $fn$
DECLARE
    v_action text := 'campaign_target.set';
    v_subject text := format('campaign_target:%s/%s/%s', p_code, coalesce(p_county, '*'), coalesce(p_sector, '*'));
    v_given jsonb := jsonb_strip_nulls(jsonb_build_object('starts', p_starts, 'completions', p_completions,
                                                          'investment', p_investment, 'approvals', p_approvals));
    v_cid bigint;
    v_county bigint;
    t campaign_target;
    v_existed boolean;
    v_old jsonb;
    v_new jsonb;
    v_why text;
BEGIN
    v_why := CASE
        WHEN p_starts IS NULL AND p_completions IS NULL AND p_investment IS NULL AND p_approvals IS NULL THEN
            'no target given (--starts, --completions, --investment or --approvals)'
        WHEN NOT keyproj_target_value_ok(p_starts, '^[0-9]{1,9}$') THEN
            format('starts ''%s'' is not a whole number', p_starts)
        WHEN NOT keyproj_target_value_ok(p_completions, '^[0-9]{1,9}$') THEN
            format('completions ''%s'' is not a whole number', p_completions)
        WHEN NOT keyproj_target_value_ok(p_investment, '^[0-9]{1,12}(\.[0-9]{1,4})?$') THEN
            format('investment ''%s'' is not an amount in 万元', p_investment)
        WHEN NOT keyproj_target_value_ok(p_approvals, '^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$') THEN
            format('approvals ''%s'' is not a percentage from 0 to 100', p_approvals)
        WHEN p_sector IS NOT NULL AND p_sector NOT IN ('industry', 'urban', 'infrastructure', 'livelihood',
                                                       'ecology', 'other') THEN
            format('unknown sector ''%s''', p_sector)
    END;
    IF v_why IS NOT NULL THEN
        RETURN keyproj_write_refused(p_actor, v_action, v_subject, NULL, v_given, 'invalid', v_why, p_req);
    END IF;
    IF p_county IS NOT NULL THEN
        SELECT id INTO v_county FROM county WHERE name = p_county;
        IF NOT FOUND THEN
            RETURN keyproj_not_found(p_actor, v_action, v_subject, v_given,
                                     format('no county ''%s''', p_county), p_req);
        END IF;
    END IF;
    SELECT id INTO v_cid FROM campaign WHERE code = p_code;
    IF NOT FOUND THEN
        IF NOT keyproj_is_bimonthly_code(p_code) THEN
            RETURN keyproj_not_found(p_actor, v_action, v_subject, v_given,
                                     format('no campaign ''%s'' (two-month campaigns like 2026-B6 are created '
                                            'when needed; others must exist first)', p_code), p_req);
        END IF;
        v_cid := keyproj_bimonthly_campaign(keyproj_bimonthly_start(p_code), p_actor, v_action, p_req);
    END IF;

    -- Lock the scope's row (or, for a new scope, insert it empty first:
    -- two administrators setting the same new target then take turns).
    INSERT INTO campaign_target (campaign_id, county_id, sector) VALUES (v_cid, v_county, p_sector)
    ON CONFLICT (campaign_id, county_id, sector) DO NOTHING;
    v_existed := NOT FOUND;
    SELECT * INTO t FROM campaign_target
     WHERE campaign_id = v_cid AND county_id IS NOT DISTINCT FROM v_county AND sector IS NOT DISTINCT FROM p_sector
       FOR UPDATE;
    v_old := keyproj_target_fields(t);
    UPDATE campaign_target
       SET starts = CASE WHEN p_starts IS NULL THEN starts ELSE nullif(p_starts, 'none')::int END,
           completions = CASE WHEN p_completions IS NULL THEN completions ELSE nullif(p_completions, 'none')::int END,
           investment = CASE WHEN p_investment IS NULL THEN investment ELSE nullif(p_investment, 'none')::numeric END,
           approvals = CASE WHEN p_approvals IS NULL THEN approvals ELSE nullif(p_approvals, 'none')::numeric END
     WHERE id = t.id
     RETURNING * INTO t;
    v_new := keyproj_target_fields(t);
    RETURN keyproj_write_ok(p_actor, v_action, v_subject, CASE WHEN v_existed THEN v_old END, v_new, NULL, p_req,
        json_build_object('campaign', p_code, 'county', p_county, 'sector', p_sector,
                          'starts', t.starts, 'completions', t.completions,
                          'investment', trim_scale(t.investment), 'approvals', trim_scale(t.approvals),
                          'created', NOT v_existed, 'changed', NOT v_existed OR v_old <> v_new));
END
$fn$;

