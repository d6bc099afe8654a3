-- 0004_scorecard.sql — frozen scorecards: a window's 按期完成率 (on-time
-- rate), city-wide and per county, sector and unit, as the ledger said it
-- the day after the window's last day. Rows are only ever inserted (the
-- first scan after the close, keyproj_scorecards_freeze in
-- sql/functions/scorecard.sql); what changes later is shown beside them
-- (`campaign scorecard`), never written over them.
CREATE TABLE scorecard (
    campaign_id bigint NOT NULL REFERENCES campaign ON DELETE CASCADE,
    -- 'city' (name ''), or the county's, unit's name or the sector's
    -- canonical word, as they were when frozen
    scope       text NOT NULL CHECK (scope IN ('city', 'county', 'sector', 'unit')),
    name        text NOT NULL,
    nodes       int NOT NULL CHECK (nodes >= 0),      -- milestones judged (waived ones left out)
    on_time     int NOT NULL CHECK (on_time >= 0),    -- done on or before their due date
    late        int NOT NULL CHECK (late >= 0),       -- done, after it
    open        int NOT NULL CHECK (open >= 0),       -- not done when frozen
    frozen_on   date NOT NULL,                        -- the scan's day that froze it
    frozen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, scope, name),
    CONSTRAINT scorecard_adds_up CHECK (on_time + late + open = nodes),
    CONSTRAINT scorecard_city_unnamed CHECK ((scope = 'city') = (name = ''))
);
COMMENT ON TABLE scorecard IS '双月攻坚 按期完成率, frozen when the window closes';
