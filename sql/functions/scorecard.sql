-- scorecard.sql — a window's 按期完成率 (share of its milestones done on or
-- before their due date), frozen when the window closes.
--
-- One home for the figures: keyproj_scorecard_rows counts them from the
-- ledger as it is; the freeze stores that once, and `campaign scorecard`
-- sets today's count beside what was frozen. Waived milestones are not
-- judged; a project taken off the list (调出) on or before the window's
-- last day is not in it.

-- City, county and sector from the window's rows of milestone_tally
-- (sql/functions/tally.sql keeps it: a national window's 135k milestones
-- are some 8k rows there); the unit answerable for a milestone (its own,
-- else its project's) is not in the tally, so units are counted from the
-- milestones. A query that keeps only some scopes (campaign scorecard
-- keeps the city and one) leaves the other branch unread: the function is
-- inlined and the scope a constant in each.
-- The units' rows of several windows in one pass over their milestones
-- (the freeze below: a ledger's first scan freezes every window closed
-- so far at once, and a pass for each read most of milestone's pages
-- each time, a window's milestones being spread over the whole table).
CREATE OR REPLACE FUNCTION keyproj_scorecard_unit_rows(p_campaigns bigint[])
RETURNS TABLE (campaign_id bigint, name text, nodes bigint, on_time bigint, late bigint, open bigint)
LANGUAGE sql STABLE AS $$
SELECT c.id, u.name, count(*),
       count(*) FILTER (WHERE m.status = 'done' AND m.done_on <= m.due_on),
       count(*) FILTER (WHERE m.status = 'done' AND m.done_on > m.due_on),
       count(*) FILTER (WHERE m.status = 'pending')
  FROM campaign c
  JOIN milestone m ON m.campaign_id = c.id
  JOIN project p ON p.id = m.project_id
  JOIN unit u ON u.id = coalesce(m.unit_id, p.unit_id)
 WHERE c.id = ANY (p_campaigns) AND m.status <> 'waived'
   AND keyproj_on_list(p.archived_on, c.ends_on)
 GROUP BY c.id, u.name
$$;

CREATE OR REPLACE FUNCTION keyproj_scorecard_rows(p_campaign bigint)
RETURNS TABLE (scope text, name text, nodes bigint, on_time bigint, late bigint, open bigint)
LANGUAGE sql STABLE AS $$
SELECT s.scope, s.name, sum(t.n)::bigint, sum(t.on_time)::bigint,
       (coalesce(sum(t.n) FILTER (WHERE t.status = 'done'), 0) - sum(t.on_time))::bigint,
       coalesce(sum(t.n) FILTER (WHERE t.status = 'pending'), 0)::bigint
  FROM campaign c
  JOIN milestone_tally t ON t.campaign_id = c.id
  JOIN county co ON co.id = t.county_id
 CROSS JOIN LATERAL (VALUES ('city', ''), ('county', co.name), ('sector', t.sector)) AS s(scope, name)
 WHERE c.id = p_campaign AND t.status <> 'waived'
   AND keyproj_on_list(t.archived_on, c.ends_on)
 GROUP BY s.scope, s.name
HAVING sum(t.n) > 0     -- rows fallen to 0 (milestones moved out) are no group
UNION ALL
SELECT 'unit', u.name, u.nodes, u.on_time, u.late, u.open
  FROM keyproj_scorecard_unit_rows(ARRAY[p_campaign]) u
$$;

-- Freezes every window that closed before p_today and has no scorecard
-- yet (its city row is the mark; a window without milestones gets a city
-- row of zeros). Run by the scan's leader at the start of every scan, so
-- a window is frozen by the first scan after its last day. Each freeze is
-- audited (scorecard.freeze, actor keyprojd). Returns the windows frozen.
CREATE OR REPLACE FUNCTION keyproj_scorecards_freeze(p_today date) RETURNS int
LANGUAGE plpgsql AS $fn$
DECLARE
    c record;
    v_n int := 0;
    v_city record;
    v_ids bigint[];
BEGIN
    v_ids := ARRAY(SELECT cp.id FROM campaign cp
                    WHERE cp.ends_on < p_today
                      AND NOT EXISTS (SELECT FROM scorecard s WHERE s.campaign_id = cp.id AND s.scope = 'city')
                    ORDER BY cp.id);
    IF cardinality(v_ids) = 0 THEN
        RETURN 0;
    END IF;
    -- the units of all of them in one pass; then each window's other rows
    -- (the unit branch of keyproj_scorecard_rows left unread)
    INSERT INTO scorecard (campaign_id, scope, name, nodes, on_time, late, open, frozen_on)
    SELECT r.campaign_id, 'unit', r.name, r.nodes, r.on_time, r.late, r.open, p_today
      FROM keyproj_scorecard_unit_rows(v_ids) r
    ON CONFLICT DO NOTHING;
    FOR c IN SELECT cp.id, cp.code FROM campaign cp WHERE cp.id = ANY (v_ids) ORDER BY cp.id LOOP
        INSERT INTO scorecard (campaign_id, scope, name, nodes, on_time, late, open, frozen_on)
        SELECT c.id, r.scope, r.name, r.nodes, r.on_time, r.late, r.open, p_today
          FROM keyproj_scorecard_rows(c.id) r
         WHERE r.scope <> 'unit'
        ON CONFLICT DO NOTHING;
        INSERT INTO scorecard (campaign_id, scope, name, nodes, on_time, late, open, frozen_on)
        VALUES (c.id, 'city', '', 0, 0, 0, 0, p_today)
        ON CONFLICT DO NOTHING;
        SELECT nodes, on_time INTO v_city FROM scorecard WHERE campaign_id = c.id AND scope = 'city';
        PERFORM keyproj_audit('keyprojd', 'scorecard.freeze', 'campaign:' || c.code, NULL,
                              jsonb_build_object('frozen_on', p_today, 'nodes', v_city.nodes,
                                                 'on_time', v_city.on_time,
                                                 'on_time_pct', round(100.0 * v_city.on_time / nullif(v_city.nodes, 0), 1)),
                              'ok', NULL);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END
$fn$;
