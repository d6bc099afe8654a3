-- 0013_project_state.sql — when the alert engine looks at a project next,
-- in a narrow table of its own (as 0008 did for milestones), and room on
-- project's pages for the scan's verdict to stay on its page.
--
-- A scan writes every project it judges: its light, reasons, part lights
-- and next date. With next_check_on and light both indexed in project's
-- wide row, each such write was a new version of the row with an entry in
-- each of its ten indexes: about 50 µs of PostgreSQL's time a project, the
-- largest part of a national ledger's first scan. With the date here and
-- the light's index gone, the verdict changes no indexed column of
-- project, and the update can stay on its page without new index entries
-- (HOT) when the page has room: at fillfactor 50 there is room for a new
-- version of every row of a page, as a first scan writes them all in a
-- few batches while the old versions are still there (the same reasoning
-- as 0010 for the outbox). The table takes about twice the pages.
--
-- One row per project, made by a trigger when the project is inserted
-- (sql/functions/engine.sql), gone with it. Its xmin is the version the
-- scan checks before it writes a verdict: whatever calls for a new look
-- (an edit of what the rules read, a report or plan, a milestone or
-- problem gone or moved) writes this row (next_check_on = '-infinity') in
-- its own transaction, so a verdict made before it is left out.
--
-- project_light_idx goes: the counts and filters by light (status, the
-- lists' --light) read the table, a few tens of milliseconds at national
-- scale; the index cost the scan a new entry whenever a light changed.
CREATE TABLE project_state (
    project_id    bigint NOT NULL,
    -- a business date on which the rules may say something new; NULL:
    -- nothing will change with time alone; '-infinity': at the next scan
    next_check_on date NULL DEFAULT '-infinity'
);
COMMENT ON TABLE project_state IS 'when the alert engine looks at each project next (sql/0013_project_state.sql)';

-- The rows first, then the key, its foreign key and the index.
INSERT INTO project_state (project_id, next_check_on)
SELECT id, next_check_on FROM project;
ALTER TABLE project_state ADD PRIMARY KEY (project_id),
    ADD FOREIGN KEY (project_id) REFERENCES project ON DELETE CASCADE;
CREATE INDEX project_state_next_check_idx ON project_state (next_check_on, project_id)
    WHERE next_check_on IS NOT NULL;

-- The trigger that wrote the old column; sql/functions/engine.sql makes
-- the one that writes project_state.
DROP TRIGGER IF EXISTS project_recheck ON project;
DROP INDEX IF EXISTS project_light_idx;
ALTER TABLE project DROP COLUMN next_check_on;
-- Pages already written keep their layout; new ones follow.
ALTER TABLE project SET (fillfactor = 50);
