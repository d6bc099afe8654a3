-- 0008_engine_entry.sql — when a project entered the ledger, as the alert
-- engine counts business days (doc/alerts.md, "Which reports are owed").
--
-- A project owes no monthly report whose due day had already passed when
-- it arrived: the demo's 515 projects, imported in November before their
-- reports, were otherwise owed January to October at once and all went red
-- between the two imports. entered_on is an engine column: written by the
-- project phase of a scan the first time it judges the project, as the
-- earlier of the business date of created_at and the scan's own today (a
-- test clock set before created_at must not make a project arrive in the
-- future). Like the columns of 0003_engine.sql it is left out of the
-- updated_at and NOTIFY triggers (their column lists are explicit), so a
-- scan that sets it neither touches nor wakes anything.
-- Applied by migrate.c inside one transaction: no BEGIN/COMMIT here.

ALTER TABLE project ADD COLUMN entered_on date NULL;

-- Projects already in the ledger arrived when they were created (the
-- server's zone: at most a day from the configured one).
UPDATE project SET entered_on = created_at::date;
