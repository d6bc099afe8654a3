-- 0003_engine.sql — what the alert engine (daemon/scan.c) needs to scan
-- incrementally: a "next check" date on every row the rules read, kept
-- honest by triggers so that edits made through keyprojctl OR directly in
-- SQL are seen; the lights the rules computed; and each project's light
-- month by month (project.repeated_red).
--
-- A scan reads only rows whose next_check_on <= today (partial indexes),
-- writes each row's next date back together with the alerts it raised, and
-- so costs what changed, not the size of the tables (doc/alerts.md).
-- next_check_on: NULL = nothing can change with time alone; '-infinity' =
-- check at the next scan (new or edited rows). The indexes hold id too: a
-- scan takes rows in (next_check_on, id) order, so that two scanners lock
-- rows in the same order.
--
-- The engine's own writes touch only the engine columns below. The
-- updated_at and NOTIFY triggers of these tables are re-created with
-- column lists that leave those columns out, so a scan neither pretends
-- that a project was edited nor wakes itself up. A later migration that
-- adds a column to project, milestone, problem, approval or
-- campaign_target must re-create the two triggers with it (see the DO
-- block at the end).
-- Applied by migrate.c inside one transaction: no BEGIN/COMMIT here.

-- ===========================================================================
-- Engine columns
-- ===========================================================================

ALTER TABLE milestone
    ADD COLUMN next_check_on date NULL DEFAULT '-infinity',
    -- the milestone's part of its project's light, as last computed
    ADD COLUMN light text NULL CHECK (light IN ('green', 'yellow', 'red'));
CREATE INDEX milestone_next_check_idx ON milestone (next_check_on, id) WHERE next_check_on IS NOT NULL;

ALTER TABLE problem
    ADD COLUMN next_check_on date NULL DEFAULT '-infinity',
    ADD COLUMN light text NULL CHECK (light IN ('green', 'yellow', 'red'));
CREATE INDEX problem_next_check_idx ON problem (next_check_on, id) WHERE next_check_on IS NOT NULL;

ALTER TABLE approval
    ADD COLUMN next_check_on date NULL DEFAULT '-infinity';
CREATE INDEX approval_next_check_idx ON approval (next_check_on, id) WHERE next_check_on IS NOT NULL;

ALTER TABLE project
    ADD COLUMN next_check_on date NULL DEFAULT '-infinity',
    -- 红黄绿灯: the worst of the project's parts (doc/alerts.md)
    ADD COLUMN light text NULL CHECK (light IN ('green', 'yellow', 'red')),
    -- the parts that are not green, red ones first: {milestone,investment}
    ADD COLUMN light_reasons text[] NULL,
    -- since when the light has been what it is (the scan's clock)
    ADD COLUMN light_at timestamptz NULL;
CREATE INDEX project_next_check_idx ON project (next_check_on, id) WHERE next_check_on IS NOT NULL;
CREATE INDEX project_light_idx ON project (light);

-- campaign.at_risk and campaign.missed, per target
ALTER TABLE campaign_target
    ADD COLUMN next_check_on date NULL DEFAULT '-infinity';
CREATE INDEX campaign_target_next_check_idx ON campaign_target (next_check_on, id)
    WHERE next_check_on IS NOT NULL;

-- The light each project had at the end of a month: the last light the
-- engine wrote during that month. A month without a row kept the light of
-- the latest month before it that has one.
CREATE TABLE project_light_month (
    project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    light      text NOT NULL CHECK (light IN ('green', 'yellow', 'red')),
    PRIMARY KEY (project_id, month)
);

-- ===========================================================================
-- Re-check on edit
-- ===========================================================================

-- BEFORE UPDATE of what the rules read: check the row at the next scan.
CREATE FUNCTION keyproj_recheck() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.next_check_on := '-infinity';
    RETURN NEW;
END
$$;

CREATE TRIGGER milestone_recheck BEFORE UPDATE OF due_on, status, kind, project_id ON milestone
    FOR EACH ROW
    WHEN (OLD.due_on IS DISTINCT FROM NEW.due_on OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION keyproj_recheck();

CREATE TRIGGER problem_recheck
    BEFORE UPDATE OF status, severity, reported_on, time_limit, project_id ON problem
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.severity IS DISTINCT FROM NEW.severity
          OR OLD.reported_on IS DISTINCT FROM NEW.reported_on
          OR OLD.time_limit IS DISTINCT FROM NEW.time_limit
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION keyproj_recheck();

CREATE TRIGGER approval_recheck BEFORE UPDATE OF status, planned_on ON approval
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.planned_on IS DISTINCT FROM NEW.planned_on)
    EXECUTE FUNCTION keyproj_recheck();

CREATE TRIGGER project_recheck
    BEFORE UPDATE OF year, status, category, planned_start, planned_end, actual_start,
                     actual_end, annual_plan ON project
    FOR EACH ROW
    WHEN (OLD.year IS DISTINCT FROM NEW.year OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.category IS DISTINCT FROM NEW.category
          OR OLD.planned_start IS DISTINCT FROM NEW.planned_start
          OR OLD.planned_end IS DISTINCT FROM NEW.planned_end
          OR OLD.actual_start IS DISTINCT FROM NEW.actual_start
          OR OLD.actual_end IS DISTINCT FROM NEW.actual_end
          OR OLD.annual_plan IS DISTINCT FROM NEW.annual_plan)
    EXECUTE FUNCTION keyproj_recheck();

CREATE TRIGGER campaign_target_recheck
    BEFORE UPDATE OF starts, completions, investment, approvals, campaign_id, county_id, sector
    ON campaign_target
    FOR EACH ROW
    WHEN (OLD.starts IS DISTINCT FROM NEW.starts OR OLD.completions IS DISTINCT FROM NEW.completions
          OR OLD.investment IS DISTINCT FROM NEW.investment OR OLD.approvals IS DISTINCT FROM NEW.approvals
          OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id OR OLD.county_id IS DISTINCT FROM NEW.county_id
          OR OLD.sector IS DISTINCT FROM NEW.sector)
    EXECUTE FUNCTION keyproj_recheck();

-- A campaign whose window moved: its targets' stages move with it.
CREATE FUNCTION keyproj_recheck_targets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_target SET next_check_on = '-infinity'
     WHERE campaign_id = NEW.id AND next_check_on IS DISTINCT FROM '-infinity';
    RETURN NULL;
END
$$;
CREATE TRIGGER campaign_recheck AFTER UPDATE OF starts_on, ends_on ON campaign
    FOR EACH ROW
    WHEN (OLD.starts_on IS DISTINCT FROM NEW.starts_on OR OLD.ends_on IS DISTINCT FROM NEW.ends_on)
    EXECUTE FUNCTION keyproj_recheck_targets();

-- A project's light folds in its milestones' and problems' lights, and its
-- own rules read its reports and plans: when those rows come, change or go,
-- the project is checked again. Statement level with transition tables, so
-- a 100,000-row import costs one UPDATE, not one per row.
CREATE FUNCTION keyproj_recheck_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE project p SET next_check_on = '-infinity'
          FROM (SELECT DISTINCT project_id FROM old_rows) o
         WHERE p.id = o.project_id AND p.next_check_on IS DISTINCT FROM '-infinity';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE project p SET next_check_on = '-infinity'
          FROM (SELECT DISTINCT project_id FROM new_rows) n
         WHERE p.id = n.project_id AND p.next_check_on IS DISTINCT FROM '-infinity';
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['investment_report', 'investment_plan']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_recheck_projects()',
                       t || '_recheck_ins', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_recheck_projects()',
                       t || '_recheck_upd', t);
    END LOOP;
    -- a deleted milestone or problem may have been what made its project red
    FOREACH t IN ARRAY ARRAY['investment_report', 'investment_plan', 'milestone', 'problem']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_recheck_projects()',
                       t || '_recheck_del', t);
    END LOOP;
END
$$;

-- A milestone or problem moved to another project: the project it left is
-- checked again; the light is forgotten so that the scan, seeing a change,
-- checks the project it joined.
CREATE FUNCTION keyproj_part_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project SET next_check_on = '-infinity' WHERE id = OLD.project_id;
    NEW.light := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER milestone_moved BEFORE UPDATE OF project_id ON milestone
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION keyproj_part_moved();
CREATE TRIGGER problem_moved BEFORE UPDATE OF project_id ON problem
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION keyproj_part_moved();

-- ===========================================================================
-- updated_at and NOTIFY ignore the engine's bookkeeping
-- ===========================================================================

-- Re-created with a column list of every column but the engine's: an
-- UPDATE that sets only engine columns fires neither (column-list triggers
-- fire on the columns an UPDATE names, statement-level ones included).
DO $$
DECLARE
    t text;
    cols text;
BEGIN
    FOREACH t IN ARRAY ARRAY['project', 'milestone', 'problem', 'approval', 'campaign_target']
    LOOP
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
          FROM pg_attribute
         WHERE attrelid = t::regclass AND attnum > 0 AND NOT attisdropped
           AND attname NOT IN ('next_check_on', 'light', 'light_reasons', 'light_at');
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_touch', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF %s ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION keyproj_touch_updated_at()', t || '_touch', cols, t);
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_notify', t);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OF %s OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_notify_changed()',
                       t || '_notify', cols, t);
    END LOOP;
END
$$;
