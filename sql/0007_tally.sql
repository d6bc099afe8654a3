-- 0007_tally.sql — the ledger's projects, milestones and 联审联批 items counted by
-- what `stats`, `campaign show` and the scorecard group and filter them
-- by: a national ledger's 812k milestones fold into some 46k rows, so the
-- 总览 sums those instead of counting every milestone on each request.
--
-- Kept exact, in the writing transaction, by the triggers of
-- sql/functions/tally.sql (which also fills them the first time it makes
-- those triggers). Nothing depends on "today": due_on and planned_on are
-- part of the key, and a statement sums the rows due before its own today,
-- so moving the clock moves nothing here. A row's key is its project's
-- county, sector, year and archived_on (调出) as they are now; a project
-- that changes any of them carries its rows along. A count that falls to 0
-- stays as a row. keyproj_tally_rebuild() counts both again from the
-- ledger (after a restore that left them out, say).
CREATE TABLE milestone_tally (
    county_id   bigint NOT NULL,
    sector      text NOT NULL,
    year        int NOT NULL,
    archived_on date NULL,
    campaign_id bigint NOT NULL,
    due_on      date NOT NULL,
    status      text NOT NULL,
    n           bigint NOT NULL,        -- milestones
    on_time     bigint NOT NULL,        -- of those, done on or before due_on
    CONSTRAINT milestone_tally_key UNIQUE NULLS NOT DISTINCT
        (county_id, sector, year, archived_on, campaign_id, due_on, status)
);
-- a window's rows (campaign show, the scorecard)
CREATE INDEX milestone_tally_campaign_idx ON milestone_tally (campaign_id);
COMMENT ON TABLE milestone_tally IS 'milestones counted by project county, sector, year, archived_on and by campaign, due date, status (sql/functions/tally.sql)';

CREATE TABLE approval_tally (
    county_id   bigint NOT NULL,
    sector      text NOT NULL,
    year        int NOT NULL,
    archived_on date NULL,
    planned_on  date NULL,
    status      text NOT NULL,
    n           bigint NOT NULL,        -- 联审联批 items
    CONSTRAINT approval_tally_key UNIQUE NULLS NOT DISTINCT
        (county_id, sector, year, archived_on, planned_on, status)
);
COMMENT ON TABLE approval_tally IS '联审联批 items counted by project county, sector, year, archived_on and by planned date, status (sql/functions/tally.sql)';

-- The projects themselves, for the same statements: by county, sector,
-- year, archived_on and light, their number and annual plans (what is
-- counted whatever the day)...
CREATE TABLE project_tally (
    county_id   bigint NOT NULL,
    sector      text NOT NULL,
    year        int NOT NULL,
    archived_on date NULL,
    light       text NULL,
    n           bigint NOT NULL,        -- projects
    planned     bigint NOT NULL,        -- of those, with an annual plan (> 0)
    plan        numeric NOT NULL,       -- the sum of those annual plans
    CONSTRAINT project_tally_key UNIQUE NULLS NOT DISTINCT (county_id, sector, year, archived_on, light)
);
COMMENT ON TABLE project_tally IS 'projects counted by county, sector, year, archived_on and light (sql/functions/tally.sql)';

-- ... and by their planned start (what 'start') or end ('end') date: a
-- statement sums the rows whose date falls in its window. done: of those,
-- the ones with an actual start (end) date at all; the few dated after the
-- statement's today are found through the indexes below and taken off.
CREATE TABLE project_date_tally (
    county_id   bigint NOT NULL,
    sector      text NOT NULL,
    year        int NOT NULL,
    archived_on date NULL,
    what        text NOT NULL CHECK (what IN ('start', 'end')),
    planned_on  date NULL,
    n           bigint NOT NULL,        -- projects
    done        bigint NOT NULL,        -- of those, with an actual date
    CONSTRAINT project_date_tally_key UNIQUE NULLS NOT DISTINCT
        (county_id, sector, year, archived_on, what, planned_on)
);
-- the rows of a window of dates (a year up to today: a quarter of them)
CREATE INDEX project_date_tally_date_idx ON project_date_tally (what, planned_on);
COMMENT ON TABLE project_date_tally IS 'projects counted by county, sector, year, archived_on and planned start or end date (sql/functions/tally.sql)';
CREATE INDEX project_actual_start_idx ON project (actual_start);
CREATE INDEX project_actual_end_idx ON project (actual_end);
