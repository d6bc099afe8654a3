-- status.sql — helpers for `keyprojctl status`.

-- Counts at a glance. today is the business date in the configured time
-- zone, from clock.c (never current_date: tests run the daemon at any date).
-- Projects and milestones are summed from their tallies (tally.sql), kept
-- exact by triggers: a national ledger's 812k milestones are some 46k
-- tally rows, and status, /metrics and every refresh of them read these.
CREATE OR REPLACE FUNCTION keyproj_counts(today date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object(
    'today', today,
    'projects', (SELECT coalesce(sum(n), 0) FROM project_tally
                  WHERE keyproj_on_list(archived_on, today)),   -- the list as it stands
    'milestones', (SELECT jsonb_build_object(
                       'pending', coalesce(sum(n) FILTER (WHERE status = 'pending'), 0),
                       'done', coalesce(sum(n) FILTER (WHERE status = 'done'), 0),
                       'waived', coalesce(sum(n) FILTER (WHERE status = 'waived'), 0),
                       'overdue', coalesce(sum(n) FILTER (WHERE status = 'pending' AND due_on < today), 0))
                     FROM milestone_tally),
    'problems_open', (SELECT count(*) FROM problem WHERE status = 'open'),
    'deliveries', (SELECT jsonb_build_object(
                       'pending', count(*) FILTER (WHERE status = 'pending'),
                       'dead', count(*) FILTER (WHERE status = 'dead'))
                     FROM delivery WHERE status <> 'delivered'))
$$;

