-- import.sql — keyproj_import(kind, rows, actor, dry_run) RETURNS jsonb,
-- and the COPY path daemon/cmd_import.c takes.
--
-- import.c parses and validates the CSV, maps values to canonical names and
-- calls this once. The function checks everything again (it is the last line
-- of defence and the only place that sees the database), collects ALL row
-- errors, and writes nothing unless there are none. One statement, so it is
-- atomic; keyed on natural keys, so it is idempotent: identical rows are
-- "unchanged", touch nothing and log nothing.
--
-- Shape: every kind stages its rows once into a temporary table (typed
-- values, existing state, final state, per-row errors, action), then writes
-- set-wise (INSERT ... SELECT, UPDATE ... FROM). No per-row loop.
--
-- "Not given" (key absent, JSON null or blank) means: on insert the default,
-- on update keep what is stored. An import therefore never clears a value.
--
-- The optional setting keyproj.request_id (SET LOCAL by the caller) is
-- copied into audit_log.request_id.

-- Row-error element {"column": c, "message": m}; the line is added later.
CREATE OR REPLACE FUNCTION keyproj_err(col text, msg text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT jsonb_build_object('column', col, 'message', msg)
$$;

-- Errors for a required enum column.
CREATE OR REPLACE FUNCTION keyproj_enum_err(col text, val text, allowed text[], required boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN val IS NULL AND required THEN keyproj_err(col, col || ' is required')
    WHEN val IS NOT NULL AND NOT (val = ANY (allowed)) THEN
        keyproj_err(col, format('unknown %s ''%s'' (expected %s)', col, val, array_to_string(allowed, ', ')))
END
$$;

-- Errors for a money column: raw text and the value parsed from it (parsed
-- once by the caller; parsing again here would double the cost).
CREATE OR REPLACE FUNCTION keyproj_money_err(col text, val text, parsed numeric, required boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN val IS NULL THEN CASE WHEN required THEN keyproj_err(col, col || ' is required') END
    WHEN parsed IS NOT NULL THEN NULL
    WHEN val ~ '^-' THEN keyproj_err(col, format('%s must not be negative (got %s)', col, val))
    ELSE keyproj_err(col, format('%s ''%s'' is not an amount in 万元 (up to 12 digits and 4 decimals)', col, val))
END
$$;

-- Errors for a date column (raw text and parsed value, as above).
CREATE OR REPLACE FUNCTION keyproj_date_err(col text, val text, parsed date, required boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN val IS NULL THEN CASE WHEN required THEN keyproj_err(col, col || ' is required') END
    WHEN parsed IS NULL THEN
        keyproj_err(col, format('%s ''%s'' is not a valid date (YYYY-MM-DD)', col, val))
END
$$;

-- Errors for a month column.
CREATE OR REPLACE FUNCTION keyproj_month_err(col text, val text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN val IS NULL THEN keyproj_err(col, col || ' is required')
    WHEN keyproj_parse_month(val) IS NULL THEN
        keyproj_err(col, format('%s ''%s'' is not a month (YYYY-MM-01)', col, val))
    WHEN extract(day FROM keyproj_parse_month(val)) <> 1 THEN
        keyproj_err(col, format('%s ''%s'' must be the first day of a month (YYYY-MM-01)', col, val))
END
$$;

-- The result object shared by all kinds. Counts cover the rows without
-- errors ("what would happen"); applied says whether anything was written.
-- (PL/pgSQL, not SQL: a SQL body would be checked at creation time, when the
-- per-call temporary table kp_stage does not exist.)
CREATE OR REPLACE FUNCTION keyproj_import_result(p_kind text, p_dry_run boolean, p_errors jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
RETURN (SELECT jsonb_build_object(
    'kind', p_kind,
    'rows', count(*),
    'inserted', count(*) FILTER (WHERE action = 'insert' AND cardinality(errs) = 0),
    'updated', count(*) FILTER (WHERE action = 'update' AND cardinality(errs) = 0),
    'unchanged', count(*) FILTER (WHERE action = 'unchanged' AND cardinality(errs) = 0),
    'errors', coalesce(p_errors, '[]'::jsonb),
    'dry_run', p_dry_run,
    'applied', NOT p_dry_run AND coalesce(jsonb_array_length(p_errors), 0) = 0)
FROM pg_temp.kp_stage);
END
$$;

-- All row errors of the stage, in line order, plus extra ones (cross-row).
CREATE OR REPLACE FUNCTION keyproj_stage_errors(p_extra jsonb DEFAULT '[]') RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
RETURN (SELECT jsonb_agg(e ORDER BY ord, seq)
FROM (
    SELECT s.ord, x.seq, jsonb_build_object('line', s.line) || x.e AS e
      FROM pg_temp.kp_stage s, unnest(s.errs) WITH ORDINALITY AS x(e, seq)
     WHERE cardinality(s.errs) > 0
    UNION ALL
    SELECT (x.e->>'ord')::int, 1000 + x.seq, x.e - 'ord'
      FROM jsonb_array_elements(p_extra) WITH ORDINALITY AS x(e, seq)
) all_errors);
END
$$;

-- ---------------------------------------------------------------------------
-- The staging table kp_src, and the two ways rows come into it
-- ---------------------------------------------------------------------------
--
-- keyprojd streams the rows (already validated and canonical) with COPY
-- straight into the staging table pg_temp.kp_src, in one transaction:
--
--   BEGIN;
--   SELECT keyproj_import_open(kind, columns);   -- creates kp_src, returns the COPY column list
--   COPY pg_temp.kp_src (…) FROM STDIN;
--   SELECT keyproj_import_staged(kind, actor, dry_run, request_id);
--   COMMIT;
--
-- keyproj_import() (the SQL interface) fills kp_src from a JSON document
-- instead (keyproj_import_json). Either way keyproj_import_run() imports
-- what kp_src holds with keyproj_import_<kind>_src(actor, dry_run), which
-- validates, classifies and writes: the two paths validate, classify and
-- write with the very same statements.

-- The columns a file of p_kind may give (import.c's canonical names), each
-- with its text column in kp_src.
CREATE OR REPLACE FUNCTION keyproj_import_columns(p_kind text) RETURNS TABLE (key text, col text)
LANGUAGE sql IMMUTABLE AS $$
SELECT n.key, n.col
  FROM (VALUES
    ('projects', 'code', 'code'),
    ('projects', 'name', 'name'),
    ('projects', 'year', 'year_t'),
    ('projects', 'level', 'level'),
    ('projects', 'county', 'county'),
    ('projects', 'sector', 'sector'),
    ('projects', 'category', 'category'),
    ('projects', 'status', 'status'),
    ('projects', 'owner', 'owner'),
    ('projects', 'unit', 'unit'),
    ('projects', 'leader', 'leader'),
    ('projects', 'leader_title', 'leader_title'),
    ('projects', 'leader_mobile', 'leader_mobile'),
    ('projects', 'contact', 'contact'),
    ('projects', 'contact_title', 'contact_title'),
    ('projects', 'contact_mobile', 'contact_mobile'),
    ('projects', 'total_investment', 'ti_t'),
    ('projects', 'annual_plan', 'ap_t'),
    ('projects', 'planned_start', 'ps_t'),
    ('projects', 'planned_end', 'pe_t'),
    ('projects', 'actual_start', 'as_t'),
    ('projects', 'actual_end', 'ae_t'),
    ('projects', 'completes_this_year', 'cty_t'),
    ('milestones', 'project', 'project'),
    ('milestones', 'campaign', 'campaign'),
    ('milestones', 'kind', 'kind'),
    ('milestones', 'title', 'title_t'),
    ('milestones', 'due', 'due_t'),
    ('milestones', 'unit', 'unit'),
    ('milestones', 'status', 'status'),
    ('milestones', 'done_on', 'done_t'),
    ('milestones', 'note', 'note'),
    ('milestones', 'waived_reason', 'waived_reason'),
    ('reports', 'project', 'project'),
    ('reports', 'month', 'month_t'),
    ('reports', 'amount', 'amount_t'),
    ('reports', 'ytd', 'ytd_t'),
    ('reports', 'since_start', 'since_t'),
    ('reports', 'progress', 'progress'),
    ('plans', 'project', 'project'),
    ('plans', 'month', 'month_t'),
    ('plans', 'planned_cumulative', 'pc_t'),
    ('approvals', 'project', 'project'),
    ('approvals', 'item', 'item'),
    ('approvals', 'unit', 'unit'),
    ('approvals', 'due', 'due_t'),
    ('approvals', 'done_on', 'done_t'),
    ('approvals', 'status', 'status'),
    ('approvals', 'note', 'note'),
    ('problems', 'project', 'project'),
    ('problems', 'category', 'category_t'),
    ('problems', 'description', 'description'),
    ('problems', 'severity', 'severity'),
    ('problems', 'unit', 'unit'),
    ('problems', 'reported_on', 'reported_t'),
    ('problems', 'time_limit', 'limit_t'),
    ('problems', 'status', 'status'),
    ('problems', 'resolved_on', 'resolved_t'),
    ('problems', 'resolution', 'resolution')
  ) AS n(kind, key, col)
 WHERE n.kind = p_kind
$$;

-- Creates the empty staging table pg_temp.kp_src of an import of p_kind
-- (dropping one left by an earlier import in this transaction) and, given
-- the canonical column names a file gives, returns the column list for
-- COPY: "ord, line, " and the staging column of each, in the order given.
-- ord numbers the rows from 1, line is the file's line.
CREATE OR REPLACE FUNCTION keyproj_import_open(p_kind text, p_columns text[]) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    v_cols text;
    v_list text;
    v_bad  text;
BEGIN
    SELECT string_agg(col || ' text', ', ') INTO v_cols FROM keyproj_import_columns(p_kind);
    IF v_cols IS NULL THEN
        RAISE EXCEPTION 'keyproj_import_open: unknown kind %', coalesce(quote_literal(p_kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'kind is one of projects, milestones, reports, plans, approvals, problems';
    END IF;
    IF to_regclass('pg_temp.kp_stage') IS NOT NULL THEN
        DROP TABLE pg_temp.kp_stage;
    END IF;
    IF to_regclass('pg_temp.kp_src') IS NOT NULL THEN
        DROP TABLE pg_temp.kp_src;
    END IF;
    EXECUTE format('CREATE TEMP TABLE kp_src (ord int, line int, is_obj boolean NOT NULL DEFAULT true, %s) '
                   'ON COMMIT DROP', v_cols);
    IF p_columns IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(n.col, ', ' ORDER BY g.i), min(g.key) FILTER (WHERE n.col IS NULL)
      INTO v_list, v_bad
      FROM unnest(p_columns) WITH ORDINALITY AS g(key, i)
      LEFT JOIN keyproj_import_columns(p_kind) n ON n.key = g.key;
    IF v_bad IS NOT NULL OR cardinality(p_columns) = 0 THEN
        RAISE EXCEPTION 'keyproj_import_open: % has no column %', p_kind, coalesce(quote_literal(v_bad), '(none given)')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN 'ord, line, ' || v_list;
END
$fn$;

-- Fills a new kp_src of p_kind from a JSON array of objects keyed by the
-- canonical names: each value trimmed, NULL when absent or blank (the
-- yes/no column in lower case); a row's line is its "line" member when
-- that is a number, else its place in the array. Non-objects are kept
-- (is_obj false), to be reported on their line.
CREATE OR REPLACE FUNCTION keyproj_import_json(p_kind text, p_rows jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    v_cols   text;
    v_values text;
BEGIN
    PERFORM keyproj_import_open(p_kind, NULL);
    SELECT string_agg(col, ', ' ORDER BY col),
           string_agg(format(CASE WHEN col = 'cty_t' THEN 'lower(nullif(btrim(e.j->>%L), ''''))'
                                  ELSE 'nullif(btrim(e.j->>%L), '''')' END, key), ', ' ORDER BY col)
      INTO v_cols, v_values
      FROM keyproj_import_columns(p_kind);
    EXECUTE format($q$
        INSERT INTO pg_temp.kp_src (ord, line, is_obj, %s)
        SELECT e.ord::int,
               coalesce(CASE WHEN e.j->>'line' ~ '^[0-9]+$' AND length(e.j->>'line') <= 9
                             THEN (e.j->>'line')::int END,
                        e.ord::int),
               jsonb_typeof(e.j) = 'object', %s
          FROM jsonb_array_elements($1) WITH ORDINALITY AS e(j, ord)$q$, v_cols, v_values)
    USING p_rows;
END
$fn$;

-- One import at a time: the classification (insert / update / unchanged)
-- is computed before the writes, so two overlapping imports could both
-- decide to insert the same code. Dry runs write nothing and need not
-- wait. Then the kind's import of what kp_src holds.
CREATE OR REPLACE FUNCTION keyproj_import_run(p_kind text, p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql
SET work_mem = '64MB'          -- staging sorts and hashes stay in memory up to ~100k rows
SET enable_mergejoin = off     -- the planner would sort 100k wide rows to merge with a 40-row table
SET jit = off                  -- JIT-compiling these wide statements costs seconds, saves nothing
SET default_statistics_target = 10  -- ANALYZE of the staging tables: a 3,000-row sample is plenty
AS $fn$
BEGIN
    IF NOT p_dry_run THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('keyproj.import', 0));
    END IF;
    RETURN CASE p_kind
        WHEN 'projects'   THEN keyproj_import_projects_src(p_actor, p_dry_run)
        WHEN 'milestones' THEN keyproj_import_milestones_src(p_actor, p_dry_run)
        WHEN 'reports'    THEN keyproj_import_reports_src(p_actor, p_dry_run)
        WHEN 'plans'      THEN keyproj_import_plans_src(p_actor, p_dry_run)
        WHEN 'approvals'  THEN keyproj_import_approvals_src(p_actor, p_dry_run)
        WHEN 'problems'   THEN keyproj_import_problems_src(p_actor, p_dry_run)
    END;
END
$fn$;

-- keyproj_import(kind, rows, actor, dry_run) -> {"kind", "rows", "inserted",
-- "updated", "unchanged", "errors": [{"line","column","message"}, …],
-- "dry_run", "applied"}. Row errors are data (returned, nothing written);
-- misuse (unknown kind, rows not an array, no actor) raises 22023.
CREATE OR REPLACE FUNCTION keyproj_import(kind text, rows jsonb, actor text, dry_run boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    k text := keyproj_import.kind;
    r jsonb := keyproj_import.rows;
    a text := nullif(btrim(keyproj_import.actor), '');
    d boolean := keyproj_import.dry_run;
BEGIN
    IF k IS NULL OR k NOT IN ('projects', 'milestones', 'reports', 'plans', 'approvals', 'problems') THEN
        RAISE EXCEPTION 'keyproj_import: unknown kind %', coalesce(quote_literal(k), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'kind is one of projects, milestones, reports, plans, approvals, problems';
    END IF;
    IF r IS NULL OR jsonb_typeof(r) <> 'array' THEN
        RAISE EXCEPTION 'keyproj_import: rows must be a JSON array of objects'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF a IS NULL THEN
        RAISE EXCEPTION 'keyproj_import: actor is required (it goes into audit_log)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF d IS NULL THEN
        RAISE EXCEPTION 'keyproj_import: dry_run must be true or false'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM keyproj_import_json(k, r);
    RETURN keyproj_import_run(k, a, d);
END
$fn$;

-- The import functions copy the setting keyproj.request_id into every
-- audit row they write. Setting it here, in the same statement as the
-- import, guarantees the order (a SELECT list evaluating set_config()
-- before keyproj_import() would only happen to). Transaction-local: it
-- ends with the statement's implicit transaction.
CREATE OR REPLACE FUNCTION keyproj_import_req(p_kind text, p_rows jsonb, p_actor text, p_dry_run boolean, p_req text)
RETURNS jsonb
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM set_config('keyproj.request_id', coalesce(p_req, ''), true);
    RETURN keyproj_import(p_kind, p_rows, p_actor, p_dry_run);
END
$fn$;

-- Imports the rows COPY put into pg_temp.kp_src: the same checks of the
-- arguments as keyproj_import(), the request id for the audit rows, then
-- keyproj_import_run(). Returns what keyproj_import() returns. The caller
-- commits.
-- p_completing: the configured completing milestone kinds
-- (keyproj_completing_kinds), which a milestones import passes on: a node
-- imported as done completes its project as `done` does.
-- p_new_units: import.new_units, "create" (NULL: the same) or "refuse"
-- (keyproj_stage_unit_errors).
DROP FUNCTION IF EXISTS keyproj_import_staged(text, text, boolean, text);
DROP FUNCTION IF EXISTS keyproj_import_staged(text, text, boolean, text, text[]);
CREATE OR REPLACE FUNCTION keyproj_import_staged(p_kind text, p_actor text, p_dry_run boolean, p_req text,
                                                 p_completing text[] DEFAULT NULL, p_new_units text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    a text := nullif(btrim(p_actor), '');
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('projects', 'milestones', 'reports', 'plans', 'approvals', 'problems') THEN
        RAISE EXCEPTION 'keyproj_import_staged: unknown kind %', coalesce(quote_literal(p_kind), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF to_regclass('pg_temp.kp_src') IS NULL THEN
        RAISE EXCEPTION 'keyproj_import_staged: no staged rows (call keyproj_import_open and COPY first)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF a IS NULL THEN
        RAISE EXCEPTION 'keyproj_import_staged: actor is required (it goes into audit_log)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_dry_run IS NULL THEN
        RAISE EXCEPTION 'keyproj_import_staged: dry_run must be true or false'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_new_units NOT IN ('create', 'refuse') THEN
        RAISE EXCEPTION 'keyproj_import_staged: new_units must be create or refuse, not %', quote_literal(p_new_units)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('keyproj.request_id', coalesce(p_req, ''), true);
    IF p_completing IS NOT NULL THEN
        PERFORM set_config('keyproj.completing_kinds', p_completing::text, true);
    END IF;
    PERFORM set_config('keyproj.import_new_units', coalesce(p_new_units, 'create'), true);
    RETURN keyproj_import_run(p_kind, a, p_dry_run);
END
$fn$;

-- Once an import of p_kind is committed (daemon/cmd_import.c, on the
-- import's own connection): the planner's statistics of the tables that
-- kind writes, of those that have rows. An empty one is left alone:
-- analysed as empty it is planned as empty, and the next import filling
-- it would then scan it whole once per row wherever a cached plan looks a
-- row up (a table never analysed is planned as at least ten pages).
-- ANALYZE samples a bounded number of rows (300 × the statistics target)
-- whatever the size; a lock held elsewhere is waited for 5 s at most.
CREATE OR REPLACE FUNCTION keyproj_import_analyze(p_kind text) RETURNS void
LANGUAGE plpgsql
SET lock_timeout = '5s'
AS $fn$
DECLARE
    t text;
    v_rows boolean;
BEGIN
    FOREACH t IN ARRAY CASE p_kind
        WHEN 'projects'   THEN ARRAY['project', 'county', 'unit', 'person']
        WHEN 'milestones' THEN ARRAY['milestone', 'approval', 'campaign', 'unit']   -- approval: its trigger
        WHEN 'reports'    THEN ARRAY['investment_report']
        WHEN 'plans'      THEN ARRAY['investment_plan']
        WHEN 'approvals'  THEN ARRAY['approval', 'unit']
        WHEN 'problems'   THEN ARRAY['problem', 'unit']
        ELSE '{}'::text[] END
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t) INTO v_rows;
        IF v_rows THEN
            EXECUTE format('ANALYZE %I', t);
        END IF;
    END LOOP;
END
$fn$;

-- The four JSON fillers keyproj_import_<kind>(rows, actor, dry_run) that
-- keyproj_import_json replaced, gone from the databases they were applied to.
DROP FUNCTION IF EXISTS keyproj_import_projects(jsonb, text, boolean);
DROP FUNCTION IF EXISTS keyproj_import_milestones(jsonb, text, boolean);
DROP FUNCTION IF EXISTS keyproj_import_reports(jsonb, text, boolean);
DROP FUNCTION IF EXISTS keyproj_import_plans(jsonb, text, boolean);

-- ---------------------------------------------------------------------------
-- The staged import: the steps every kind takes
-- ---------------------------------------------------------------------------

-- Before a kind stages kp_src into pg_temp.kp_stage: drops the stage of an
-- earlier import in this transaction, and gives the planner kp_src's
-- statistics.
CREATE OR REPLACE FUNCTION keyproj_import_restage() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.kp_stage') IS NOT NULL THEN
        DROP TABLE pg_temp.kp_stage;
    END IF;
    ANALYZE pg_temp.kp_src;
END
$fn$;

-- After staging: the result to return at once, when a row has an error
-- (p_extra: cross-row errors), on a dry run, or when no row is new or
-- changed (then no table is touched: even a 0-row INSERT would fire the
-- statement-level NOTIFY and wake the alert engine). Else result is NULL,
-- inserts and updates count the rows to write, and kp_stage is analyzed
-- for the writes.
CREATE OR REPLACE FUNCTION keyproj_import_check(p_kind text, p_dry_run boolean, p_extra jsonb DEFAULT '[]',
                                                OUT result jsonb, OUT inserts bigint, OUT updates bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_errors jsonb := keyproj_stage_errors(p_extra || CASE WHEN p_kind IN ('projects', 'milestones', 'approvals', 'problems')
                                                           THEN keyproj_stage_unit_errors() ELSE '[]' END);
BEGIN
    IF v_errors IS NOT NULL OR p_dry_run THEN
        result := keyproj_import_result(p_kind, p_dry_run, v_errors);
        RETURN;
    END IF;
    SELECT count(*) FILTER (WHERE action = 'insert'), count(*) FILTER (WHERE action = 'update')
      INTO inserts, updates FROM pg_temp.kp_stage;
    IF inserts + updates = 0 THEN
        result := keyproj_import_result(p_kind, p_dry_run, NULL);
        RETURN;
    END IF;
    ANALYZE pg_temp.kp_stage;
END
$fn$;

-- A unit the staged rows name that the ledger does not know but that is
-- one character from a known one (市住健局 for 市住建局) is refused with a
-- suggestion, as a county is (ledger.sql). Any other new name is created
-- (keyproj_import_new_units), unless import.new_units is "refuse" (the
-- setting keyproj.import_new_units, set by keyproj_import_staged): then
-- units are a known list as counties are, and a name the ledger does not
-- know is refused until `unit add` declares it; only an import into a
-- ledger that knows no unit yet creates the units it names. For the kinds
-- whose rows name a unit.
CREATE OR REPLACE FUNCTION keyproj_stage_unit_errors() RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_known bigint := CASE WHEN current_setting('keyproj.import_new_units', true) = 'refuse'
                           THEN (SELECT count(*) FROM unit) ELSE 0 END;
BEGIN
    RETURN (
        -- MATERIALIZED: one suggestion per unknown name; inlined, the
        -- planner asks for one per row (every row, on a new ledger)
        WITH unknown AS MATERIALIZED (
            SELECT n.name, keyproj_unit_suggest(n.name) AS near
              FROM (SELECT DISTINCT s.unit AS name FROM pg_temp.kp_stage s
                     WHERE s.unit IS NOT NULL AND NOT EXISTS (SELECT 1 FROM unit u WHERE u.name = s.unit)) n)
        SELECT coalesce(jsonb_agg(jsonb_build_object('ord', s.ord, 'line', s.line, 'column', 'unit',
                                                     'message', CASE WHEN k.near IS NOT NULL
                                                                     THEN keyproj_unit_refusal(s.unit, k.near)
                                                                     ELSE keyproj_unit_unknown(s.unit, v_known) END)
                                  ORDER BY s.ord), '[]')
          FROM pg_temp.kp_stage s JOIN unknown k ON k.name = s.unit
         WHERE k.near IS NOT NULL OR v_known > 0);
END
$fn$;

-- The units that the staged rows to write name and that do not exist yet,
-- created and audited. NOT EXISTS before ON CONFLICT so that known names
-- do not even draw an identity value. Returns the number created.
CREATE OR REPLACE FUNCTION keyproj_import_new_units(p_actor text, p_action text, p_req text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_n bigint;
BEGIN
    WITH ins AS (
        INSERT INTO unit (name)
        SELECT DISTINCT s.f_unit
          FROM pg_temp.kp_stage s
         WHERE s.action <> 'unchanged' AND s.unit IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM unit u WHERE u.name = s.f_unit)
        ON CONFLICT (name) DO NOTHING
        RETURNING name)
    SELECT keyproj_audit_rows(p_actor, p_action, p_req, array_agg('unit:' || name), NULL,
                              array_agg(jsonb_build_object('name', name)))
      INTO v_n
      FROM ins;
    RETURN v_n;
END
$fn$;

CREATE OR REPLACE FUNCTION keyproj_import_projects_src(p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_req    text := nullif(current_setting('keyproj.request_id', true), '');
    v_action text := 'import.projects';
    v_audited bigint;   -- audit rows written (unused)
    v_extra  jsonb;
    v_result jsonb;
    v_ins    bigint;
    v_upd    bigint;
BEGIN
    PERFORM keyproj_import_restage();

    CREATE TEMP TABLE kp_stage ON COMMIT DROP AS
    -- OFFSET 0: parse each value once, however many later expressions
    -- (errors, change test, output) read it; pulled up into them, each
    -- would parse again. (Not MATERIALIZED: that writes every row to a
    -- tuplestore first.)
    WITH typed AS (
        SELECT s.*,
               CASE WHEN s.year_t ~ '^[0-9]{4}$' AND s.year_t::int BETWEEN 2000 AND 2100
                    THEN s.year_t::int END AS year,
               keyproj_parse_money(s.ti_t)::numeric(16,4) AS ti,
               keyproj_parse_money(s.ap_t)::numeric(16,4) AS ap,
               keyproj_parse_date(s.ps_t) AS ps,
               keyproj_parse_date(s.pe_t) AS pe,
               keyproj_parse_date(s.as_t) AS as_,
               keyproj_parse_date(s.ae_t) AS ae,
               CASE WHEN s.cty_t IN ('true', 't', '1', 'yes', 'y') THEN true
                    WHEN s.cty_t IN ('false', 'f', '0', 'no', 'n') THEN false END AS cty
          FROM pg_temp.kp_src s
        OFFSET 0
    ), dup AS (
        -- Codes given on more than one line, with the first such line.
        -- Hashed: sorting the wide rows by code for a window cost more
        -- than the rest of the parsing.
        SELECT d.code, d.first_ord, f.line AS first_line
          FROM (SELECT code, min(ord) AS first_ord FROM pg_temp.kp_src
                 WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1) d
          JOIN pg_temp.kp_src f ON f.ord = d.first_ord
    ), ex AS (   -- the existing project, seen the way the import sees it
        SELECT t.*, pr.id AS pid,
               pr.name AS o_name, pr.year AS o_year, pr.level AS o_level, oc.name AS o_county,
               pr.sector AS o_sector, pr.category AS o_category, pr.status AS o_status,
               pr.owner AS o_owner, ou.name AS o_unit,
               ol.name AS o_leader, ol.title AS o_leader_title, ol.mobile AS o_leader_mobile,
               ok.name AS o_contact, ok.title AS o_contact_title, ok.mobile AS o_contact_mobile,
               pr.total_investment AS o_ti, pr.annual_plan AS o_ap,
               pr.planned_start AS o_ps, pr.planned_end AS o_pe,
               pr.actual_start AS o_as, pr.actual_end AS o_ae,
               pr.completes_this_year AS o_cty,
               (cy.id IS NOT NULL) AS county_exists, ce.err AS county_err,
               CASE WHEN t.ord > dp.first_ord THEN 2 ELSE 1 END AS dup_n, dp.first_line AS dup_first
          FROM typed t
          LEFT JOIN dup dp ON dp.code = t.code
          LEFT JOIN project pr ON pr.code = t.code
          LEFT JOIN county oc ON oc.id = pr.county_id
          LEFT JOIN unit ou ON ou.id = pr.unit_id
          LEFT JOIN person ol ON ol.id = pr.leader_id
          LEFT JOIN person ok ON ok.id = pr.contact_id
          LEFT JOIN county cy ON cy.name = t.county
          -- an unknown county's error (none when the import may create
          -- it) once per name, not once per row: on a new ledger every row
          -- names an unknown county
          LEFT JOIN (SELECT n.county, keyproj_county_err(n.county) AS err
                       FROM (SELECT DISTINCT county FROM pg_temp.kp_src WHERE county IS NOT NULL) n
                      WHERE NOT EXISTS (SELECT 1 FROM county c WHERE c.name = n.county)) ce
                 ON ce.county = t.county
    ), pn AS (
        -- People by name, stored or named with a mobile in this file, to
        -- resolve a name given without a mobile. (Reads kp_src, not typed:
        -- every CTE here is referenced once, so the planner streams one
        -- pipeline of hash joins instead of materialising wide rows.)
        SELECT name, count(*) AS n, min(mobile) AS mobile
          FROM (SELECT name, mobile FROM person
                UNION
                SELECT leader, leader_mobile FROM pg_temp.kp_src WHERE leader IS NOT NULL AND leader_mobile IS NOT NULL
                UNION
                SELECT contact, contact_mobile FROM pg_temp.kp_src WHERE contact IS NOT NULL AND contact_mobile IS NOT NULL) x
         GROUP BY name
    ), pt AS (
        -- Each person's title as this import leaves it: the one the file
        -- gives (contradictions are refused below), else the stored one.
        -- So a line naming a person without a title shows the title another
        -- line gives. One lookup table: two joins below instead of four.
        SELECT name, mobile_key, coalesce(min(ftitle), min(ptitle)) AS title
          FROM (SELECT name, coalesce(mobile, '') AS mobile_key, NULL::text AS ftitle, title AS ptitle
                  FROM person
                UNION ALL
                SELECT leader, coalesce(leader_mobile, ''), leader_title, NULL
                  FROM pg_temp.kp_src WHERE leader IS NOT NULL AND leader_title IS NOT NULL
                UNION ALL
                SELECT contact, coalesce(contact_mobile, ''), contact_title, NULL
                  FROM pg_temp.kp_src WHERE contact IS NOT NULL AND contact_title IS NOT NULL) x
         GROUP BY 1, 2
    ), res AS (
        -- Which person a (name, mobile) means. Name without mobile: the
        -- project's current person if the name matches, else the only person
        -- of that name (in the table or in this file), else the
        -- (name, no mobile) person.
        SELECT x.*,
               coalesce(x.leader, x.o_leader) AS f_leader,
               CASE WHEN x.leader IS NULL THEN x.o_leader_mobile
                    WHEN x.leader_mobile IS NOT NULL THEN x.leader_mobile
                    WHEN x.leader = x.o_leader THEN x.o_leader_mobile
                    WHEN lpn.n = 1 THEN lpn.mobile END AS f_leader_mobile,
               coalesce(x.contact, x.o_contact) AS f_contact,
               CASE WHEN x.contact IS NULL THEN x.o_contact_mobile
                    WHEN x.contact_mobile IS NOT NULL THEN x.contact_mobile
                    WHEN x.contact = x.o_contact THEN x.o_contact_mobile
                    WHEN cpn.n = 1 THEN cpn.mobile END AS f_contact_mobile
          FROM ex x
          LEFT JOIN pn lpn ON lpn.name = x.leader
          LEFT JOIN pn cpn ON cpn.name = x.contact
    ), fin AS (
        -- A person's title: given on this line, else as pt says.
        SELECT r.*,
               CASE WHEN r.leader IS NULL THEN r.o_leader_title
                    ELSE coalesce(r.leader_title, lt.title) END AS f_leader_title,
               CASE WHEN r.contact IS NULL THEN r.o_contact_title
                    ELSE coalesce(r.contact_title, ct.title) END AS f_contact_title,
               coalesce(r.status, r.o_status,
                        CASE r.category WHEN 'continuing' THEN 'building' ELSE 'preliminary' END) AS f_status,
               coalesce(r.owner, r.o_owner) AS f_owner,
               coalesce(r.unit, r.o_unit) AS f_unit,
               coalesce(r.ti, r.o_ti) AS f_ti,
               coalesce(r.ap, r.o_ap) AS f_ap,
               coalesce(r.ps, r.o_ps) AS f_ps,
               coalesce(r.pe, r.o_pe) AS f_pe,
               coalesce(r.as_, r.o_as) AS f_as,
               coalesce(r.ae, r.o_ae) AS f_ae,
               coalesce(r.cty, r.o_cty, false) AS f_cty
          FROM res r
          LEFT JOIN pt lt ON r.leader IS NOT NULL AND lt.name = r.f_leader
                         AND lt.mobile_key = coalesce(r.f_leader_mobile, '')
          LEFT JOIN pt ct ON r.contact IS NOT NULL AND ct.name = r.f_contact
                         AND ct.mobile_key = coalesce(r.f_contact_mobile, '')
    )
    -- Only what the writes need: the stage is written to a temporary table,
    -- and its width is most of the cost of that write.
    SELECT f.ord, f.line, f.code, f.name, f.year, f.level, f.county, f.county_exists, f.sector,
           f.category, f.unit, f.leader, f.leader_title, f.contact, f.contact_title, f.pid,
           f.f_status, f.f_owner, f.f_unit, f.f_leader, f.f_leader_mobile, f.f_leader_title,
           f.f_contact, f.f_contact_mobile, f.f_contact_title, f.f_ti, f.f_ap, f.f_ps, f.f_pe,
           f.f_as, f.f_ae, f.f_cty,
           f.o_name, f.o_year, f.o_level, f.o_county, f.o_sector, f.o_category, f.o_status,
           f.o_owner, f.o_unit, f.o_leader, f.o_leader_title, f.o_leader_mobile, f.o_contact,
           f.o_contact_title, f.o_contact_mobile, f.o_ti, f.o_ap, f.o_ps, f.o_pe, f.o_as, f.o_ae,
           f.o_cty,
           CASE WHEN NOT f.is_obj THEN ARRAY[keyproj_err('', 'row is not a JSON object')]
           ELSE array_remove(ARRAY[
               CASE WHEN f.code IS NULL THEN keyproj_err('code', 'code is required')
                    WHEN NOT keyproj_is_code(f.code, 64) THEN
                        keyproj_err('code', format('code ''%s'' must be 1 to 64 characters without blanks', f.code))
                    WHEN f.dup_n > 1 THEN
                        keyproj_err('code', format('duplicate code ''%s'' (already on line %s)', f.code, f.dup_first)) END,
               CASE WHEN f.name IS NULL THEN keyproj_err('name', 'name is required') END,
               CASE WHEN f.year_t IS NULL THEN keyproj_err('year', 'year is required')
                    WHEN f.year IS NULL THEN keyproj_err('year', format('year ''%s'' is not a year between 2000 and 2100', f.year_t)) END,
               keyproj_enum_err('level', f.level, '{province,city}', true),
               CASE WHEN f.county IS NULL THEN keyproj_err('county', 'county is required')
                    WHEN NOT f.county_exists THEN f.county_err END,
               keyproj_enum_err('sector', f.sector, '{industry,urban,infrastructure,livelihood,ecology,other}', true),
               keyproj_enum_err('category', f.category, '{new,continuing,preliminary}', true),
               keyproj_enum_err('status', f.status, '{preliminary,building,suspended,completed,operating}', false),
               CASE WHEN f.leader IS NULL AND (f.leader_mobile IS NOT NULL OR f.leader_title IS NOT NULL) THEN
                        keyproj_err('leader', 'leader_mobile/leader_title given without leader') END,
               CASE WHEN NOT keyproj_is_phone(f.leader_mobile) THEN
                        keyproj_err('leader_mobile', format('leader_mobile ''%s'' is not a phone number', f.leader_mobile)) END,
               CASE WHEN f.contact IS NULL AND (f.contact_mobile IS NOT NULL OR f.contact_title IS NOT NULL) THEN
                        keyproj_err('contact', 'contact_mobile/contact_title given without contact') END,
               CASE WHEN NOT keyproj_is_phone(f.contact_mobile) THEN
                        keyproj_err('contact_mobile', format('contact_mobile ''%s'' is not a phone number', f.contact_mobile)) END,
               keyproj_money_err('total_investment', f.ti_t, f.ti, false),
               keyproj_money_err('annual_plan', f.ap_t, f.ap, false),
               keyproj_date_err('planned_start', f.ps_t, f.ps, false),
               keyproj_date_err('planned_end', f.pe_t, f.pe, false),
               CASE WHEN f.f_pe < f.f_ps THEN
                        keyproj_err('planned_end', format('planned_end %s is before planned_start %s', f.f_pe, f.f_ps)) END,
               keyproj_date_err('actual_start', f.as_t, f.as_, false),
               keyproj_date_err('actual_end', f.ae_t, f.ae, false),
               CASE WHEN f.f_ae < f.f_as THEN
                        keyproj_err('actual_end', format('actual_end %s is before actual_start %s', f.f_ae, f.f_as)) END,
               CASE WHEN f.cty_t IS NOT NULL AND f.cty IS NULL THEN
                        keyproj_err('completes_this_year', format('completes_this_year ''%s'' is not true or false', f.cty_t)) END
           ], NULL) END AS errs,
           CASE WHEN f.pid IS NULL THEN 'insert'
                WHEN (f.name, f.year, f.level, f.county, f.sector, f.category, f.f_status, f.f_owner,
                      f.f_unit, f.f_leader, f.f_leader_mobile, f.f_leader_title,
                      f.f_contact, f.f_contact_mobile, f.f_contact_title,
                      f.f_ti, f.f_ap, f.f_ps, f.f_pe, f.f_as, f.f_ae, f.f_cty)
                     IS DISTINCT FROM
                     (f.o_name, f.o_year, f.o_level, f.o_county, f.o_sector, f.o_category, f.o_status, f.o_owner,
                      f.o_unit, f.o_leader, f.o_leader_mobile, f.o_leader_title,
                      f.o_contact, f.o_contact_mobile, f.o_contact_title,
                      f.o_ti, f.o_ap, f.o_ps, f.o_pe, f.o_as, f.o_ae, f.o_cty)
                THEN 'update' ELSE 'unchanged' END AS action
      FROM fin f;

    -- Cross-row: one person may not be given two titles in one file (the
    -- last would win and the next identical import would "update" again).
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'ord', ord, 'line', line, 'column', col,
               'message', format('%s ''%s'' for %s%s contradicts ''%s'' on line %s',
                                 col, title, name, coalesce(' (' || mobile || ')', ''), t1, l1))), '[]')
      INTO v_extra
      FROM (SELECT x.*, first_value(title) OVER w AS t1, first_value(line) OVER w AS l1
              FROM (SELECT ord, line, 'leader_title' AS col, f_leader AS name, f_leader_mobile AS mobile,
                           leader_title AS title
                      FROM pg_temp.kp_stage WHERE leader IS NOT NULL AND leader_title IS NOT NULL
                    UNION ALL
                    SELECT ord, line, 'contact_title', f_contact, f_contact_mobile, contact_title
                      FROM pg_temp.kp_stage WHERE contact IS NOT NULL AND contact_title IS NOT NULL) x
              -- only the people given two titles are sorted (hashing finds them)
              JOIN (SELECT name, coalesce(mobile, '') AS mobile_key
                      FROM (SELECT f_leader AS name, f_leader_mobile AS mobile, leader_title AS title
                              FROM pg_temp.kp_stage WHERE leader IS NOT NULL AND leader_title IS NOT NULL
                            UNION ALL
                            SELECT f_contact, f_contact_mobile, contact_title
                              FROM pg_temp.kp_stage WHERE contact IS NOT NULL AND contact_title IS NOT NULL) t
                     GROUP BY 1, 2 HAVING count(DISTINCT title) > 1) two
                ON two.name = x.name AND two.mobile_key = coalesce(x.mobile, '')
            WINDOW w AS (PARTITION BY x.name COLLATE "C", coalesce(x.mobile, '') COLLATE "C"
                         ORDER BY x.ord, x.col DESC)) y
     WHERE title <> t1;

    SELECT * INTO v_result, v_ins, v_upd FROM keyproj_import_check('projects', p_dry_run, v_extra);
    IF v_result IS NOT NULL THEN   -- errors, a dry run, or nothing to write
        RETURN v_result;
    END IF;

    -- Reference rows first: counties (only on a ledger that knew none:
    -- keyproj_county_err refused any other new one), units, people. NOT
    -- EXISTS before ON CONFLICT so that known names do not even draw an
    -- identity value.
    WITH ins AS (
        INSERT INTO county (name, grp)
        SELECT DISTINCT s.county, keyproj_county_group(s.county)
          FROM pg_temp.kp_stage s
         WHERE s.action <> 'unchanged' AND NOT s.county_exists
        ON CONFLICT (name) DO NOTHING
        RETURNING name, grp)
    SELECT keyproj_audit_rows(p_actor, v_action, v_req,
                              array_agg('county:' || name),
                              NULL,
                              array_agg(jsonb_build_object('name', name, 'grp', grp)))
      INTO v_audited
      FROM ins;

    v_audited := keyproj_import_new_units(p_actor, v_action, v_req);

    IF to_regclass('pg_temp.kp_people') IS NOT NULL THEN
        DROP TABLE pg_temp.kp_people;
    END IF;
    CREATE TEMP TABLE kp_people ON COMMIT DROP AS
    SELECT name, mobile, max(title) AS title   -- at most one distinct given title (checked above)
      FROM (SELECT f_leader AS name, f_leader_mobile AS mobile, leader_title AS title
              FROM pg_temp.kp_stage WHERE action <> 'unchanged' AND leader IS NOT NULL
            UNION ALL
            SELECT f_contact, f_contact_mobile, contact_title
              FROM pg_temp.kp_stage WHERE action <> 'unchanged' AND contact IS NOT NULL) x
     GROUP BY name, mobile;

    WITH ins AS (
        INSERT INTO person (name, mobile, title)
        SELECT w.name, w.mobile, w.title
          FROM pg_temp.kp_people w
         WHERE NOT EXISTS (SELECT 1 FROM person p
                            WHERE p.name = w.name AND coalesce(p.mobile, '') = coalesce(w.mobile, ''))
        ON CONFLICT (name, mobile) DO NOTHING
        RETURNING name, mobile, title)
    SELECT keyproj_audit_rows(p_actor, v_action, v_req,
                              array_agg('person:' || name || coalesce('/' || mobile, '')),
                              NULL,
                              array_agg(jsonb_strip_nulls(jsonb_build_object('name', name, 'mobile', mobile, 'title', title))))
      INTO v_audited
      FROM ins;

    WITH upd AS (   -- the self-join "o" still shows the title before the update
        UPDATE person p SET title = w.title
          FROM pg_temp.kp_people w, person o
         WHERE p.name = w.name AND coalesce(p.mobile, '') = coalesce(w.mobile, '')
           AND o.id = p.id
           AND w.title IS NOT NULL AND p.title IS DISTINCT FROM w.title
        RETURNING p.name, p.mobile, w.title, o.title AS old_title)
    SELECT keyproj_audit_rows(p_actor, v_action, v_req,
                              array_agg('person:' || name || coalesce('/' || mobile, '')),
                              array_agg(jsonb_build_object('title', old_title)),
                              array_agg(jsonb_build_object('title', title)))
      INTO v_audited
      FROM upd;

    -- The projects.
    IF v_ins > 0 THEN
        INSERT INTO project (code, name, year, level, county_id, sector, category, status, owner,
                             unit_id, leader_id, contact_id, total_investment, annual_plan,
                             planned_start, planned_end, actual_start, actual_end, completes_this_year)
        SELECT s.code, s.name, s.year, s.level, cy.id, s.sector, s.category, s.f_status, s.f_owner,
               u.id, lp.id, cp.id, s.f_ti, s.f_ap, s.f_ps, s.f_pe, s.f_as, s.f_ae, s.f_cty
          FROM pg_temp.kp_stage s
          JOIN county cy ON cy.name = s.county
          LEFT JOIN unit u ON u.name = s.f_unit
          LEFT JOIN person lp ON lp.name = s.f_leader AND coalesce(lp.mobile, '') = coalesce(s.f_leader_mobile, '')
          LEFT JOIN person cp ON cp.name = s.f_contact AND coalesce(cp.mobile, '') = coalesce(s.f_contact_mobile, '')
         WHERE s.action = 'insert'
         ORDER BY s.ord;
    END IF;

    IF v_upd > 0 THEN
        UPDATE project p
           SET name = s.name, year = s.year, level = s.level, county_id = s.county_id,
               sector = s.sector, category = s.category, status = s.f_status, owner = s.f_owner,
               unit_id = s.unit_id, leader_id = s.leader_id, contact_id = s.contact_id,
               total_investment = s.f_ti, annual_plan = s.f_ap,
               planned_start = s.f_ps, planned_end = s.f_pe, actual_start = s.f_as, actual_end = s.f_ae,
               completes_this_year = s.f_cty
          FROM (SELECT s.*, cy.id AS county_id, u.id AS unit_id, lp.id AS leader_id, cp.id AS contact_id
                  FROM pg_temp.kp_stage s
                  JOIN county cy ON cy.name = s.county
                  LEFT JOIN unit u ON u.name = s.f_unit
                  LEFT JOIN person lp ON lp.name = s.f_leader
                                     AND coalesce(lp.mobile, '') = coalesce(s.f_leader_mobile, '')
                  LEFT JOIN person cp ON cp.name = s.f_contact
                                     AND coalesce(cp.mobile, '') = coalesce(s.f_contact_mobile, '')
                 WHERE s.action = 'update') s
         WHERE p.id = s.pid;
    END IF;

    -- One audit row per written project, the inserted ones first.
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, v_action, 'project:' || a.code, keyproj_audit_old(a.o, a.n), keyproj_audit_new(a.o, a.n),
           'ok', v_req
      FROM (SELECT s.code,
                   CASE WHEN s.action = 'update' THEN jsonb_build_object(
                       'name', s.o_name, 'year', s.o_year, 'level', s.o_level, 'county', s.o_county,
                       'sector', s.o_sector, 'category', s.o_category, 'status', s.o_status, 'owner', s.o_owner,
                       'unit', s.o_unit, 'leader', s.o_leader, 'leader_title', s.o_leader_title,
                       'leader_mobile', s.o_leader_mobile, 'contact', s.o_contact,
                       'contact_title', s.o_contact_title, 'contact_mobile', s.o_contact_mobile,
                       'total_investment', s.o_ti, 'annual_plan', s.o_ap, 'planned_start', s.o_ps,
                       'planned_end', s.o_pe, 'actual_start', s.o_as, 'actual_end', s.o_ae,
                       'completes_this_year', s.o_cty) END AS o,
                   jsonb_build_object(
                       'name', s.name, 'year', s.year, 'level', s.level, 'county', s.county,
                       'sector', s.sector, 'category', s.category, 'status', s.f_status, 'owner', s.f_owner,
                       'unit', s.f_unit, 'leader', s.f_leader, 'leader_title', s.f_leader_title,
                       'leader_mobile', s.f_leader_mobile, 'contact', s.f_contact,
                       'contact_title', s.f_contact_title, 'contact_mobile', s.f_contact_mobile,
                       'total_investment', s.f_ti, 'annual_plan', s.f_ap, 'planned_start', s.f_ps,
                       'planned_end', s.f_pe, 'actual_start', s.f_as, 'actual_end', s.f_ae,
                       'completes_this_year', s.f_cty) AS n
              FROM (SELECT * FROM pg_temp.kp_stage WHERE action <> 'unchanged' ORDER BY action, ord) s) a;

    RETURN keyproj_import_result('projects', p_dry_run, NULL);
END
$fn$;

CREATE OR REPLACE FUNCTION keyproj_import_milestones_src(p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_req    text := nullif(current_setting('keyproj.request_id', true), '');
    v_action text := 'import.milestones';
    v_audited bigint;   -- audit rows written (unused)
    v_completed jsonb;  -- the projects its done nodes completed
    v_result jsonb;
    v_ins    bigint;
    v_upd    bigint;
BEGIN
    PERFORM keyproj_import_restage();

    CREATE TEMP TABLE kp_stage ON COMMIT DROP AS
    -- MATERIALIZED: parse each value once, however many later expressions
    -- (errors, change test, output) read it; inlined, each would parse again.
    WITH typed AS MATERIALIZED (
        SELECT s.*,
               coalesce(s.title_t, keyproj_milestone_kind_zh(s.kind)) AS title,
               keyproj_parse_date(s.due_t) AS due,
               keyproj_parse_date(s.done_t) AS done_on
          FROM pg_temp.kp_src s
    ), ex AS (
        SELECT t.*, pr.id AS pid, c.id AS cid,
               (c.id IS NULL AND keyproj_is_bimonthly_code(t.campaign)) AS campaign_new,
               coalesce(c.name, CASE WHEN keyproj_is_bimonthly_code(t.campaign) THEN
                   format('%s年第%s期双月攻坚', substr(t.campaign, 1, 4), substr(t.campaign, 7, 1)) END) AS c_name,
               coalesce(c.starts_on, keyproj_bimonthly_start(t.campaign)) AS c_starts,
               coalesce(c.ends_on, keyproj_bimonthly_end(t.campaign)) AS c_ends,
               m.id AS mid, m.due_on AS o_due, ou.name AS o_unit, m.status AS o_status,
               m.done_on AS o_done_on, m.note AS o_note, m.waived_reason AS o_waived_reason,
               CASE WHEN t.project IS NOT NULL AND t.campaign IS NOT NULL AND t.kind IS NOT NULL
                         AND t.title IS NOT NULL
                    THEN row_number() OVER k END AS dup_n,
               first_value(t.line) OVER k AS dup_first
          FROM typed t
          LEFT JOIN project pr ON pr.code = t.project
          LEFT JOIN campaign c ON c.code = t.campaign
          LEFT JOIN milestone m ON m.project_id = pr.id AND m.campaign_id = c.id
                               AND m.kind = t.kind AND m.title = t.title
          LEFT JOIN unit ou ON ou.id = m.unit_id
        WINDOW k AS (PARTITION BY t.project COLLATE "C", t.campaign COLLATE "C",
                                  t.kind COLLATE "C", t.title COLLATE "C" ORDER BY t.ord)
    ), fin AS (
        SELECT x.*,
               coalesce(x.unit, x.o_unit) AS f_unit,
               coalesce(x.note, x.o_note) AS f_note,
               -- a completion date alone means "done"
               coalesce(x.status, CASE WHEN x.done_on IS NOT NULL THEN 'done' END,
                        x.o_status, 'pending') AS f_status
          FROM ex x
    ), fin2 AS (
        SELECT f.*,
               CASE WHEN f.f_status = 'done' THEN coalesce(f.done_on, f.o_done_on) END AS f_done_on,
               CASE WHEN f.f_status = 'waived' THEN coalesce(f.waived_reason, f.o_waived_reason) END AS f_waived_reason
          FROM fin f
    )
    SELECT f.*,
           CASE WHEN NOT f.is_obj THEN ARRAY[keyproj_err('', 'row is not a JSON object')]
           ELSE array_remove(ARRAY[
               CASE WHEN f.project IS NULL THEN keyproj_err('project', 'project is required')
                    WHEN f.pid IS NULL THEN keyproj_err('project', format('unknown project code ''%s''', f.project)) END,
               CASE WHEN f.campaign IS NULL THEN keyproj_err('campaign', 'campaign is required')
                    WHEN f.cid IS NULL AND NOT f.campaign_new THEN
                        keyproj_err('campaign', format('unknown campaign ''%s'' (only two-month codes like 2026-B6 are created automatically)', f.campaign)) END,
               keyproj_enum_err('kind', f.kind, '{start,structure,topping,completion,operation,investment,approval,other}', true),
               CASE WHEN f.kind = 'other' AND f.title_t IS NULL THEN
                        keyproj_err('title', 'title is required for kind other') END,
               CASE WHEN f.dup_n > 1 THEN
                        keyproj_err('title', format('duplicate milestone %s/%s/%s/%s (already on line %s)',
                                                    f.project, f.campaign, f.kind, f.title, f.dup_first)) END,
               CASE WHEN f.due_t IS NULL THEN keyproj_err('due', 'due is required')
                    WHEN f.due IS NULL THEN keyproj_err('due', format('due ''%s'' is not a valid date (YYYY-MM-DD)', f.due_t))
                    WHEN f.c_starts IS NOT NULL AND (f.due < f.c_starts OR f.due > f.c_ends) THEN
                        keyproj_err('due', format('due %s is outside campaign %s (%s to %s)',
                                                  to_char(f.due, 'YYYY-MM-DD'), f.campaign,
                                                  to_char(f.c_starts, 'YYYY-MM-DD'), to_char(f.c_ends, 'YYYY-MM-DD'))) END,
               keyproj_enum_err('status', f.status, '{pending,done,waived}', false),
               keyproj_date_err('done_on', f.done_t, f.done_on, false),
               CASE WHEN f.f_status = 'done' AND f.f_done_on IS NULL AND f.done_t IS NULL THEN
                        keyproj_err('done_on', 'status done needs done_on') END,
               CASE WHEN f.done_t IS NOT NULL AND f.f_status <> 'done' THEN
                        keyproj_err('done_on', format('done_on given but status is %s', f.f_status)) END,
               CASE WHEN f.waived_reason IS NOT NULL AND f.f_status <> 'waived' THEN
                        keyproj_err('waived_reason', format('waived_reason given but status is %s', f.f_status)) END
           ], NULL) END AS errs,
           CASE WHEN f.mid IS NULL THEN 'insert'
                WHEN (f.due, f.f_unit, f.f_status, f.f_done_on, f.f_note, f.f_waived_reason)
                     IS DISTINCT FROM
                     (f.o_due, f.o_unit, f.o_status, f.o_done_on, f.o_note, f.o_waived_reason)
                THEN 'update' ELSE 'unchanged' END AS action
      FROM fin2 f;

    SELECT * INTO v_result, v_ins, v_upd FROM keyproj_import_check('milestones', p_dry_run);
    IF v_result IS NOT NULL THEN   -- errors, a dry run, or nothing to write
        RETURN v_result;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_temp.kp_stage WHERE campaign_new) THEN   -- (a 0-row INSERT would NOTIFY)
        WITH ins AS (
            INSERT INTO campaign (code, name, kind, starts_on, ends_on)
            SELECT DISTINCT s.campaign, s.c_name, 'bimonthly', s.c_starts, s.c_ends
              FROM pg_temp.kp_stage s
             WHERE s.campaign_new
            ON CONFLICT (code) DO NOTHING
            RETURNING code, name, starts_on, ends_on)
        SELECT keyproj_audit_rows(p_actor, v_action, v_req,
                                  array_agg('campaign:' || code),
                                  NULL,
                                  array_agg(jsonb_build_object('name', name, 'kind', 'bimonthly', 'starts_on', starts_on, 'ends_on', ends_on)))
          INTO v_audited
          FROM ins;
    END IF;

    v_audited := keyproj_import_new_units(p_actor, v_action, v_req);

    IF v_ins > 0 THEN
        INSERT INTO milestone (project_id, campaign_id, kind, title, due_on, unit_id, status,
                               done_on, note, waived_reason)
        SELECT s.pid, c.id, s.kind, s.title, s.due, u.id, s.f_status, s.f_done_on, s.f_note, s.f_waived_reason
          FROM pg_temp.kp_stage s
          JOIN campaign c ON c.code = s.campaign
          LEFT JOIN unit u ON u.name = s.f_unit
         WHERE s.action = 'insert'
         ORDER BY s.ord;
    END IF;

    IF v_upd > 0 THEN
        UPDATE milestone m
           SET due_on = s.due, unit_id = u.id, status = s.f_status, done_on = s.f_done_on,
               note = s.f_note, waived_reason = s.f_waived_reason
          FROM pg_temp.kp_stage s
          LEFT JOIN unit u ON u.name = s.f_unit
         WHERE s.action = 'update' AND m.id = s.mid;
    END IF;

    -- One audit row per written milestone, the inserted ones first.
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, v_action, format('milestone:%s/%s/%s/%s', a.project, a.campaign, a.kind, a.title),
           keyproj_audit_old(a.o, a.n), keyproj_audit_new(a.o, a.n), 'ok', v_req
      FROM (SELECT s.project, s.campaign, s.kind, s.title,
                   CASE WHEN s.action = 'update' THEN jsonb_build_object(
                       'due', s.o_due, 'unit', s.o_unit, 'status', s.o_status, 'done_on', s.o_done_on,
                       'note', s.o_note, 'waived_reason', s.o_waived_reason) END AS o,
                   jsonb_build_object(
                       'due', s.due, 'unit', s.f_unit, 'status', s.f_status, 'done_on', s.f_done_on,
                       'note', s.f_note, 'waived_reason', s.f_waived_reason) AS n
              FROM (SELECT * FROM pg_temp.kp_stage WHERE action <> 'unchanged' ORDER BY action, ord) s) a;

    -- Nodes this import made done, of a completing kind: their projects
    -- complete as with `done` (keyproj_complete_by_milestones audits them).
    SELECT keyproj_complete_by_milestones(array_agg(m.id), keyproj_completing_kinds(), p_actor, v_req)
      INTO v_completed
      FROM pg_temp.kp_stage s
      JOIN campaign c ON c.code = s.campaign
      JOIN milestone m ON m.project_id = s.pid AND m.campaign_id = c.id AND m.kind = s.kind AND m.title = s.title
     WHERE s.action <> 'unchanged' AND s.f_status = 'done' AND s.o_status IS DISTINCT FROM 'done';

    -- (named only when there are some: the answer of other imports is as before)
    RETURN keyproj_import_result('milestones', p_dry_run, NULL)
           || CASE WHEN jsonb_array_length(v_completed) > 0
                   THEN jsonb_build_object('completed_projects', jsonb_array_length(v_completed))
                   ELSE '{}'::jsonb END;
END
$fn$;

CREATE OR REPLACE FUNCTION keyproj_import_reports_src(p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_req    text := nullif(current_setting('keyproj.request_id', true), '');
    v_action text := 'import.reports';
    v_audited bigint;   -- audit rows written (unused)
    v_result jsonb;
    v_ins    bigint;
    v_upd    bigint;
BEGIN
    PERFORM keyproj_import_restage();

    CREATE TEMP TABLE kp_stage ON COMMIT DROP AS
    -- MATERIALIZED: parse each value once, however many later expressions
    -- (errors, change test, output) read it; inlined, each would parse again.
    WITH typed AS MATERIALIZED (
        SELECT s.*,
               CASE WHEN extract(day FROM keyproj_parse_month(s.month_t)) = 1
                    THEN keyproj_parse_month(s.month_t) END AS month,
               keyproj_parse_money(s.amount_t)::numeric(16,4) AS amount,
               keyproj_parse_money(s.ytd_t)::numeric(16,4) AS ytd,
               keyproj_parse_money(s.since_t)::numeric(16,4) AS since_start
          FROM pg_temp.kp_src s
    ), ex AS (
        SELECT t.*, pr.id AS pid, (r.project_id IS NOT NULL) AS exists_,
               r.amount AS o_amount, r.ytd AS o_ytd, r.since_start AS o_since, r.progress AS o_progress,
               CASE WHEN pr.id IS NOT NULL AND t.month IS NOT NULL
                    THEN row_number() OVER k END AS dup_n,
               first_value(t.line) OVER k AS dup_first
          FROM typed t
          LEFT JOIN project pr ON pr.code = t.project
          LEFT JOIN investment_report r ON r.project_id = pr.id AND r.month = t.month
        WINDOW k AS (PARTITION BY pr.id, t.month ORDER BY t.ord)
    ), merged AS (
        -- Every month of the years this file touches, the file's rows taking
        -- precedence over stored ones. ytd_known: a stored ytd, or one the
        -- file gives.
        SELECT x.ord, x.pid, x.month, x.amount, x.ytd AS ytd_known FROM ex x
         WHERE x.pid IS NOT NULL AND x.month IS NOT NULL AND x.amount IS NOT NULL
           AND x.dup_n = 1
        UNION ALL
        SELECT NULL, r.project_id, r.month, r.amount, r.ytd
          FROM investment_report r
          JOIN (SELECT DISTINCT pid, make_date(extract(year FROM month)::int, 1, 1) AS y0
                  FROM ex WHERE pid IS NOT NULL AND month IS NOT NULL) k
            ON r.project_id = k.pid AND r.month >= k.y0 AND r.month < (k.y0 + interval '1 year')::date
         WHERE NOT EXISTS (SELECT 1 FROM ex x WHERE x.pid = r.project_id AND x.month = r.month)
    ), anchored AS (
        -- ytd not given = the latest earlier month of the year that has a
        -- ytd, plus this year's amounts since then (with no such month: the
        -- sum of the year's amounts so far). When every month is reported
        -- this is "earlier months + this month"; when a sheet reports
        -- January–February as one figure, the ytd stays cumulative instead
        -- of dropping below an earlier month's. g numbers the runs that
        -- start at each known ytd.
        SELECT m.*, extract(year FROM m.month) AS yr,
               count(m.ytd_known) OVER (PARTITION BY m.pid, extract(year FROM m.month) ORDER BY m.month) AS g
          FROM merged m
    ), cum AS (
        SELECT ord,
               coalesce(max(ytd_known - amount) OVER (PARTITION BY pid, yr, g), 0)
               + sum(amount) OVER (PARTITION BY pid, yr, g ORDER BY month) AS run
          FROM anchored
    ), fin AS (
        SELECT x.*,
               coalesce(x.ytd, c.run)::numeric(16,4) AS f_ytd,
               coalesce(x.since_start, x.o_since) AS f_since,
               coalesce(x.progress, x.o_progress) AS f_progress
          FROM ex x
          LEFT JOIN cum c ON c.ord = x.ord
    )
    SELECT f.*,
           CASE WHEN NOT f.is_obj THEN ARRAY[keyproj_err('', 'row is not a JSON object')]
           ELSE array_remove(ARRAY[
               CASE WHEN f.project IS NULL THEN keyproj_err('project', 'project is required')
                    WHEN f.pid IS NULL THEN keyproj_err('project', format('unknown project code ''%s''', f.project)) END,
               keyproj_month_err('month', f.month_t),
               CASE WHEN f.dup_n > 1 THEN
                        keyproj_err('month', format('duplicate report for %s %s (already on line %s)',
                                                    f.project, to_char(f.month, 'YYYY-MM'), f.dup_first)) END,
               keyproj_money_err('amount', f.amount_t, f.amount, true),
               keyproj_money_err('ytd', f.ytd_t, f.ytd, false),
               keyproj_money_err('since_start', f.since_t, f.since_start, false),
               CASE WHEN f.f_ytd < f.amount THEN
                        keyproj_err('ytd', format('ytd %s is less than this month''s amount %s', f.f_ytd, f.amount)) END,
               CASE WHEN f.f_since < f.f_ytd THEN
                        keyproj_err('since_start', format('since_start %s is less than ytd %s', f.f_since, f.f_ytd)) END
           ], NULL) END AS errs,
           CASE WHEN NOT f.exists_ THEN 'insert'
                WHEN (f.amount, f.f_ytd, f.f_since, f.f_progress)
                     IS DISTINCT FROM (f.o_amount, f.o_ytd, f.o_since, f.o_progress)
                THEN 'update' ELSE 'unchanged' END AS action
      FROM fin f;

    SELECT * INTO v_result, v_ins, v_upd FROM keyproj_import_check('reports', p_dry_run);
    IF v_result IS NOT NULL THEN   -- errors, a dry run, or nothing to write
        RETURN v_result;
    END IF;

    IF v_ins > 0 THEN
        INSERT INTO investment_report (project_id, month, amount, ytd, since_start, progress,
                                       reported_at, reported_by)
        SELECT s.pid, s.month, s.amount, s.f_ytd, s.f_since, s.f_progress, now(), p_actor
          FROM pg_temp.kp_stage s
         WHERE s.action = 'insert'
         ORDER BY s.ord;
    END IF;

    IF v_upd > 0 THEN
        UPDATE investment_report r
           SET amount = s.amount, ytd = s.f_ytd, since_start = s.f_since, progress = s.f_progress,
               reported_at = now(), reported_by = p_actor
          FROM pg_temp.kp_stage s
         WHERE s.action = 'update' AND r.project_id = s.pid AND r.month = s.month;
    END IF;

    -- One audit row per written report, the inserted ones first.
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, v_action, format('report:%s/%s', a.project, to_char(a.month, 'YYYY-MM')),
           keyproj_audit_old(a.o, a.n), keyproj_audit_new(a.o, a.n), 'ok', v_req
      FROM (SELECT s.project, s.month,
                   CASE WHEN s.action = 'update' THEN jsonb_build_object(
                       'amount', s.o_amount, 'ytd', s.o_ytd, 'since_start', s.o_since, 'progress', s.o_progress)
                   END AS o,
                   jsonb_build_object(
                       'amount', s.amount, 'ytd', s.f_ytd, 'since_start', s.f_since, 'progress', s.f_progress) AS n
              FROM (SELECT * FROM pg_temp.kp_stage WHERE action <> 'unchanged' ORDER BY action, ord) s) a;

    RETURN keyproj_import_result('reports', p_dry_run, NULL);
END
$fn$;

CREATE OR REPLACE FUNCTION keyproj_import_plans_src(p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_req    text := nullif(current_setting('keyproj.request_id', true), '');
    v_action text := 'import.plans';
    v_audited bigint;   -- audit rows written (unused)
    v_result jsonb;
    v_ins    bigint;
    v_upd    bigint;
BEGIN
    PERFORM keyproj_import_restage();

    CREATE TEMP TABLE kp_stage ON COMMIT DROP AS
    -- MATERIALIZED: parse each value once, however many later expressions
    -- (errors, change test, output) read it; inlined, each would parse again.
    WITH typed AS MATERIALIZED (
        SELECT s.*,
               CASE WHEN extract(day FROM keyproj_parse_month(s.month_t)) = 1
                    THEN keyproj_parse_month(s.month_t) END AS month,
               keyproj_parse_money(s.pc_t)::numeric(16,4) AS pc
          FROM pg_temp.kp_src s
    )
    SELECT t.*, pr.id AS pid, ip.planned_cumulative AS o_pc,
           CASE WHEN NOT t.is_obj THEN ARRAY[keyproj_err('', 'row is not a JSON object')]
           ELSE array_remove(ARRAY[
               CASE WHEN t.project IS NULL THEN keyproj_err('project', 'project is required')
                    WHEN pr.id IS NULL THEN keyproj_err('project', format('unknown project code ''%s''', t.project)) END,
               keyproj_month_err('month', t.month_t),
               CASE WHEN pr.id IS NOT NULL AND t.month IS NOT NULL
                         AND row_number() OVER k > 1 THEN
                        keyproj_err('month', format('duplicate plan for %s %s (already on line %s)',
                                                    t.project, to_char(t.month, 'YYYY-MM'), first_value(t.line) OVER k)) END,
               keyproj_money_err('planned_cumulative', t.pc_t, t.pc, true)
           ], NULL) END AS errs,
           CASE WHEN ip.project_id IS NULL THEN 'insert'
                WHEN ip.planned_cumulative IS DISTINCT FROM t.pc THEN 'update'
                ELSE 'unchanged' END AS action
      FROM typed t
      LEFT JOIN project pr ON pr.code = t.project
      LEFT JOIN investment_plan ip ON ip.project_id = pr.id AND ip.month = t.month
    WINDOW k AS (PARTITION BY pr.id, t.month ORDER BY t.ord);

    SELECT * INTO v_result, v_ins, v_upd FROM keyproj_import_check('plans', p_dry_run);
    IF v_result IS NOT NULL THEN   -- errors, a dry run, or nothing to write
        RETURN v_result;
    END IF;

    IF v_ins > 0 THEN
        INSERT INTO investment_plan (project_id, month, planned_cumulative)
        SELECT s.pid, s.month, s.pc FROM pg_temp.kp_stage s WHERE s.action = 'insert' ORDER BY s.ord;
    END IF;

    IF v_upd > 0 THEN
        UPDATE investment_plan ip SET planned_cumulative = s.pc
          FROM pg_temp.kp_stage s
         WHERE s.action = 'update' AND ip.project_id = s.pid AND ip.month = s.month;
    END IF;

    -- One audit row per written plan, in line order.
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, v_action, format('plan:%s/%s', a.project, to_char(a.month, 'YYYY-MM')),
           keyproj_audit_old(a.o, a.n), keyproj_audit_new(a.o, a.n), 'ok', v_req
      FROM (SELECT s.project, s.month,
                   CASE WHEN s.action = 'update' THEN jsonb_build_object('planned_cumulative', s.o_pc) END AS o,
                   jsonb_build_object('planned_cumulative', s.pc) AS n
              FROM (SELECT * FROM pg_temp.kp_stage WHERE action <> 'unchanged' ORDER BY ord) s) a;

    RETURN keyproj_import_result('plans', p_dry_run, NULL);
END
$fn$;


-- ---------------------------------------------------------------------------
-- 联审联批 sheets (import approvals) and 问题清单 sheets (import problems)
-- ---------------------------------------------------------------------------

-- An approvals sheet: one item per project and name (approval_key). A new
-- item is pending unless the sheet says done (办结日期 given, or 状态);
-- an item that follows an approval milestone is the node's, and a row that
-- would change it is refused (change the milestone instead).
CREATE OR REPLACE FUNCTION keyproj_import_approvals_src(p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_req    text := nullif(current_setting('keyproj.request_id', true), '');
    v_action text := 'import.approvals';
    v_audited bigint;   -- audit rows written (unused)
    v_result jsonb;
    v_ins    bigint;
    v_upd    bigint;
BEGIN
    PERFORM keyproj_import_restage();

    CREATE TEMP TABLE kp_stage ON COMMIT DROP AS
    WITH typed AS MATERIALIZED (
        SELECT s.*, keyproj_parse_date(s.due_t) AS due, keyproj_parse_date(s.done_t) AS done_on
          FROM pg_temp.kp_src s
    ), ex AS (
        SELECT t.*, pr.id AS pid, a.id AS aid, a.milestone_id AS o_milestone, ou.name AS o_unit,
               a.planned_on AS o_due, a.status AS o_status, a.done_on AS o_done_on, a.note AS o_note,
               CASE WHEN pr.id IS NOT NULL AND t.item IS NOT NULL THEN row_number() OVER k END AS dup_n,
               first_value(t.line) OVER k AS dup_first
          FROM typed t
          LEFT JOIN project pr ON pr.code = t.project
          LEFT JOIN approval a ON a.project_id = pr.id AND a.item = t.item
          LEFT JOIN unit ou ON ou.id = a.unit_id
        WINDOW k AS (PARTITION BY pr.id, t.item ORDER BY t.ord)
    ), fin AS (
        SELECT x.*, coalesce(x.unit, x.o_unit) AS f_unit, coalesce(x.due, x.o_due) AS f_due,
               coalesce(x.status, CASE WHEN x.done_on IS NOT NULL THEN 'done' END, x.o_status, 'pending') AS f_status,
               coalesce(x.note, x.o_note) AS f_note
          FROM ex x
    ), fin2 AS (
        SELECT f.*, CASE WHEN f.f_status = 'done' THEN coalesce(f.done_on, f.o_done_on) END AS f_done_on
          FROM fin f
    ), fin3 AS (
        SELECT f.*, (f.f_due, f.f_unit, f.f_status, f.f_done_on, f.f_note)
                    IS DISTINCT FROM (f.o_due, f.o_unit, f.o_status, f.o_done_on, f.o_note) AS changed
          FROM fin2 f
    )
    SELECT f.*,
           CASE WHEN NOT f.is_obj THEN ARRAY[keyproj_err('', 'row is not a JSON object')]
           ELSE array_remove(ARRAY[
               CASE WHEN f.project IS NULL THEN keyproj_err('project', 'project is required')
                    WHEN f.pid IS NULL THEN keyproj_err('project', format('unknown project code ''%s''', f.project)) END,
               CASE WHEN f.item IS NULL THEN keyproj_err('item', 'item is required') END,
               CASE WHEN f.f_unit IS NULL THEN keyproj_err('unit', 'unit (the lead department) is required') END,
               keyproj_date_err('due', f.due_t, f.due, f.aid IS NULL),
               keyproj_date_err('done_on', f.done_t, f.done_on, false),
               keyproj_enum_err('status', f.status, ARRAY['pending', 'done', 'waived'], false),
               CASE WHEN f.dup_n > 1 THEN
                        keyproj_err('item', format('duplicate item %s of %s (already on line %s)', f.item, f.project,
                                                   f.dup_first)) END,
               CASE WHEN f.f_status = 'done' AND f.f_done_on IS NULL THEN
                        keyproj_err('done_on', 'a done item needs the day it was done') END,
               CASE WHEN f.done_on IS NOT NULL AND f.f_status <> 'done' THEN
                        keyproj_err('done_on', format('done_on given but status is %s', f.f_status)) END,
               CASE WHEN f.o_milestone IS NOT NULL AND f.changed THEN
                        keyproj_err('item', format('item %s of %s follows milestone %s: change the milestone instead',
                                                   f.item, f.project, f.o_milestone)) END
           ], NULL) END AS errs,
           CASE WHEN f.aid IS NULL THEN 'insert' WHEN f.changed THEN 'update' ELSE 'unchanged' END AS action
      FROM fin3 f;

    SELECT * INTO v_result, v_ins, v_upd FROM keyproj_import_check('approvals', p_dry_run);
    IF v_result IS NOT NULL THEN   -- errors, a dry run, or nothing to write
        RETURN v_result;
    END IF;

    v_audited := keyproj_import_new_units(p_actor, v_action, v_req);

    IF v_ins > 0 THEN
        INSERT INTO approval (project_id, item, unit_id, planned_on, status, done_on, note)
        SELECT s.pid, s.item, u.id, s.f_due, s.f_status, s.f_done_on, s.f_note
          FROM pg_temp.kp_stage s
          LEFT JOIN unit u ON u.name = s.f_unit
         WHERE s.action = 'insert'
         ORDER BY s.ord;
    END IF;

    IF v_upd > 0 THEN
        UPDATE approval a
           SET unit_id = u.id, planned_on = s.f_due, status = s.f_status, done_on = s.f_done_on, note = s.f_note
          FROM pg_temp.kp_stage s
          LEFT JOIN unit u ON u.name = s.f_unit
         WHERE s.action = 'update' AND a.id = s.aid;
    END IF;

    -- One audit row per written item (approval:ID, as approval add and
    -- done name it), the inserted ones first.
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, v_action, 'approval:' || a.id, keyproj_audit_old(a.o, a.n), keyproj_audit_new(a.o, a.n),
           'ok', v_req
      FROM (SELECT s.id,
                   CASE WHEN s.action = 'update' THEN jsonb_build_object(
                       'project', s.project, 'item', s.item, 'unit', s.o_unit, 'planned_on', s.o_due,
                       'status', s.o_status, 'done_on', s.o_done_on, 'note', s.o_note) END AS o,
                   jsonb_build_object(
                       'project', s.project, 'item', s.item, 'unit', s.f_unit, 'planned_on', s.f_due,
                       'status', s.f_status, 'done_on', s.f_done_on, 'note', s.f_note) AS n
              FROM (SELECT x.*, a.id
                      FROM pg_temp.kp_stage x
                      JOIN approval a ON a.project_id = x.pid AND a.item = x.item
                     WHERE x.action <> 'unchanged'
                     ORDER BY x.action, x.ord) s) a;

    RETURN keyproj_import_result('approvals', p_dry_run, NULL);
END
$fn$;

-- A 问题清单 sheet: a problem is known by its project and description (the
-- oldest such problem, if several were added by hand). The category is
-- any spelling problem_category knows; the time limit is judged from the
-- reported date, as problem add does (keyprojd has refused dates after
-- today already). Not given: the stored value, or on a new problem
-- ordinary, open, and the default limit by severity.
CREATE OR REPLACE FUNCTION keyproj_import_problems_src(p_actor text, p_dry_run boolean) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_req    text := nullif(current_setting('keyproj.request_id', true), '');
    v_action text := 'import.problems';
    v_audited bigint;   -- audit rows written (unused)
    v_result jsonb;
    v_ins    bigint;
    v_upd    bigint;
BEGIN
    PERFORM keyproj_import_restage();

    CREATE TEMP TABLE kp_stage ON COMMIT DROP AS
    WITH typed AS MATERIALIZED (
        SELECT s.*, keyproj_problem_category(s.category_t) AS category,
               keyproj_parse_date(s.reported_t) AS reported, keyproj_parse_date(s.limit_t) AS tlimit,
               keyproj_parse_date(s.resolved_t) AS resolved_on
          FROM pg_temp.kp_src s
    ), ex AS (
        SELECT t.*, pr.id AS pid, o.id AS problem_id, o.category AS o_category, o.severity AS o_severity,
               ou.name AS o_unit, o.reported_on AS o_reported, o.time_limit AS o_limit, o.status AS o_status,
               o.resolved_on AS o_resolved_on, o.resolution AS o_resolution,
               CASE WHEN pr.id IS NOT NULL AND t.description IS NOT NULL THEN row_number() OVER k END AS dup_n,
               first_value(t.line) OVER k AS dup_first
          FROM typed t
          LEFT JOIN project pr ON pr.code = t.project
          LEFT JOIN LATERAL (SELECT x.* FROM problem x WHERE x.project_id = pr.id AND x.description = t.description
                              ORDER BY x.id LIMIT 1) o ON true
          LEFT JOIN unit ou ON ou.id = o.unit_id
        WINDOW k AS (PARTITION BY pr.id, t.description ORDER BY t.ord)
    ), fin AS (
        SELECT x.*, coalesce(x.category, x.o_category) AS f_category,
               coalesce(x.severity, x.o_severity, 'ordinary') AS f_severity,
               coalesce(x.unit, x.o_unit) AS f_unit, coalesce(x.reported, x.o_reported) AS f_reported,
               coalesce(x.tlimit, x.o_limit) AS f_limit,
               coalesce(x.status, CASE WHEN x.resolved_on IS NOT NULL THEN 'resolved' END, x.o_status, 'open') AS f_status,
               coalesce(x.resolution, x.o_resolution) AS f_resolution
          FROM ex x
    ), fin2 AS (
        SELECT f.*, CASE WHEN f.f_status = 'resolved' THEN coalesce(f.resolved_on, f.o_resolved_on) END AS f_resolved_on
          FROM fin f
    )
    SELECT f.*,
           CASE WHEN NOT f.is_obj THEN ARRAY[keyproj_err('', 'row is not a JSON object')]
           ELSE array_remove(ARRAY[
               CASE WHEN f.project IS NULL THEN keyproj_err('project', 'project is required')
                    WHEN f.pid IS NULL THEN keyproj_err('project', format('unknown project code ''%s''', f.project)) END,
               CASE WHEN f.category_t IS NULL AND f.problem_id IS NULL THEN keyproj_err('category', 'category is required')
                    WHEN f.category_t IS NOT NULL AND f.category IS NULL THEN
                        keyproj_err('category', format('unknown category ''%s'' (expected one of %s)', f.category_t,
                                                       keyproj_problem_categories_expected())) END,
               CASE WHEN f.description IS NULL THEN keyproj_err('description', 'description is required') END,
               keyproj_enum_err('severity', f.severity, ARRAY['ordinary', 'major'], false),
               keyproj_date_err('reported_on', f.reported_t, f.reported, f.problem_id IS NULL),
               keyproj_date_err('time_limit', f.limit_t, f.tlimit, false),
               keyproj_date_err('resolved_on', f.resolved_t, f.resolved_on, false),
               keyproj_enum_err('status', f.status, ARRAY['open', 'resolved'], false),
               CASE WHEN f.dup_n > 1 THEN
                        keyproj_err('description', format('duplicate problem of %s (already on line %s)', f.project,
                                                          f.dup_first)) END,
               CASE WHEN f.f_limit < f.f_reported THEN
                        keyproj_err('time_limit', format('time limit %s is before the reported date %s',
                                                         keyproj_ymd(f.f_limit), keyproj_ymd(f.f_reported))) END,
               CASE WHEN f.f_status = 'resolved' AND f.f_resolved_on IS NULL THEN
                        keyproj_err('resolved_on', 'a resolved problem needs the day it was resolved') END,
               CASE WHEN f.resolved_on IS NOT NULL AND f.f_status <> 'resolved' THEN
                        keyproj_err('resolved_on', format('resolved_on given but status is %s', f.f_status)) END,
               CASE WHEN f.f_resolved_on < f.f_reported THEN
                        keyproj_err('resolved_on', format('resolved on %s, before it was reported (%s)',
                                                          keyproj_ymd(f.f_resolved_on), keyproj_ymd(f.f_reported))) END
           ], NULL) END AS errs,
           CASE WHEN f.problem_id IS NULL THEN 'insert'
                WHEN (f.f_category, f.f_severity, f.f_unit, f.f_reported, f.f_limit, f.f_status, f.f_resolved_on,
                      f.f_resolution)
                     IS DISTINCT FROM
                     (f.o_category, f.o_severity, f.o_unit, f.o_reported, f.o_limit, f.o_status, f.o_resolved_on,
                      f.o_resolution)
                THEN 'update' ELSE 'unchanged' END AS action
      FROM fin2 f;

    SELECT * INTO v_result, v_ins, v_upd FROM keyproj_import_check('problems', p_dry_run);
    IF v_result IS NOT NULL THEN   -- errors, a dry run, or nothing to write
        RETURN v_result;
    END IF;

    v_audited := keyproj_import_new_units(p_actor, v_action, v_req);

    IF v_ins > 0 THEN
        INSERT INTO problem (project_id, category, severity, description, unit_id, reported_on, time_limit, status,
                             resolved_on, resolution)
        SELECT s.pid, s.f_category, s.f_severity, s.description, u.id, s.f_reported, s.f_limit, s.f_status,
               s.f_resolved_on, s.f_resolution
          FROM pg_temp.kp_stage s
          LEFT JOIN unit u ON u.name = s.f_unit
         WHERE s.action = 'insert'
         ORDER BY s.ord;
        UPDATE pg_temp.kp_stage s SET problem_id = x.id
          FROM problem x
         WHERE s.action = 'insert' AND x.project_id = s.pid AND x.description = s.description;
    END IF;

    IF v_upd > 0 THEN
        UPDATE problem x
           SET category = s.f_category, severity = s.f_severity, unit_id = u.id, reported_on = s.f_reported,
               time_limit = s.f_limit, status = s.f_status, resolved_on = s.f_resolved_on,
               resolution = s.f_resolution
          FROM pg_temp.kp_stage s
          LEFT JOIN unit u ON u.name = s.f_unit
         WHERE s.action = 'update' AND x.id = s.problem_id;
    END IF;

    -- One audit row per written problem (problem:ID, as problem add names
    -- it), the inserted ones first.
    INSERT INTO audit_log (actor, action, subject, old, new, result, request_id)
    SELECT p_actor, v_action, 'problem:' || a.problem_id, keyproj_audit_old(a.o, a.n),
           keyproj_audit_new(a.o, a.n), 'ok', v_req
      FROM (SELECT s.problem_id,
                   CASE WHEN s.action = 'update' THEN jsonb_build_object(
                       'project', s.project, 'category', s.o_category, 'severity', s.o_severity,
                       'description', s.description, 'unit', s.o_unit, 'reported_on', s.o_reported,
                       'time_limit', s.o_limit, 'status', s.o_status, 'resolved_on', s.o_resolved_on,
                       'resolution', s.o_resolution) END AS o,
                   jsonb_build_object(
                       'project', s.project, 'category', s.f_category, 'severity', s.f_severity,
                       'description', s.description, 'unit', s.f_unit, 'reported_on', s.f_reported,
                       'time_limit', s.f_limit, 'status', s.f_status, 'resolved_on', s.f_resolved_on,
                       'resolution', s.f_resolution) AS n
              FROM (SELECT * FROM pg_temp.kp_stage WHERE action <> 'unchanged' ORDER BY action, ord) s) a;

    RETURN keyproj_import_result('problems', p_dry_run, NULL);
END
$fn$;
