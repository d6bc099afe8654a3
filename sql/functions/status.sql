-- status.sql — helpers for `keyprojctl status`.

-- Counts at a glance. today is the business date in the configured time
-- zone, from clock.c (never current_date: tests run the daemon at any date).
CREATE OR REPLACE FUNCTION keyproj_counts(today date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'today', today,
    'projects', (SELECT count(*) FROM project WHERE keyproj_on_list(archived_on, today)),   -- the list as it stands
    'milestones', (SELECT jsonb_build_object(
                       'pending', count(*) FILTER (WHERE status = 'pending'),
                       'done', count(*) FILTER (WHERE status = 'done'),
                       'waived', count(*) FILTER (WHERE status = 'waived'),
                       'overdue', count(*) FILTER (WHERE status = 'pending' AND due_on < today))
                     FROM milestone),
    'problems_open', (SELECT count(*) FROM problem WHERE status = 'open'),
    'deliveries', (SELECT jsonb_build_object(
                       'pending', count(*) FILTER (WHERE status = 'pending'),
                       'dead', count(*) FILTER (WHERE status = 'dead'))
                     FROM delivery WHERE status <> 'delivered'))
$$;

