-- tally.sql — keeps milestone_tally and approval_tally (sql/0007_tally.sql)
-- equal to counting the ledger, in the transaction that writes it: every
-- path that writes milestones, 联审联批 items or a project's county,
-- sector, year or archived_on (imports, done, waive, reschedule, archive,
-- SQL by hand) passes through these triggers. They never read "today".
--
-- Statement level where rows come by the thousand (a milestones import,
-- a scan batch changing projects' lights: one aggregate over the
-- statement's rows); row level with a WHEN where a statement touches
-- milestones or items for other reasons. A writer of a milestone or an
-- item takes its project FOR SHARE before reading the project's key, so a
-- concurrent change of that key (which takes the project FOR NO KEY
-- UPDATE) either waits for it or is seen by it: neither counts a row under
-- a key the other has just left.

-- Both tallies counted again from the ledger, the tables locked against
-- writers meanwhile.
CREATE OR REPLACE FUNCTION keyproj_tally_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE project, milestone, approval IN SHARE MODE;
    DELETE FROM milestone_tally;
    INSERT INTO milestone_tally (county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time)
    SELECT p.county_id, p.sector, p.year, p.archived_on, m.campaign_id, m.due_on, m.status, count(*),
           count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on)
      FROM milestone m JOIN project p ON p.id = m.project_id
     GROUP BY 1, 2, 3, 4, 5, 6, 7;
    DELETE FROM approval_tally;
    INSERT INTO approval_tally (county_id, sector, year, archived_on, planned_on, status, n)
    SELECT p.county_id, p.sector, p.year, p.archived_on, a.planned_on, a.status, count(*)
      FROM approval a JOIN project p ON p.id = a.project_id
     GROUP BY 1, 2, 3, 4, 5, 6;
    DELETE FROM project_tally;
    INSERT INTO project_tally (county_id, sector, year, archived_on, light, n, planned, plan)
    SELECT county_id, sector, year, archived_on, light, count(*), count(*) FILTER (WHERE annual_plan > 0),
           coalesce(sum(annual_plan) FILTER (WHERE annual_plan > 0), 0)
      FROM project GROUP BY 1, 2, 3, 4, 5;
    DELETE FROM project_date_tally;
    INSERT INTO project_date_tally (county_id, sector, year, archived_on, what, planned_on, n, done)
    SELECT p.county_id, p.sector, p.year, p.archived_on, d.what, d.planned_on, count(*), count(d.actual_on)
      FROM project p CROSS JOIN LATERAL (VALUES ('start', p.planned_start, p.actual_start),
                                                ('end', p.planned_end, p.actual_end)) d(what, planned_on, actual_on)
     GROUP BY 1, 2, 3, 4, 5, 6;
END
$$;

-- Projects inserted (an import's: one aggregate over its rows).
CREATE OR REPLACE FUNCTION keyproj_tally_project_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_tally AS t (county_id, sector, year, archived_on, light, n, planned, plan)
    SELECT county_id, sector, year, archived_on, light, count(*), count(*) FILTER (WHERE annual_plan > 0),
           coalesce(sum(annual_plan) FILTER (WHERE annual_plan > 0), 0)
      FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ON CONSTRAINT project_tally_key
    DO UPDATE SET n = t.n + EXCLUDED.n, planned = t.planned + EXCLUDED.planned, plan = t.plan + EXCLUDED.plan;
    INSERT INTO project_date_tally AS t (county_id, sector, year, archived_on, what, planned_on, n, done)
    SELECT p.county_id, p.sector, p.year, p.archived_on, d.what, d.planned_on, count(*), count(d.actual_on)
      FROM new_rows p CROSS JOIN LATERAL (VALUES ('start', p.planned_start, p.actual_start),
                                                 ('end', p.planned_end, p.actual_end)) d(what, planned_on, actual_on)
     GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT project_date_tally_key
    DO UPDATE SET n = t.n + EXCLUDED.n, done = t.done + EXCLUDED.done;
    RETURN NULL;
END
$$;

-- Milestones inserted or deleted: one aggregate over the statement's rows.
-- Rows whose project is gone (a project's DELETE cascading to them) are
-- not found here: keyproj_tally_project_gone took them out before.
CREATE OR REPLACE FUNCTION keyproj_tally_milestone_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM project p WHERE p.id IN (SELECT project_id FROM new_rows) ORDER BY p.id FOR SHARE OF p;
        INSERT INTO milestone_tally AS t (county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time)
        SELECT p.county_id, p.sector, p.year, p.archived_on, m.campaign_id, m.due_on, m.status, count(*),
               count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on)
          FROM new_rows m JOIN project p ON p.id = m.project_id
         GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ON CONSTRAINT milestone_tally_key
        DO UPDATE SET n = t.n + EXCLUDED.n, on_time = t.on_time + EXCLUDED.on_time;
    ELSE
        PERFORM 1 FROM project p WHERE p.id IN (SELECT project_id FROM old_rows) ORDER BY p.id FOR SHARE OF p;
        INSERT INTO milestone_tally AS t (county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time)
        SELECT p.county_id, p.sector, p.year, p.archived_on, m.campaign_id, m.due_on, m.status, -count(*),
               -count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on)
          FROM old_rows m JOIN project p ON p.id = m.project_id
         GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ON CONSTRAINT milestone_tally_key
        DO UPDATE SET n = t.n + EXCLUDED.n, on_time = t.on_time + EXCLUDED.on_time;
    END IF;
    RETURN NULL;
END
$$;

-- A milestone whose project, campaign, due date, status or done date
-- changed (done, waive, reschedule, a re-import): out of its old row, into
-- its new one (the same row when only whether it was on time changed).
CREATE OR REPLACE FUNCTION keyproj_tally_milestone_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM project p WHERE p.id IN (OLD.project_id, NEW.project_id) ORDER BY p.id FOR SHARE OF p;
    INSERT INTO milestone_tally AS t (county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time)
    SELECT p.county_id, p.sector, p.year, p.archived_on, d.campaign_id, d.due_on, d.status, sum(d.n),
           coalesce(sum(d.n) FILTER (WHERE d.status = 'done' AND d.done_on <= d.due_on), 0)
      FROM (VALUES (OLD.project_id, OLD.campaign_id, OLD.due_on, OLD.status, OLD.done_on, -1),
                   (NEW.project_id, NEW.campaign_id, NEW.due_on, NEW.status, NEW.done_on, 1))
             AS d(project_id, campaign_id, due_on, status, done_on, n)
      JOIN project p ON p.id = d.project_id
     GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT ON CONSTRAINT milestone_tally_key
    DO UPDATE SET n = t.n + EXCLUDED.n, on_time = t.on_time + EXCLUDED.on_time;
    RETURN NULL;
END
$$;

-- An item added, changed (planned date, status, project) or removed. Row
-- level: items come one at a time (an approval milestone makes its own,
-- keyproj_approval_from_milestone) or by an import's few thousand.
CREATE OR REPLACE FUNCTION keyproj_tally_approval() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM project p WHERE p.id = NEW.project_id FOR SHARE OF p;
        INSERT INTO approval_tally AS t (county_id, sector, year, archived_on, planned_on, status, n)
        SELECT p.county_id, p.sector, p.year, p.archived_on, NEW.planned_on, NEW.status, 1
          FROM project p WHERE p.id = NEW.project_id
        ON CONFLICT ON CONSTRAINT approval_tally_key DO UPDATE SET n = t.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM project p WHERE p.id = OLD.project_id FOR SHARE OF p;
        INSERT INTO approval_tally AS t (county_id, sector, year, archived_on, planned_on, status, n)
        SELECT p.county_id, p.sector, p.year, p.archived_on, OLD.planned_on, OLD.status, -1
          FROM project p WHERE p.id = OLD.project_id
        ON CONFLICT ON CONSTRAINT approval_tally_key DO UPDATE SET n = t.n - 1;
    ELSE
        PERFORM 1 FROM project p WHERE p.id IN (OLD.project_id, NEW.project_id) ORDER BY p.id FOR SHARE OF p;
        INSERT INTO approval_tally AS t (county_id, sector, year, archived_on, planned_on, status, n)
        SELECT p.county_id, p.sector, p.year, p.archived_on, d.planned_on, d.status, sum(d.n)
          FROM (VALUES (OLD.project_id, OLD.planned_on, OLD.status, -1),
                       (NEW.project_id, NEW.planned_on, NEW.status, 1)) AS d(project_id, planned_on, status, n)
          JOIN project p ON p.id = d.project_id
         GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT approval_tally_key DO UPDATE SET n = t.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

-- Projects updated: what changed what the tallies count them by (a light,
-- the plan, the dates: the scan changing lights is the usual case, a
-- batch of thousands at once), or their county, sector, year or
-- archived_on (调出, 恢复, a re-import that corrects it), when their
-- milestones and items move too, from the rows of the old key to those of
-- the new one. Statement level: one aggregate per tally over the
-- statement's rows, where a row-level trigger cost a scan batch some 70 µs
-- a project (doc/performance.md). Rows an update left as they were (only
-- their reasons, say) cancel out and write nothing.
CREATE OR REPLACE FUNCTION keyproj_tally_projects_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- ch: each changed project twice, as it was (s = -1) and as it is (1);
    -- one statement, so that ch is worked out once for the four tallies.
    -- The columns are named one by one: a whole-row reference to a
    -- transition table's row (o, n) fails once project has a dropped
    -- column ("attribute 29 of type project has wrong type", PostgreSQL
    -- 15, after sql/0013_project_state.sql), and carried every column.
    WITH ch AS MATERIALIZED (
        SELECT c.id, c.moved, v.*
          FROM (SELECT o.id, (o.county_id, o.sector, o.year, o.archived_on)
                             IS DISTINCT FROM (n.county_id, n.sector, n.year, n.archived_on) AS moved,
                       o.county_id AS o_county, o.sector AS o_sector, o.year AS o_year, o.archived_on AS o_archived,
                       o.light AS o_light, o.annual_plan AS o_plan, o.planned_start AS o_pstart,
                       o.planned_end AS o_pend, o.actual_start AS o_astart, o.actual_end AS o_aend,
                       n.county_id AS n_county, n.sector AS n_sector, n.year AS n_year, n.archived_on AS n_archived,
                       n.light AS n_light, n.annual_plan AS n_plan, n.planned_start AS n_pstart,
                       n.planned_end AS n_pend, n.actual_start AS n_astart, n.actual_end AS n_aend
                  FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE (o.county_id, o.sector, o.year, o.archived_on, o.light, o.annual_plan, o.planned_start,
                        o.planned_end, o.actual_start IS NULL, o.actual_end IS NULL)
                       IS DISTINCT FROM
                       (n.county_id, n.sector, n.year, n.archived_on, n.light, n.annual_plan, n.planned_start,
                        n.planned_end, n.actual_start IS NULL, n.actual_end IS NULL)) c
         CROSS JOIN LATERAL (VALUES (-1, c.o_county, c.o_sector, c.o_year, c.o_archived, c.o_light, c.o_plan,
                                     c.o_pstart, c.o_pend, c.o_astart, c.o_aend),
                                    (1, c.n_county, c.n_sector, c.n_year, c.n_archived, c.n_light, c.n_plan,
                                     c.n_pstart, c.n_pend, c.n_astart, c.n_aend))
                AS v(s, county_id, sector, year, archived_on, light, annual_plan, planned_start, planned_end,
                     actual_start, actual_end)),
    prj AS (
        INSERT INTO project_tally AS t (county_id, sector, year, archived_on, light, n, planned, plan)
        SELECT county_id, sector, year, archived_on, light, sum(s),
               coalesce(sum(s) FILTER (WHERE annual_plan > 0), 0),
               coalesce(sum(s * annual_plan) FILTER (WHERE annual_plan > 0), 0)
          FROM ch
         GROUP BY 1, 2, 3, 4, 5
        HAVING sum(s) <> 0 OR coalesce(sum(s) FILTER (WHERE annual_plan > 0), 0) <> 0
               OR coalesce(sum(s * annual_plan) FILTER (WHERE annual_plan > 0), 0) <> 0
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT project_tally_key
        DO UPDATE SET n = t.n + EXCLUDED.n, planned = t.planned + EXCLUDED.planned, plan = t.plan + EXCLUDED.plan),
    dates AS (
        INSERT INTO project_date_tally AS t (county_id, sector, year, archived_on, what, planned_on, n, done)
        SELECT c.county_id, c.sector, c.year, c.archived_on, d.what, d.planned_on, sum(c.s),
               coalesce(sum(c.s) FILTER (WHERE d.actual_on IS NOT NULL), 0)
          FROM ch c
         CROSS JOIN LATERAL (VALUES ('start', c.planned_start, c.actual_start),
                                    ('end', c.planned_end, c.actual_end)) d(what, planned_on, actual_on)
         GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(c.s) <> 0 OR coalesce(sum(c.s) FILTER (WHERE d.actual_on IS NOT NULL), 0) <> 0
         ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT project_date_tally_key
        DO UPDATE SET n = t.n + EXCLUDED.n, done = t.done + EXCLUDED.done),
    ms AS (
        INSERT INTO milestone_tally AS t (county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time)
        SELECT c.county_id, c.sector, c.year, c.archived_on, m.campaign_id, m.due_on, m.status, sum(c.s),
               coalesce(sum(c.s) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on), 0)
          FROM ch c JOIN milestone m ON m.project_id = c.id
         WHERE c.moved
         GROUP BY 1, 2, 3, 4, 5, 6, 7
        HAVING sum(c.s) <> 0
         ORDER BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ON CONSTRAINT milestone_tally_key
        DO UPDATE SET n = t.n + EXCLUDED.n, on_time = t.on_time + EXCLUDED.on_time)
    INSERT INTO approval_tally AS t (county_id, sector, year, archived_on, planned_on, status, n)
    SELECT c.county_id, c.sector, c.year, c.archived_on, a.planned_on, a.status, sum(c.s)
      FROM ch c JOIN approval a ON a.project_id = c.id
     WHERE c.moved
     GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(c.s) <> 0
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT approval_tally_key DO UPDATE SET n = t.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

-- A project deleted: it, its milestones and its items leave the tallies before its
-- DELETE cascades to them (once it has, their project can no longer be
-- read). BEFORE, when the row is already locked for the delete.
CREATE OR REPLACE FUNCTION keyproj_tally_project_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO milestone_tally AS t (county_id, sector, year, archived_on, campaign_id, due_on, status, n, on_time)
    SELECT OLD.county_id, OLD.sector, OLD.year, OLD.archived_on, m.campaign_id, m.due_on, m.status, -count(*),
           -count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on)
      FROM milestone m WHERE m.project_id = OLD.id
     GROUP BY 5, 6, 7 ORDER BY 5, 6, 7
    ON CONFLICT ON CONSTRAINT milestone_tally_key
    DO UPDATE SET n = t.n + EXCLUDED.n, on_time = t.on_time + EXCLUDED.on_time;
    INSERT INTO approval_tally AS t (county_id, sector, year, archived_on, planned_on, status, n)
    SELECT OLD.county_id, OLD.sector, OLD.year, OLD.archived_on, a.planned_on, a.status, -count(*)
      FROM approval a WHERE a.project_id = OLD.id
     GROUP BY 5, 6 ORDER BY 5, 6
    ON CONFLICT ON CONSTRAINT approval_tally_key DO UPDATE SET n = t.n + EXCLUDED.n;
    -- its own row, and its planned start and end (done: an actual date)
    INSERT INTO project_tally AS t (county_id, sector, year, archived_on, light, n, planned, plan)
    VALUES (OLD.county_id, OLD.sector, OLD.year, OLD.archived_on, OLD.light, -1,
            CASE WHEN OLD.annual_plan > 0 THEN -1 ELSE 0 END,
            CASE WHEN OLD.annual_plan > 0 THEN -OLD.annual_plan ELSE 0 END)
    ON CONFLICT ON CONSTRAINT project_tally_key
    DO UPDATE SET n = t.n + EXCLUDED.n, planned = t.planned + EXCLUDED.planned, plan = t.plan + EXCLUDED.plan;
    INSERT INTO project_date_tally AS t (county_id, sector, year, archived_on, what, planned_on, n, done)
    SELECT OLD.county_id, OLD.sector, OLD.year, OLD.archived_on, d.what, d.planned_on, -count(*),
           -count(d.actual_on)
      FROM (VALUES ('start', OLD.planned_start, OLD.actual_start),
                   ('end', OLD.planned_end, OLD.actual_end)) d(what, planned_on, actual_on)
     GROUP BY 5, 6 ORDER BY 5, 6
    ON CONFLICT ON CONSTRAINT project_date_tally_key
    DO UPDATE SET n = t.n + EXCLUDED.n, done = t.done + EXCLUDED.done;
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION keyproj_tally_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'milestone' THEN
        DELETE FROM milestone_tally;
    ELSIF TG_TABLE_NAME = 'approval' THEN
        DELETE FROM approval_tally;
    ELSE
        DELETE FROM project_tally;
        DELETE FROM project_date_tally;
    END IF;
    RETURN NULL;
END
$$;

-- The triggers, and the tallies counted when the triggers are new (the
-- upgrade that brings 0007, in this file's transaction: the CREATE TRIGGERs
-- hold off writers until it commits). A schema older than 0007 has no
-- tallies to keep.
DO $$
DECLARE
    fresh boolean;
BEGIN
    IF to_regclass('milestone_tally') IS NULL THEN
        RETURN;
    END IF;
    fresh := (SELECT count(*) FROM pg_trigger
               WHERE tgname IN ('milestone_tally_ins', 'approval_tally_ins_del', 'project_tally_ins')) < 3;
    DROP FUNCTION IF EXISTS keyproj_tally_project_changed() CASCADE;
    DROP FUNCTION IF EXISTS keyproj_tally_project_self(project, project);
    CREATE OR REPLACE TRIGGER milestone_tally_ins AFTER INSERT ON milestone REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_milestone_rows();
    CREATE OR REPLACE TRIGGER milestone_tally_del AFTER DELETE ON milestone REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_milestone_rows();
    CREATE OR REPLACE TRIGGER milestone_tally_upd
        AFTER UPDATE OF project_id, campaign_id, due_on, status, done_on ON milestone FOR EACH ROW
        WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.campaign_id IS DISTINCT FROM NEW.campaign_id
              OR OLD.due_on IS DISTINCT FROM NEW.due_on OR OLD.status IS DISTINCT FROM NEW.status
              OR OLD.done_on IS DISTINCT FROM NEW.done_on)
        EXECUTE FUNCTION keyproj_tally_milestone_moved();
    CREATE OR REPLACE TRIGGER milestone_tally_truncate AFTER TRUNCATE ON milestone
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_truncated();
    CREATE OR REPLACE TRIGGER approval_tally_ins_del AFTER INSERT OR DELETE ON approval
        FOR EACH ROW EXECUTE FUNCTION keyproj_tally_approval();
    CREATE OR REPLACE TRIGGER approval_tally_upd
        AFTER UPDATE OF project_id, planned_on, status ON approval FOR EACH ROW
        WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id OR OLD.planned_on IS DISTINCT FROM NEW.planned_on
              OR OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION keyproj_tally_approval();
    CREATE OR REPLACE TRIGGER approval_tally_truncate AFTER TRUNCATE ON approval
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_truncated();
    CREATE OR REPLACE TRIGGER project_tally_ins AFTER INSERT ON project REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_project_rows();
    DROP TRIGGER IF EXISTS project_tally_upd ON project;
    CREATE OR REPLACE TRIGGER project_tally_upd_rows AFTER UPDATE ON project
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_projects_changed();
    CREATE OR REPLACE TRIGGER project_tally_del BEFORE DELETE ON project
        FOR EACH ROW EXECUTE FUNCTION keyproj_tally_project_gone();
    CREATE OR REPLACE TRIGGER project_tally_truncate AFTER TRUNCATE ON project
        FOR EACH STATEMENT EXECUTE FUNCTION keyproj_tally_truncated();
    IF fresh THEN
        PERFORM keyproj_tally_rebuild();
    END IF;
END
$$;
