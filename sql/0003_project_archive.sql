-- 0003_project_archive.sql — the list changes during the year: a project
-- taken off it (调出) keeps its row, milestones, alerts and history, but
-- from archived_on on it is out of the live ledger (`projects`, `stats`,
-- `rank`, `status`, the scan's alerts and the digests); `readmit` (调入)
-- clears both columns again. The audit log keeps every change with its
-- reason (project.archive / project.readmit, sql/functions/progress.sql).
ALTER TABLE project
    ADD COLUMN archived_on    date NULL,
    ADD COLUMN archive_reason text NULL CHECK (btrim(archive_reason) <> ''),
    ADD CONSTRAINT project_archive_has_reason CHECK ((archived_on IS NULL) = (archive_reason IS NULL));
