-- values.sql — pure helpers every concern shares: parsing the import's
-- dates, months and money, county groups, two-month campaign codes, and
-- dates and instants as administrators read them. No table, no clock.
--
-- Like every file in sql/functions/, applied again by daemon/migrate.c
-- (CREATE OR REPLACE) whenever the text of sql/functions/ changed: edit a
-- function here, never copy it into a migration.

-- 'YYYY-MM-DD' -> date, or NULL when the text is not a real calendar date
-- (2026-02-30 -> NULL). Never raises, so the import can report a row error
-- instead of aborting. make_date rather than a text::date cast because the
-- cast depends on DateStyle (STABLE) and would stop inlining. translate()
-- checks the shape several times faster than a regex (measured: it runs
-- four times per imported project).
CREATE OR REPLACE FUNCTION keyproj_parse_date(s text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN translate(s, '0123456789', '0000000000') IS DISTINCT FROM '0000-00-00' THEN NULL
    WHEN substr(s, 6, 2)::int NOT BETWEEN 1 AND 12 OR substr(s, 1, 4)::int < 1900 THEN NULL
    WHEN substr(s, 9, 2)::int BETWEEN 1 AND 28 THEN     -- every month has those
        make_date(substr(s, 1, 4)::int, substr(s, 6, 2)::int, substr(s, 9, 2)::int)
    WHEN substr(s, 9, 2)::int NOT BETWEEN 1 AND
         extract(day FROM make_date(substr(s, 1, 4)::int, substr(s, 6, 2)::int, 1)
                          + interval '1 month' - interval '1 day')::int THEN NULL
    ELSE make_date(substr(s, 1, 4)::int, substr(s, 6, 2)::int, substr(s, 9, 2)::int)
END
$$;

-- A month as the import gives it ('YYYY-MM-01', or 'YYYY-MM') -> its first
-- day; NULL if not a date. A date that is not the 1st is returned as is so
-- the caller can say "must be the first of the month".
CREATE OR REPLACE FUNCTION keyproj_parse_month(s text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN s ~ '^[0-9]{4}-[0-9]{2}$' THEN keyproj_parse_date(s || '-01')
            ELSE keyproj_parse_date(s) END
$$;

-- Decimal text in 万元 -> numeric, or NULL. Up to 12 integer digits and 4
-- decimals (fits numeric(16,4)); no sign, no exponent, no thousands
-- separators (the daemon's parse_amount has already normalised those).
-- Lengths are checked with strpos rather than regex bounds like {1,12}:
-- PostgreSQL expands bounded repetitions into large automata (2-10x slower).
CREATE OR REPLACE FUNCTION keyproj_parse_money(s text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN s ~ '^[0-9]+(\.[0-9]+)?$'
             AND strpos(s || '.', '.') <= 13
             AND length(s) - strpos(s || '.', '.') <= 4
            THEN s::numeric END
$$;

-- Ranking group guessed from a county's name, for counties the import meets
-- for the first time: 县/县级市 -> 'county' (县组); functional zones (高新区,
-- 经开区, 伊滨区, any 开发区/新区/示范区) -> 'zone'; other 区 -> 'district'
-- (城区组). NULL when the name fits none of these: the import refuses such a
-- name rather than invent a county from a typo like '涧西'.
CREATE OR REPLACE FUNCTION keyproj_county_group(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN name ~ '(县|市)$' THEN 'county'
    WHEN name ~ '(高新区|经开区|伊滨区)$' OR name ~ '(开发区|新区|示范区)' THEN 'zone'
    WHEN name ~ '区$' THEN 'district'
END
$$;

-- The two-month campaign holding a date: 2026-11-03 -> '2026-B6'.
CREATE OR REPLACE FUNCTION keyproj_bimonthly_code(d date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT to_char(d, 'YYYY') || '-B' || ((extract(month FROM d)::int + 1) / 2)::text
$$;

-- Title given to a milestone imported without one (the kind says it all).
CREATE OR REPLACE FUNCTION keyproj_milestone_kind_zh(kind text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE kind
    WHEN 'start' THEN '开工' WHEN 'structure' THEN '主体完工'
    WHEN 'topping' THEN '主体封顶' WHEN 'completion' THEN '竣工'
    WHEN 'operation' THEN '投产' WHEN 'investment' THEN '投资完成'
    WHEN 'approval' THEN '手续办理' END
$$;

-- (STABLE: to_char is, in principle, locale-dependent.)
CREATE OR REPLACE FUNCTION keyproj_ymd(d date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT to_char(d, 'YYYY-MM-DD')
$$;

-- An instant as the administrators read it: local time in the configured
-- zone (the daemon passes it), to the second.
CREATE OR REPLACE FUNCTION keyproj_local(p_at timestamptz, p_tz text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
SELECT to_char(p_at AT TIME ZONE p_tz, 'YYYY-MM-DD HH24:MI:SS')
$$;


-- Whether a project is on the list (in the live ledger) on today: never
-- archived, or archived (调出) only from a later date
-- (sql/0003_project_archive.sql). Every query meaning the live ledger —
-- projects, stats, rank, status, the scan's alerts, digests — asks this;
-- a plain SQL expression, so the planner inlines it.
CREATE OR REPLACE FUNCTION keyproj_on_list(p_archived_on date, p_today date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT p_archived_on IS NULL OR p_archived_on > p_today
$$;
