-- triggers.sql — the triggers that keep the data honest and tell the
-- daemon: a milestone's due date inside its campaign's window, updated_at
-- that moves only on a real change, and a NOTIFY per changed table.
--
-- Triggers are created here, after the functions they call, with CREATE
-- OR REPLACE TRIGGER (or DROP and CREATE for the constraint triggers,
-- which cannot be replaced), so this file can be applied again.

-- due_on must fall inside its campaign's window. A trigger, not a CHECK,
-- because it reads another table. DEFERRABLE so that one transaction can
-- move a campaign's window and its milestones together
-- (SET CONSTRAINTS ALL DEFERRED). A row inside its campaign's window as
-- the campaign is now passes at once; only one outside is read again, so
-- that a deferred check judges the final state (a later change of the row
-- queues a check of its own). Passing at once also keeps a bulk import off
-- the milestone table: a plan cached while the table was (or was analysed
-- as) empty scans it whole, once per row inserted.
CREATE OR REPLACE FUNCTION keyproj_milestone_in_window() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF EXISTS (SELECT 1 FROM campaign c
                WHERE c.id = NEW.campaign_id AND NEW.due_on BETWEEN c.starts_on AND c.ends_on) THEN
        RETURN NULL;
    END IF;
    SELECT m.due_on, c.code, c.name, c.starts_on, c.ends_on INTO r
      FROM milestone m JOIN campaign c ON c.id = m.campaign_id
     WHERE m.id = NEW.id;
    IF FOUND AND (r.due_on < r.starts_on OR r.due_on > r.ends_on) THEN
        RAISE EXCEPTION 'milestone due date % is outside campaign % "%" (% to %)',
            to_char(r.due_on, 'YYYY-MM-DD'), r.code, r.name,
            to_char(r.starts_on, 'YYYY-MM-DD'), to_char(r.ends_on, 'YYYY-MM-DD')
        USING ERRCODE = 'check_violation', CONSTRAINT = 'milestone_due_in_campaign',
              TABLE = 'milestone', COLUMN = 'due_on',
              HINT = 'Give a date inside the window, or put the milestone in the campaign that holds the date.';
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS milestone_due_in_campaign ON milestone;
CREATE CONSTRAINT TRIGGER milestone_due_in_campaign
    AFTER INSERT OR UPDATE OF due_on, campaign_id ON milestone
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION keyproj_milestone_in_window();

-- The same rule seen from the campaign: its window may not shrink away from
-- its milestones.
CREATE OR REPLACE FUNCTION keyproj_campaign_keeps_milestones() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    c campaign;
    n bigint;
    first_due date;
BEGIN
    SELECT * INTO c FROM campaign WHERE id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT count(*), min(due_on) INTO n, first_due
      FROM milestone
     WHERE campaign_id = c.id AND (due_on < c.starts_on OR due_on > c.ends_on);
    IF n > 0 THEN
        RAISE EXCEPTION 'campaign % "%" (% to %) would leave % milestone(s) outside its window (e.g. due %)',
            c.code, c.name, to_char(c.starts_on, 'YYYY-MM-DD'), to_char(c.ends_on, 'YYYY-MM-DD'),
            n, to_char(first_due, 'YYYY-MM-DD')
        USING ERRCODE = 'check_violation', CONSTRAINT = 'milestone_due_in_campaign',
              TABLE = 'campaign';
    END IF;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS campaign_keeps_milestones ON campaign;
CREATE CONSTRAINT TRIGGER campaign_keeps_milestones
    AFTER UPDATE OF starts_on, ends_on ON campaign
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION keyproj_campaign_keeps_milestones();

-- updated_at moves only when something really changed, so a no-op UPDATE
-- (or an identical re-import) leaves it alone.
CREATE OR REPLACE FUNCTION keyproj_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

-- The alert engine LISTENs on 'keyproj_changed'; the payload is the table
-- name. Statement level: a 100,000-row import sends one notification per
-- table, and PostgreSQL folds identical notifications of one transaction
-- into one. Beyond the core tables, investment_plan and the
-- campaign tables also feed rules (investment.lagging, campaign.at_risk).
CREATE OR REPLACE FUNCTION keyproj_notify_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('keyproj_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- The tables the engine writes (project, milestone, problem, approval,
-- campaign_target) get both triggers with a column list of every column
-- but the engine's: an UPDATE that sets only engine columns fires neither
-- (column-list triggers fire on the columns an UPDATE names, statement-level
-- ones included), so a scan neither pretends that a row was edited nor
-- wakes itself up. A column a migration adds is in the lists the next time
-- this file is applied (migrate.c applies it after every migration); an
-- engine column must be named below.
DO $$
DECLARE
    cols text;      -- ' OF col, …' for the engine's tables, else ''
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['person', 'project', 'investment_plan', 'investment_report',
                             'campaign', 'campaign_target', 'milestone', 'approval',
                             'problem', 'supervision_order', 'silence']
    LOOP
        cols := '';
        IF t IN ('project', 'milestone', 'problem', 'approval', 'campaign_target') THEN
            SELECT ' OF ' || string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
              FROM pg_attribute
             WHERE attrelid = t::regclass AND attnum > 0 AND NOT attisdropped
               AND attname NOT IN ('next_check_on', 'light', 'light_reasons', 'light_at',
                                   'entered_on', 'milestone_light', 'problem_light');
        END IF;
        IF t <> 'silence' THEN        -- silence has no updated_at
            EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE UPDATE%s ON %I FOR EACH ROW '
                           'EXECUTE FUNCTION keyproj_touch_updated_at()', t || '_touch', cols, t);
        END IF;
        IF t NOT IN ('person', 'supervision_order') THEN   -- nothing waits on these
            EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT OR UPDATE%s OR DELETE OR TRUNCATE ON %I '
                           'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_notify_changed()',
                           t || '_notify', cols, t);
        END IF;
    END LOOP;
END
$$;

-- 联审联批 from the schedule: a milestone of kind approval (用地预审, 施工许可
-- … nodes) makes and keeps the approval item of its project named by its
-- title: planned on its due date, with its unit as lead department, done
-- when it is done and waived when it is waived (approval.milestone_id
-- links them). The one home of that rule: every path that writes
-- milestones (the import, done, waive, reschedule, SQL by hand) passes
-- here, and `approval done` refuses an item that follows a node. An item of
-- the same name entered before the node (by hand or import) is taken over
-- rather than duplicated; a second node of a name already followed leaves
-- the item to the first. The milestone's own audit row records the change.
-- An item that follows a node has nothing for the scan (the node's own
-- alerts speak for it, daemon/scan_parts.c): it is written with no
-- next_check_on, so that a national import's 135k items made from nodes
-- cost the first scan nothing; it is looked at again once it follows no
-- node (approval_recheck, sql/functions/engine.sql).
--
-- A new node cannot be followed yet: it takes over an item of its name
-- that follows no node, or makes one, in one INSERT … ON CONFLICT, which
-- finds the item by approval_key's index whatever the planner believes.
-- (Looked up by queries, a bulk import of nodes into an approval table
-- analysed while empty scanned the whole table once per node.)
CREATE OR REPLACE FUNCTION keyproj_approval_from_milestone() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO approval AS a (project_id, item, unit_id, planned_on, status, done_on, milestone_id,
                                   next_check_on)
        VALUES (NEW.project_id, NEW.title, NEW.unit_id, NEW.due_on, NEW.status, NEW.done_on, NEW.id, NULL)
        ON CONFLICT (project_id, item) DO UPDATE
           SET unit_id = coalesce(EXCLUDED.unit_id, a.unit_id), planned_on = EXCLUDED.planned_on,
               status = EXCLUDED.status, done_on = EXCLUDED.done_on, milestone_id = EXCLUDED.milestone_id,
               next_check_on = NULL
         WHERE a.milestone_id IS NULL;
        RETURN NULL;
    END IF;
    SELECT id INTO v_id FROM approval WHERE milestone_id = NEW.id;
    IF NOT FOUND THEN
        SELECT id INTO v_id FROM approval
         WHERE project_id = NEW.project_id AND item = NEW.title AND milestone_id IS NULL;
    END IF;
    IF v_id IS NULL THEN
        INSERT INTO approval (project_id, item, unit_id, planned_on, status, done_on, milestone_id, next_check_on)
        VALUES (NEW.project_id, NEW.title, NEW.unit_id, NEW.due_on, NEW.status, NEW.done_on, NEW.id, NULL)
        ON CONFLICT (project_id, item) DO NOTHING;
        RETURN NULL;
    END IF;
    UPDATE approval a
       SET project_id = NEW.project_id,
           item = CASE WHEN EXISTS (SELECT 1 FROM approval o WHERE o.project_id = NEW.project_id
                                      AND o.item = NEW.title AND o.id <> a.id)
                       THEN a.item ELSE NEW.title END,
           unit_id = coalesce(NEW.unit_id, a.unit_id), planned_on = NEW.due_on,
           status = NEW.status, done_on = NEW.done_on, milestone_id = NEW.id, next_check_on = NULL
     WHERE a.id = v_id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER milestone_feeds_approval
    AFTER INSERT OR UPDATE OF project_id, kind, title, due_on, unit_id, status, done_on ON milestone
    FOR EACH ROW WHEN (NEW.kind = 'approval')
    EXECUTE FUNCTION keyproj_approval_from_milestone();
