-- 0011_milestone_state_project.sql — a milestone's state row names the
-- milestone's project.
--
-- The scan runs a phase in two lanes, each on the projects of its own
-- parity (daemon/scan.c, LANE_OF in daemon/scan_phase.h). The milestone
-- phase's select walks milestone_state by next_check_on and needed each
-- candidate's project from the milestone row: a second lookup per row, and
-- with two lanes two candidates per row taken (a third of the select's
-- time). The project id here is kept by the triggers that keep the state
-- (sql/functions/engine.sql): written with the row, and again when the
-- milestone moves to another project.
--
-- The table is made anew, as 0008 made it, its rows copied first and its
-- key, foreign key and index built after: an UPDATE of every row would
-- write a new version of each and an entry in both indexes.
CREATE TABLE milestone_state_new (
    milestone_id  bigint NOT NULL,
    project_id    bigint NOT NULL,
    -- a business date on which the rules may say something new; NULL:
    -- nothing will change with time alone; '-infinity': at the next scan
    next_check_on date NULL DEFAULT '-infinity',
    light         text NULL CHECK (light IN ('green', 'yellow', 'red'))
);
INSERT INTO milestone_state_new (milestone_id, project_id, next_check_on, light)
SELECT s.milestone_id, m.project_id, s.next_check_on, s.light
  FROM milestone_state s JOIN milestone m ON m.id = s.milestone_id;
DROP TABLE milestone_state;
ALTER TABLE milestone_state_new RENAME TO milestone_state;
ALTER TABLE milestone_state ADD PRIMARY KEY (milestone_id),
    ADD FOREIGN KEY (milestone_id) REFERENCES milestone ON DELETE CASCADE;
CREATE INDEX milestone_state_next_check_idx ON milestone_state (next_check_on, milestone_id)
    WHERE next_check_on IS NOT NULL;
COMMENT ON TABLE milestone_state IS 'the alert engine''s state of each milestone (sql/0008_milestone_state.sql, sql/0011_milestone_state_project.sql)';
