-- 0008_milestone_state.sql — the alert engine's state of a milestone (when
-- to look again, its part of its project's light) in a narrow table of
-- its own instead of two columns of milestone's wide row.
--
-- A scan writes that state for every milestone it judges: in milestone,
-- each such write made a new version of the whole row and an entry in
-- each of its six indexes (next_check_on is indexed, so the update could
-- never be HOT); here it is a 40-byte row and two indexes. A burst of
-- newly overdue milestones writes half as much (doc/performance.md).
--
-- One row per milestone, made by a trigger when the milestone is inserted
-- (sql/functions/engine.sql), gone with it. Its xmin is the version the
-- scan checks before it writes a verdict: an edit of what the rules read
-- writes the state row (next_check_on = '-infinity') in the editing
-- transaction, so a verdict made from the row before the edit is left out.
CREATE TABLE milestone_state (
    milestone_id  bigint NOT NULL,
    -- a business date on which the rules may say something new; NULL:
    -- nothing will change with time alone; '-infinity': at the next scan
    next_check_on date NULL DEFAULT '-infinity',
    light         text NULL CHECK (light IN ('green', 'yellow', 'red'))
);
COMMENT ON TABLE milestone_state IS 'the alert engine''s state of each milestone (sql/0008_milestone_state.sql)';

-- The rows first, then the key, its foreign key and the index: built once
-- over a national ledger's 812k rows rather than entry by entry.
INSERT INTO milestone_state (milestone_id, next_check_on, light)
SELECT id, next_check_on, light FROM milestone;
ALTER TABLE milestone_state ADD PRIMARY KEY (milestone_id),
    ADD FOREIGN KEY (milestone_id) REFERENCES milestone ON DELETE CASCADE;
CREATE INDEX milestone_state_next_check_idx ON milestone_state (next_check_on, milestone_id)
    WHERE next_check_on IS NOT NULL;

-- The triggers that wrote the old columns; sql/functions/engine.sql makes
-- those that write milestone_state.
DROP TRIGGER IF EXISTS milestone_recheck ON milestone;
DROP TRIGGER IF EXISTS milestone_moved ON milestone;
ALTER TABLE milestone DROP COLUMN next_check_on, DROP COLUMN light;
