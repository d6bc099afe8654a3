-- 0013_project_marks.sql — the projects a scan's milestones and problems
-- mark for a new judgement, in a narrow table of their own.
--
-- A milestone or problem whose new light can move its project
-- (0009_part_lights.sql) marked it by setting project.next_check_on to
-- '-infinity': an UPDATE of an indexed column, so PostgreSQL wrote a new
-- version of the project row and an entry in each of the table's ten
-- indexes, and the project phase then wrote the row again with its
-- verdict. In a burst of 10,000 newly overdue milestones that marking took
-- about a quarter of the milestone phase's time. A row here costs one
-- small insert. The project phase reads the marked projects together with
-- those due by date, marked ones first, and removes the mark of each
-- project it judged, only if the mark is the one it read (its xmin): a
-- mark written again meanwhile stays for the next scan. Edits still mark a
-- project through next_check_on (0003_engine.sql, 0011_recheck_always.sql).
-- Applied by migrate.c inside one transaction: no BEGIN/COMMIT here.

CREATE TABLE project_mark (
    project_id bigint PRIMARY KEY REFERENCES project ON DELETE CASCADE
);
