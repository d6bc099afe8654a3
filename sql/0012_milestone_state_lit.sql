-- 0012_milestone_state_lit.sql — the milestones of a project that are not
-- green, found by the project.
--
-- The scan's project phase folds the worst light of a project's milestones
-- into the project's (daemon/scan_project.c). It read every milestone of
-- the project through milestone's key and then each one's state by its
-- primary key: some sixteen lookups a project, half the phase's select.
-- Only a yellow or red state can make the fold anything but green, and few
-- are: this index holds those alone, so most milestones (done ones, and
-- pending ones not yet near their date) cost it nothing to keep, and a
-- project's fold is one probe.
CREATE INDEX milestone_state_lit_idx ON milestone_state (project_id, light)
    WHERE light IN ('yellow', 'red');
