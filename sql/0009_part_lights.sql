-- 0009_part_lights.sql — each project remembers the light of its
-- milestones and of its problems as its last judgement folded them in.
--
-- A scan that changes a milestone's or a problem's light marks the
-- project for a new judgement only when that can change the project: the
-- part's new light is worse than the one the project holds, or its old
-- light was the project's (the worst may have gone). A burst of newly
-- overdue milestones in projects already red for their milestones then
-- re-judges none of them. NULL: not known yet, any change marks the
-- project. Engine columns like those of 0003_engine.sql: left out of the
-- updated_at and NOTIFY triggers (their column lists are explicit).
-- Applied by migrate.c inside one transaction: no BEGIN/COMMIT here.

ALTER TABLE project
    ADD COLUMN milestone_light text NULL CHECK (milestone_light IN ('green', 'yellow', 'red')),
    ADD COLUMN problem_light text NULL CHECK (problem_light IN ('green', 'yellow', 'red'));

-- green (or none) 0, yellow 1, red 2: how lights compare
CREATE FUNCTION keyproj_light_rank(light text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE light WHEN 'red' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END;
