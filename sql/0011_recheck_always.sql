-- 0011_recheck_always.sql — marking a project or a campaign target for a
-- new check always writes the row, even when it is already marked.
--
-- A scan batch reads its rows, judges them, and writes the verdict only
-- where the row's xmin is still the one it read: a row edited meanwhile
-- keeps its mark and is read again. The statement-level triggers of
-- 0003_engine.sql skipped rows already at '-infinity', so a report or
-- plan that arrived while a batch was judging a marked project left its
-- xmin alone, and the batch then wrote a verdict made without that report
-- (and a future next_check_on): its alerts came only at the next date
-- check. Writing the mark every time moves the xmin and the batch leaves
-- the row for the next one. Applied by migrate.c inside one transaction.

CREATE OR REPLACE FUNCTION keyproj_recheck_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE project p SET next_check_on = '-infinity'
          FROM (SELECT DISTINCT project_id FROM old_rows) o
         WHERE p.id = o.project_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE project p SET next_check_on = '-infinity'
          FROM (SELECT DISTINCT project_id FROM new_rows) n
         WHERE p.id = n.project_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION keyproj_recheck_targets() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE campaign_target SET next_check_on = '-infinity' WHERE campaign_id = NEW.id;
    RETURN NULL;
END
$$;
