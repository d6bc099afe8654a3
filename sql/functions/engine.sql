-- engine.sql — what keeps the alert engine (daemon/scan.c) incremental:
-- triggers that mark a row for the next scan when something the rules
-- read changes, whether through keyprojctl or directly in SQL.
--
-- A scan reads only rows whose next_check_on <= today and writes each
-- row's next date back with the alerts it raised (the engine's columns are
-- in sql/0001_baseline.sql), so it costs what changed, not the size of the
-- tables (doc/alerts.md). These triggers never read the clock.

-- green (or none) 0, yellow 1, red 2: how lights compare
CREATE OR REPLACE FUNCTION keyproj_light_rank(light text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE light WHEN 'red' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END;

-- ===========================================================================
-- Re-check on edit
-- ===========================================================================

-- BEFORE UPDATE of what the rules read: check the row at the next scan.
CREATE OR REPLACE FUNCTION keyproj_recheck() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.next_check_on := '-infinity';
    RETURN NEW;
END
$$;

-- A milestone's state (sql/0008_milestone_state.sql) is born with it,
-- naming its project (sql/0011_milestone_state_project.sql). A pending
-- one is due at the next scan. One born done or waived already has the
-- verdict the scan would write: the rules judge pending nodes only
-- (rules_milestone in daemon/rules.c, pinned by tests/unit/test_rules.c),
-- so it is green with nothing to look at again. A ledger's history is
-- mostly such nodes (three in four of a national import), which thus cost
-- its first scan nothing. It is judged like any other once it changes
-- (keyproj_milestone_recheck below).
CREATE OR REPLACE FUNCTION keyproj_milestone_state_new() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO milestone_state (milestone_id, project_id, next_check_on, light)
    SELECT id, project_id, CASE WHEN status = 'pending' THEN '-infinity'::date END,
           CASE WHEN status <> 'pending' THEN 'green' END
      FROM new_rows;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER milestone_state_new AFTER INSERT ON milestone
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION keyproj_milestone_state_new();

-- An edit of what the rules read (due date, status, kind, project) makes
-- the milestone due at the next scan, always writing its state row (see
-- below why). One moved to another project leaves its old project to be
-- checked again and forgets its light, so that the scan, seeing a change,
-- marks the project it joined; its state names the new project. Statement level: an import that moves
-- 100,000 due dates costs one UPDATE here, not one per row.
CREATE OR REPLACE FUNCTION keyproj_milestone_recheck() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE milestone_state s SET next_check_on = '-infinity',
           light = CASE WHEN e.moved THEN NULL ELSE s.light END, project_id = e.project_id
      FROM (SELECT n.id, n.project_id, o.project_id IS DISTINCT FROM n.project_id AS moved
              FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE o.due_on IS DISTINCT FROM n.due_on OR o.status IS DISTINCT FROM n.status
                OR o.kind IS DISTINCT FROM n.kind OR o.project_id IS DISTINCT FROM n.project_id) e
     WHERE s.milestone_id = e.id;
    UPDATE project_state p SET next_check_on = '-infinity'
      FROM (SELECT DISTINCT o.project_id FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE o.project_id IS DISTINCT FROM n.project_id) m
     WHERE p.project_id = m.project_id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER milestone_state_recheck AFTER UPDATE ON milestone
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION keyproj_milestone_recheck();

CREATE OR REPLACE TRIGGER problem_recheck
    BEFORE UPDATE OF status, severity, reported_on, time_limit, project_id ON problem
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.severity IS DISTINCT FROM NEW.severity
          OR OLD.reported_on IS DISTINCT FROM NEW.reported_on
          OR OLD.time_limit IS DISTINCT FROM NEW.time_limit
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION keyproj_recheck();

-- An approval item that follows a node is not the scan's
-- (keyproj_approval_from_milestone, sql/functions/triggers.sql); one that
-- stops following (its node deleted: milestone_id set NULL) is checked
-- again at once, as a changed one is. A schema older than 0006 has no
-- nodes to follow.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'approval'::regclass
                  AND attname = 'milestone_id' AND NOT attisdropped) THEN
        CREATE OR REPLACE TRIGGER approval_recheck BEFORE UPDATE OF status, planned_on, milestone_id ON approval
            FOR EACH ROW
            WHEN (NEW.milestone_id IS NULL
                  AND (OLD.status IS DISTINCT FROM NEW.status OR OLD.planned_on IS DISTINCT FROM NEW.planned_on
                       OR OLD.milestone_id IS NOT NULL))
            EXECUTE FUNCTION keyproj_recheck();
    ELSE
        CREATE OR REPLACE TRIGGER approval_recheck BEFORE UPDATE OF status, planned_on ON approval
            FOR EACH ROW
            WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.planned_on IS DISTINCT FROM NEW.planned_on)
            EXECUTE FUNCTION keyproj_recheck();
    END IF;
END
$$;

-- A project's state (sql/0013_project_state.sql) is born with it, due at
-- the next scan.
CREATE OR REPLACE FUNCTION keyproj_project_state_new() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_state (project_id) SELECT id FROM new_rows;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER project_state_new AFTER INSERT ON project
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION keyproj_project_state_new();

-- An edit of what the project's rules read writes its state row, after
-- the project's own (the order a scan's write takes them in too, so the
-- two never wait on each other crosswise).
CREATE OR REPLACE FUNCTION keyproj_project_recheck() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_state SET next_check_on = '-infinity' WHERE project_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER project_recheck
    AFTER UPDATE OF year, status, category, planned_start, planned_end, actual_start,
                    actual_end, annual_plan ON project
    FOR EACH ROW
    WHEN (OLD.year IS DISTINCT FROM NEW.year OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.category IS DISTINCT FROM NEW.category
          OR OLD.planned_start IS DISTINCT FROM NEW.planned_start
          OR OLD.planned_end IS DISTINCT FROM NEW.planned_end
          OR OLD.actual_start IS DISTINCT FROM NEW.actual_start
          OR OLD.actual_end IS DISTINCT FROM NEW.actual_end
          OR OLD.annual_plan IS DISTINCT FROM NEW.annual_plan)
    EXECUTE FUNCTION keyproj_project_recheck();

CREATE OR REPLACE TRIGGER campaign_target_recheck
    BEFORE UPDATE OF starts, completions, investment, approvals, campaign_id, county_id, sector
    ON campaign_target
    FOR EACH ROW
    WHEN (OLD.starts IS DISTINCT FROM NEW.starts OR OLD.completions IS DISTINCT FROM NEW.completions
          OR OLD.investment IS DISTINCT FROM NEW.investment OR OLD.approvals IS DISTINCT FROM NEW.approvals
          OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id OR OLD.county_id IS DISTINCT FROM NEW.county_id
          OR OLD.sector IS DISTINCT FROM NEW.sector)
    EXECUTE FUNCTION keyproj_recheck();

-- Marking a project or a campaign target for a new check always writes the
-- row (a project's: its state row), even when it is already marked. A scan batch reads its rows, judges
-- them, and writes the verdict only where the row's xmin is still the one
-- it read: a row edited meanwhile keeps its mark and is read again. Had a
-- row already at '-infinity' been skipped, a report or plan arriving while
-- a batch judged its project would leave the xmin alone, and the batch
-- would write a verdict made without that report (and a future
-- next_check_on). Writing the mark every time moves the xmin and the
-- batch leaves the row for the next one.

-- A campaign whose window moved: its targets' stages move with it.
CREATE OR REPLACE FUNCTION keyproj_recheck_targets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_target SET next_check_on = '-infinity' WHERE campaign_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER campaign_recheck AFTER UPDATE OF starts_on, ends_on ON campaign
    FOR EACH ROW
    WHEN (OLD.starts_on IS DISTINCT FROM NEW.starts_on OR OLD.ends_on IS DISTINCT FROM NEW.ends_on)
    EXECUTE FUNCTION keyproj_recheck_targets();

-- A project's light folds in its milestones' and problems' lights, and its
-- own rules read its reports and plans: when those rows come, change or go,
-- the project is checked again. Statement level with transition tables, so
-- a 100,000-row import costs one UPDATE, not one per row.
CREATE OR REPLACE FUNCTION keyproj_recheck_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE project_state p SET next_check_on = '-infinity'
          FROM (SELECT DISTINCT project_id FROM old_rows) o
         WHERE p.project_id = o.project_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE project_state p SET next_check_on = '-infinity'
          FROM (SELECT DISTINCT project_id FROM new_rows) n
         WHERE p.project_id = n.project_id;
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
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_recheck_projects()',
                       t || '_recheck_ins', t);
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_recheck_projects()',
                       t || '_recheck_upd', t);
    END LOOP;
    -- a deleted milestone or problem may have been what made its project red
    FOREACH t IN ARRAY ARRAY['investment_report', 'investment_plan', 'milestone', 'problem']
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION keyproj_recheck_projects()',
                       t || '_recheck_del', t);
    END LOOP;
END
$$;

-- A problem moved to another project: the project it left is
-- checked again; the light is forgotten so that the scan, seeing a change,
-- checks the project it joined.
CREATE OR REPLACE FUNCTION keyproj_part_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_state SET next_check_on = '-infinity' WHERE project_id = OLD.project_id;
    NEW.light := NULL;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER problem_moved BEFORE UPDATE OF project_id ON problem
    FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION keyproj_part_moved();
