-- 0001_baseline.sql — keyproj's data model: tables, constraints and
-- indexes, and the few pure functions its CHECK constraints call.
--
-- Numbered migrations (this file, later 0002_….sql) change tables; each is
-- applied once by daemon/migrate.c inside ONE transaction, which also
-- records it in schema_version (migrate.c creates that table; a migration
-- must not, and must not say BEGIN/COMMIT). Every other function, and the
-- triggers that call them, live in sql/functions/, applied again after the
-- migrations whenever their text changed: a change to a function is an
-- edit of its file there, never a copy in a migration. Plain SQL and
-- PL/pgSQL, schema public, no extensions.
--
-- Conventions
--   * ids: bigint identity.
--   * enumerations: text + CHECK, not PostgreSQL enum types, so a later
--     migration can extend a list by swapping one CHECK constraint (ALTER
--     TYPE ... ADD VALUE cannot run inside a transaction block on every
--     version and can never remove a value).
--   * money: 万元, numeric(16,4) (the import accepts up to 4 decimals), >= 0.
--   * business dates: date; instants: timestamptz.
--   * Rules never read the clock: anything that decides "is it late?" takes
--     today/now as a parameter (doc/alerts.md). Only bookkeeping
--     timestamps (created_at, updated_at, audit_log.at, reported_at) use
--     now(), the transaction's start time.

-- ===========================================================================
-- Constraint helpers
-- ===========================================================================
-- Called by CHECK constraints below, so they live with the tables: a
-- CHECK is not checked again when a function it calls is replaced, so a
-- change to one of these is a numbered migration that replaces the
-- function and validates the constraints again.

-- A phone number as the schema accepts it (mobile or landline:
-- 13800000000, +8613800000000, 0379-63900000).
CREATE FUNCTION keyproj_is_phone(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT s ~ '^\+?[0-9][0-9-]+$' AND length(s) BETWEEN 5 AND 21
$$;

-- A code (project, campaign): 1..maxlen characters, no blanks (ASCII or
-- the full-width U+3000 a Chinese IME types).
CREATE FUNCTION keyproj_is_code(s text, maxlen int) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT length(s) BETWEEN 1 AND maxlen AND s !~ '[[:space:]\u3000]'
$$;

-- Two-month campaign codes: 'YYYY-B1' = Jan–Feb … 'YYYY-B6' = Nov–Dec.
CREATE FUNCTION keyproj_is_bimonthly_code(code text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(code ~ '^(19|20|21)[0-9]{2}-B[1-6]$', false)
$$;

CREATE FUNCTION keyproj_bimonthly_start(code text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE WHEN keyproj_is_bimonthly_code(code)
            THEN make_date(substr(code, 1, 4)::int, substr(code, 7, 1)::int * 2 - 1, 1) END
$$;

CREATE FUNCTION keyproj_bimonthly_end(code text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT (keyproj_bimonthly_start(code) + interval '2 months' - interval '1 day')::date
$$;

-- ===========================================================================
-- Reference data
-- ===========================================================================

CREATE TABLE county (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    -- ranking group: 城区组 / 县组 / 功能区 are ranked apart in bulletins
    grp         text NOT NULL CHECK (grp IN ('district', 'county', 'zone')),
    region_code text NULL CHECK (region_code ~ '^[0-9]{6}$'),   -- 行政区划代码
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE county IS '县区 and functional zones; grp decides the ranking group';

CREATE TABLE unit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE unit IS '责任单位 (responsible units)';

CREATE TABLE person (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    title      text NULL CHECK (btrim(title) <> ''),
    mobile     text NULL CHECK (keyproj_is_phone(mobile)),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- A person is identified by name + mobile. NULLS NOT DISTINCT: without a
    -- mobile we cannot tell two 张伟 apart, so there is at most ONE
    -- "张伟, mobile unknown" — otherwise every import of a sheet without
    -- mobiles would create a fresh duplicate person.
    CONSTRAINT person_name_mobile_key UNIQUE NULLS NOT DISTINCT (name, mobile)
);
COMMENT ON TABLE person IS '分包领导, 责任人, 联系人';

-- ===========================================================================
-- Projects
-- ===========================================================================

CREATE TABLE project (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- national code (24 chars, 2026-410305-48-01-012345) or the city's own
    code                text NOT NULL UNIQUE CHECK (keyproj_is_code(code, 64)),
    name                text NOT NULL CHECK (btrim(name) <> ''),
    year                int  NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    level               text NOT NULL CHECK (level IN ('province', 'city')),
    county_id           bigint NOT NULL REFERENCES county,
    sector              text NOT NULL CHECK (sector IN ('industry', 'urban', 'infrastructure',
                                                        'livelihood', 'ecology', 'other')),
    category            text NOT NULL CHECK (category IN ('new', 'continuing', 'preliminary')),
    status              text NOT NULL DEFAULT 'preliminary'
                        CHECK (status IN ('preliminary', 'building', 'suspended',
                                          'completed', 'operating')),
    owner               text NULL,                       -- 项目业主
    unit_id             bigint NULL REFERENCES unit,     -- 责任单位
    leader_id           bigint NULL REFERENCES person,   -- 分包领导
    contact_id          bigint NULL REFERENCES person,   -- 联系人
    total_investment    numeric(16,4) NULL CHECK (total_investment >= 0),  -- 万元
    -- Not bounded by total_investment: sheets carry re-estimated totals and
    -- plans made before the re-estimate; refusing them helps nobody.
    annual_plan         numeric(16,4) NULL CHECK (annual_plan >= 0),       -- 万元
    planned_start       date NULL,
    planned_end         date NULL,
    actual_start        date NULL,
    actual_end          date NULL,
    completes_this_year boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- The engine's columns (sql/functions/engine.sql), left out of the
    -- updated_at and NOTIFY triggers so that a scan neither pretends the
    -- project was edited nor wakes itself up. next_check_on: NULL = nothing
    -- can change with time alone; '-infinity' = check at the next scan.
    next_check_on       date NULL DEFAULT '-infinity',
    -- 红黄绿灯: the worst of the project's parts (doc/alerts.md)
    light               text NULL CHECK (light IN ('green', 'yellow', 'red')),
    -- the parts that are not green, red ones first: {milestone,investment}
    light_reasons       text[] NULL,
    -- since when the light has been what it is (the scan's clock)
    light_at            timestamptz NULL,
    -- when the project entered the ledger as the engine counts business
    -- days: it owes no monthly report whose due day had passed by then.
    -- Written by the first scan that judges the project.
    entered_on          date NULL,
    -- the light of its milestones and of its problems as its last
    -- judgement folded them in; NULL: not known yet
    milestone_light     text NULL CHECK (milestone_light IN ('green', 'yellow', 'red')),
    problem_light       text NULL CHECK (problem_light IN ('green', 'yellow', 'red')),
    CONSTRAINT project_planned_order CHECK (planned_end >= planned_start),
    CONSTRAINT project_actual_order  CHECK (actual_end >= actual_start)
);
CREATE INDEX project_county_idx  ON project (county_id);
CREATE INDEX project_unit_idx    ON project (unit_id);
CREATE INDEX project_leader_idx  ON project (leader_id);
CREATE INDEX project_contact_idx ON project (contact_id);
-- project.start_overdue (应开未开) and project.completion_overdue (应竣未竣)
-- only ever look at projects not started / not finished.
CREATE INDEX project_start_pending_idx ON project (planned_start) WHERE actual_start IS NULL;
CREATE INDEX project_end_pending_idx   ON project (planned_end)   WHERE actual_end IS NULL;
-- A scan reads only rows whose next_check_on <= today, in (next_check_on,
-- id) order so that two scanners lock rows in the same order; likewise
-- for milestone, problem, approval and campaign_target below.
CREATE INDEX project_next_check_idx ON project (next_check_on, id) WHERE next_check_on IS NOT NULL;
CREATE INDEX project_light_idx ON project (light);

-- The light each project had at the end of a month: the last light the
-- engine wrote during that month. A month without a row kept the light of
-- the latest month before it that has one.
CREATE TABLE project_light_month (
    project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    light      text NOT NULL CHECK (light IN ('green', 'yellow', 'red')),
    PRIMARY KEY (project_id, month)
);

-- The projects a scan's milestones and problems mark for a new judgement
-- (a part whose new light can move its project): one small insert, where
-- setting project.next_check_on would write a new version of the project
-- row and an entry in each of its indexes. The project phase removes the
-- mark of each project it judged, only if the mark is the one it read
-- (its xmin). Edits mark a project through next_check_on.
CREATE TABLE project_mark (
    project_id bigint PRIMARY KEY REFERENCES project ON DELETE CASCADE
);

-- Planned cumulative investment per month. Absent -> the rules spread the
-- annual plan evenly.
CREATE TABLE investment_plan (
    project_id         bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    month              date NOT NULL CHECK (extract(day FROM month) = 1),
    planned_cumulative numeric(16,4) NOT NULL CHECK (planned_cumulative >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, month)
);

-- Monthly report (月报): this month, year to date, since start.
CREATE TABLE investment_report (
    project_id  bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    amount      numeric(16,4) NOT NULL CHECK (amount >= 0),       -- this month
    ytd         numeric(16,4) NOT NULL CHECK (ytd >= 0),          -- year to date
    since_start numeric(16,4) NULL CHECK (since_start >= 0),      -- 开工累计
    progress    text NULL,                                        -- 形象进度
    reported_at timestamptz NOT NULL DEFAULT now(),
    reported_by text NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, month),
    -- year to date includes this month; since start includes this year
    CONSTRAINT investment_report_ytd_covers_month CHECK (ytd >= amount),
    CONSTRAINT investment_report_since_covers_ytd CHECK (since_start >= ytd)
);
-- report.missing asks "who has no report for month M": by month first.
CREATE INDEX investment_report_month_idx ON investment_report (month);

-- ===========================================================================
-- Campaigns (双月攻坚, 百日攻坚, 半年) and their targets
-- ===========================================================================

CREATE TABLE campaign (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (keyproj_is_code(code, 32)),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    kind       text NOT NULL CHECK (kind IN ('bimonthly', 'hundred_day', 'half_year', 'other')),
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaign_window_order CHECK (ends_on >= starts_on),
    -- '2026-B6' means Nov–Dec 2026 everywhere (alerts, digests, imports):
    -- a code of that shape must carry exactly its window.
    CONSTRAINT campaign_bimonthly_window CHECK (
        NOT keyproj_is_bimonthly_code(code)
        OR (kind = 'bimonthly'
            AND starts_on = keyproj_bimonthly_start(code)
            AND ends_on = keyproj_bimonthly_end(code)))
);

CREATE TABLE campaign_target (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaign ON DELETE CASCADE,
    county_id   bigint NULL REFERENCES county,   -- NULL = city-wide
    sector      text NULL CHECK (sector IN ('industry', 'urban', 'infrastructure',
                                            'livelihood', 'ecology', 'other')),  -- NULL = all sectors
    starts      int NULL CHECK (starts >= 0),                    -- projects to start (开工)
    completions int NULL CHECK (completions >= 0),               -- to complete / operate (竣工/投产)
    investment  numeric(16,4) NULL CHECK (investment >= 0),      -- 万元 to complete
    approvals   numeric(5,2) NULL CHECK (approvals BETWEEN 0 AND 100),  -- % of 联审联批 items done
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- campaign.at_risk and campaign.missed, per target (engine column)
    next_check_on date NULL DEFAULT '-infinity',
    -- Here NULL is not "unknown" but "all" (city-wide / every sector), a
    -- real value: two city-wide targets for the same campaign are a
    -- duplicate. Plain UNIQUE treats NULLs as distinct and would let them in.
    CONSTRAINT campaign_target_scope_key UNIQUE NULLS NOT DISTINCT (campaign_id, county_id, sector)
);
CREATE INDEX campaign_target_next_check_idx ON campaign_target (next_check_on, id)
    WHERE next_check_on IS NOT NULL;

-- ===========================================================================
-- Milestones (节点)
-- ===========================================================================

CREATE TABLE milestone (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    campaign_id   bigint NOT NULL REFERENCES campaign,
    kind          text NOT NULL CHECK (kind IN ('start', 'structure', 'topping', 'completion',
                                                'operation', 'investment', 'approval', 'other')),
    title         text NOT NULL CHECK (btrim(title) <> ''),
    -- a business date: overdue from the start of the next day in the
    -- configured time zone (the rules decide, given "today")
    due_on        date NOT NULL,
    unit_id       bigint NULL REFERENCES unit,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'waived')),
    done_on       date NULL,
    note          text NULL,
    waived_reason text NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- engine columns: when to look again; its part of its project's light
    next_check_on date NULL DEFAULT '-infinity',
    light         text NULL CHECK (light IN ('green', 'yellow', 'red')),
    CONSTRAINT milestone_key UNIQUE (project_id, campaign_id, kind, title),
    -- done <=> it has a completion date; a reason only on a waived node
    CONSTRAINT milestone_done_has_date CHECK ((status = 'done') = (done_on IS NOT NULL)),
    CONSTRAINT milestone_reason_only_when_waived CHECK (status = 'waived' OR waived_reason IS NULL)
);
-- The alert engine only ever looks at pending nodes by date.
CREATE INDEX milestone_pending_due_idx ON milestone (due_on) WHERE status = 'pending';
CREATE INDEX milestone_campaign_idx    ON milestone (campaign_id);
CREATE INDEX milestone_unit_idx        ON milestone (unit_id);
CREATE INDEX milestone_next_check_idx ON milestone (next_check_on, id) WHERE next_check_on IS NOT NULL;
-- due_on must fall inside its campaign's window: a constraint trigger
-- (sql/functions/triggers.sql), since it reads another table.

-- ===========================================================================
-- Approvals (联审联批), problems (问题清单), supervision orders
-- ===========================================================================

CREATE TABLE approval (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    item       text NOT NULL CHECK (btrim(item) <> ''),   -- 用地预审, 施工许可, …
    unit_id    bigint NULL REFERENCES unit,               -- approving department
    planned_on date NULL,
    done_on    date NULL,
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'waived')),
    note       text NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    next_check_on date NULL DEFAULT '-infinity',   -- engine column
    CONSTRAINT approval_key UNIQUE (project_id, item),
    CONSTRAINT approval_done_has_date CHECK ((status = 'done') = (done_on IS NOT NULL))
);
CREATE INDEX approval_pending_idx ON approval (planned_on) WHERE status = 'pending';
CREATE INDEX approval_next_check_idx ON approval (next_check_on, id) WHERE next_check_on IS NOT NULL;

CREATE TABLE problem (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    category    text NOT NULL CHECK (category IN ('funding', 'planning', 'land', 'environment',
                                                  'demolition', 'approval', 'construction', 'other')),
    severity    text NOT NULL DEFAULT 'ordinary' CHECK (severity IN ('ordinary', 'major')),
    description text NOT NULL CHECK (btrim(description) <> ''),
    unit_id     bigint NULL REFERENCES unit,
    reported_on date NOT NULL,
    -- NULL: the rules apply the default limit by severity ("13710": 7 days
    -- for ordinary, a month for major problems)
    time_limit  date NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_on date NULL,
    resolution  text NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- engine columns: when to look again; its part of its project's light
    next_check_on date NULL DEFAULT '-infinity',
    light       text NULL CHECK (light IN ('green', 'yellow', 'red')),
    CONSTRAINT problem_resolved_has_date CHECK ((status = 'resolved') = (resolved_on IS NOT NULL)),
    CONSTRAINT problem_limit_order CHECK (time_limit >= reported_on),
    CONSTRAINT problem_resolved_order CHECK (resolved_on >= reported_on)
);
CREATE INDEX problem_project_idx ON problem (project_id);
CREATE INDEX problem_open_idx ON problem (time_limit) WHERE status = 'open';
CREATE INDEX problem_next_check_idx ON problem (next_check_on, id) WHERE next_check_on IS NOT NULL;

-- ===========================================================================
-- Alerts, silences and the delivery outbox
-- ===========================================================================

CREATE TABLE alert (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)*$'),  -- milestone.overdue, …
    subject    text NOT NULL CHECK (btrim(subject) <> ''),  -- 'milestone:123', 'project:CODE'
    -- '' when the kind has a single stage: NOT NULL so the UNIQUE below
    -- really makes generation idempotent (NULL stages would never collide)
    stage      text NOT NULL DEFAULT '',
    light      text NULL CHECK (light IN ('green', 'yellow', 'red')),  -- NULL for digests
    project_id bigint NULL REFERENCES project ON DELETE SET NULL,
    -- scan.c passes its clock's "now"; the default is only a fallback
    created_at timestamptz NOT NULL DEFAULT now(),
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT alert_key UNIQUE (kind, subject, stage)
);
CREATE INDEX alert_project_idx ON alert (project_id, created_at);
CREATE INDEX alert_created_idx ON alert (created_at);

CREATE TABLE supervision_order (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES project ON DELETE CASCADE,
    -- 提醒函 / 督办函 / 交办函
    kind        text NOT NULL CHECK (kind IN ('reminder', 'supervision', 'assignment')),
    doc_no      text NULL,                          -- 文号
    to_unit_id  bigint NULL REFERENCES unit,
    issued_on   date NOT NULL,
    reply_due   date NULL,
    replied_on  date NULL,
    reason      text NULL,
    -- the project.repeated_red alert that produced it; UNIQUE (NULLs
    -- distinct, on purpose: hand-written orders have none) so a re-scan
    -- never issues the same order twice
    alert_id    bigint NULL UNIQUE REFERENCES alert ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    reply_note  text NULL,                          -- what the unit answered
    CONSTRAINT supervision_reply_order CHECK (reply_due >= issued_on),
    CONSTRAINT supervision_replied_order CHECK (replied_on >= issued_on)
);
CREATE INDEX supervision_order_project_idx ON supervision_order (project_id);
CREATE INDEX supervision_order_open_idx ON supervision_order (reply_due) WHERE replied_on IS NULL;

CREATE TABLE silence (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- {"county": ["涧西区"], "kind": ["milestone.due_soon"], …}
    matchers   jsonb NOT NULL CHECK (jsonb_typeof(matchers) = 'object'),
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    comment    text NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- keyprojd never deletes a silence, it marks it deleted: the trail from
    -- a delivery it held back never breaks
    deleted_at timestamptz NULL,
    deleted_by text NULL,
    CONSTRAINT silence_order CHECK (ends_at > starts_at),
    CONSTRAINT silence_deleted_pair CHECK ((deleted_at IS NULL) = (deleted_by IS NULL)),
    -- an empty matcher would silence everything: say so explicitly instead
    CONSTRAINT silence_has_matcher CHECK (matchers <> '{}'::jsonb)
);
CREATE INDEX silence_ends_idx ON silence (ends_at);

-- The outbox. fillfactor 80: room on each page for a row's next version
-- (a claim changes no indexed column, so its update can stay HOT).
CREATE TABLE delivery (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id         bigint NOT NULL REFERENCES alert ON DELETE CASCADE,
    receiver         text NOT NULL CHECK (btrim(receiver) <> ''),  -- receiver name from the config
    -- silenced: held back by a silence (silence_id), sent only if retried
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'dead', 'silenced')),
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    -- a claim is a lease: a daemon that dies mid-send loses it at claimed_until
    claimed_by       text NULL,
    claimed_until    timestamptz NULL,
    last_error       text NULL,
    last_http_status int NULL CHECK (last_http_status BETWEEN 100 AND 599),
    delivered_at     timestamptz NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- RESTRICT: a silence that held messages back stays (keyprojd only marks
    -- it deleted), so the trail from a silenced delivery never breaks
    silence_id       bigint NULL REFERENCES silence,
    silenced_at      timestamptz NULL,
    first_attempt_at timestamptz NULL,
    CONSTRAINT delivery_key UNIQUE (alert_id, receiver),
    CONSTRAINT delivery_claim_pair CHECK ((claimed_by IS NULL) = (claimed_until IS NULL)),
    CONSTRAINT delivery_delivered_has_time CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT delivery_silenced_has_silence CHECK ((status = 'silenced') = (silence_id IS NOT NULL)),
    CONSTRAINT delivery_silenced_has_time CHECK ((silence_id IS NULL) = (silenced_at IS NULL))
) WITH (fillfactor = 80);
-- The claim query: WHERE status = 'pending' AND next_attempt_at <= $now
-- ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED.
CREATE INDEX delivery_due_idx ON delivery (next_attempt_at) WHERE status = 'pending';
-- keyprojctl lists and replays dead letters.
CREATE INDEX delivery_dead_idx ON delivery (created_at) WHERE status = 'dead';
-- The claim takes the oldest due rows of each receiver in turn.
CREATE INDEX delivery_receiver_due_idx ON delivery (receiver, next_attempt_at) WHERE status = 'pending';
CREATE INDEX delivery_silence_idx ON delivery (silence_id) WHERE silence_id IS NOT NULL;
-- `deliveries --status silenced` and `retry --dead` walk these by age.
CREATE INDEX delivery_silenced_idx ON delivery (created_at) WHERE status = 'silenced';

-- ===========================================================================
-- The audit trail
-- ===========================================================================


CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,           -- uid/user name from SO_PEERCRED, or 'keyprojd'
    action     text NOT NULL,           -- 'import.projects', 'milestone.done', …
    subject    text NULL,               -- 'project:CODE', 'milestone:CODE/2026-B6/start/开工'
    old        jsonb NULL,              -- changed columns only, before
    new        jsonb NULL,              -- changed columns only, after
    result     text NOT NULL DEFAULT 'ok',
    request_id text NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);
