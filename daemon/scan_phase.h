/* scan_phase: what the engine's phases share (internal to scan*.c). A
 * phase selects the rows due for a check, runs the rules on each and
 * fills one batch: every row's new state and the alerts to insert; scan.c
 * then writes the batch with the phase's single statement. */
#ifndef KEYPROJ_SCAN_PHASE_H
#define KEYPROJ_SCAN_PHASE_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "util.h"
#include "rules.h"
#include "values.h"

/* One scan's fixed view of time and settings. */
struct scan_ctx {
    const struct config *cfg;
    struct ymd today;
    char today_s[11];
    char now_iso[32];
};

/* The alerts' columns, each a PostgreSQL array literal ("{1,2,3}" /
 * "{\"a\",\"b\"}", begun with "{" before the build and closed after it),
 * but for the payloads, a text[] in binary format (scan_alert.c): the
 * write statement unnests them, typed, with no JSON document to parse
 * around them. */
enum { SCAN_A_ROW, SCAN_A_KIND, SCAN_A_SUBJECT, SCAN_A_STAGE, SCAN_A_LIGHT, SCAN_A_PROJECT,
       SCAN_A_PAYLOAD, SCAN_A_RECEIVERS, SCAN_A_COLS };

struct scan_batch {
    /* The rows' new state as JSON text, [{id, x (xmin seen), next, light,
     * …}, …], written member by member (scan_add_row, scan_row_*): a
     * jansson object per row, then its dump, cost more than the rules. */
    struct buf rows;
    size_t n_rows;
    bool row_open;      /* the last row's "}" is still to come */
    size_t n_alerts;
    struct buf a[SCAN_A_COLS];
};

/* The columns every phase selects about a row's project. */
struct scan_project_cols {
    int id, code, name, county, sector, level, unit, leader, mobile, contact, contact_mobile;
};

/* What routes an alert to receivers (receiver.match); NULL: a receiver
 * matching on that field does not get it. An alert is the concern of two
 * units when its milestone, problem or approval names one of its own. */
struct scan_route {
    const char *county, *sector, *level, *leader, *unit, *part_unit;
};

struct scan_phase {
    const char *name;           /* "milestones": the key in `scan`'s counts */
    /* $1 today, $2 batch size, [$3 reports needed, $4 this month, $5 the
     * month before]: rows with next_check_on <= today, at most $2 of them;
     * then one more parameter, $(select_params + 1), the ids to leave out
     * (DUE_ROWS). */
    const char *select_sql;
    int select_params;
    /* The select takes two more parameters after the ids to leave out:
     * the number of lanes (1 or 2) and this lane's number; it reads only
     * the rows of the projects whose id modulo the first is the second
     * (LANE_OF). scan.c then runs the phase on two connections at once,
     * each lane on its own projects, so that two batches never write the
     * same project's rows. False: one lane. */
    bool lanes;
    /* $1 rows (json), $2 the alerts' row ids, $3 now, $4 today, $5…$11
     * the alerts' other columns (SCAN_WRITE_ALERTS) → one row: written,
     * alerts, deliveries. The project phase's also takes $12, the number
     * pattern of its 督办函 (letters.supervision.number). */
    const char *write_sql;
    /* Adds rows from..to-1 of the select's result to the batch (scan.c
     * builds a batch in slices, so that the event loop runs in between). */
    void (*build)(const struct scan_ctx *c, const PGresult *res, int from, int to, struct scan_batch *b);
};

/* A batch's buffers: made empty; freed; closed before the write, which
 * returns the length of the payloads' column (SCAN_A_PAYLOAD, binary). */
void scan_batch_init(struct scan_batch *b);
void scan_batch_free(struct scan_batch *b);
int scan_batch_close(struct scan_batch *b);

extern const struct scan_phase scan_phase_milestones, scan_phase_problems,
    scan_phase_approvals, scan_phase_projects, scan_phase_campaigns;

/* How every write statement begins: "WITH lk …, r AS (SELECT * FROM lk,
 * <the rows' state $1>" — the phase goes on with " AS r(columns))". lk
 * takes the import's advisory lock shared before any row is locked (r, and
 * so every CTE that writes, needs it first): an import (which holds it
 * exclusively, sql/functions/import.sql) and a scan batch take turns instead of
 * locking the same projects in different orders and deadlocking — which
 * two daemons on one database, one importing while the other scans,
 * otherwise did. The rows are read as json, not jsonb: each is read once,
 * into typed columns, and jsonb's conversion to its binary form first
 * cost twice as much (5,000 rows: 25-31 ms against 11-13 ms). */
#define SCAN_WRITE_BEGIN \
    "WITH lk AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(hashtextextended('keyproj.import', 0)))" \
    ", r AS (SELECT r.* FROM lk, json_to_recordset($1::json)"

/* The part shared by every write statement, after a CTE "upd" that
 * returns the ids (as id) of the rows whose state was written: the alerts
 * of those rows (ON CONFLICT: a stage already raised is not raised again),
 * the deliveries of the alerts actually inserted, and the counts (the
 * alerts also by kind, {kind: n}, for /metrics). ret: more columns of the
 * inserted alerts for the phase's own CTEs ("" or ", project_id, payload").
 * The alerts' columns are unnested in the select list, which streams them:
 * unnest in FROM, or a CTE, keeps every row in memory first, and 5,000
 * payloads are more than work_mem, so that each batch wrote and read
 * temporary files. The payloads come as text[] and are cast to jsonb one
 * by one: a jsonb[] parameter cost about half as much again to read
 * (5,000 payloads: ~100 ms against ~65 ms). An alert of a project off the
 * list (archived, 调出, keyproj_on_list) is not raised: the row's state is
 * still written, so a readmitted project resumes from where it stands. */
#define SCAN_WRITE_PARAMS 11
#define SCAN_WRITE_PAYLOADS 9       /* the index of $10, the payloads (binary) */
#define SCAN_WRITE_ALERTS_RETURNING(ret) \
    ", ins AS (INSERT INTO alert (kind, subject, stage, light, project_id, created_at, payload)" \
    "   SELECT a.kind, a.subject, a.stage, a.light, a.project_id, $3::timestamptz, a.payload::jsonb" \
    "     FROM (SELECT unnest($2::bigint[]) AS row_id, unnest($5::text[]) AS kind," \
    "           unnest($6::text[]) AS subject, unnest($7::text[]) AS stage, unnest($8::text[]) AS light," \
    "           unnest($9::bigint[]) AS project_id, unnest($10::text[]) AS payload) a" \
    "    WHERE a.row_id IN (SELECT id FROM upd)" \
    "      AND NOT EXISTS (SELECT FROM project ap WHERE ap.id = a.project_id" \
    "                      AND NOT keyproj_on_list(ap.archived_on, $4::date))" \
    "   ON CONFLICT (kind, subject, stage) DO NOTHING" \
    "   RETURNING id, kind, subject, stage" ret ")" \
    ", dlv AS (INSERT INTO delivery (alert_id, receiver, next_attempt_at, created_at)" \
    "   SELECT ins.id, r.name, $3::timestamptz, $3::timestamptz" \
    "     FROM ins JOIN unnest($5::text[], $6::text[], $7::text[], $11::text[])" \
    "       AS a(kind, subject, stage, receivers) USING (kind, subject, stage)" \
    "     CROSS JOIN LATERAL unnest(a.receivers::text[]) AS r(name)" \
    "   RETURNING alert_id)"
#define SCAN_WRITE_ALERTS SCAN_WRITE_ALERTS_RETURNING("")
#define SCAN_WRITE_COUNTS \
    " SELECT (SELECT count(*) FROM upd) AS written, (SELECT count(*) FROM ins) AS alerts," \
    " (SELECT count(*) FROM dlv) AS deliveries, $4::date AS today," \
    " (SELECT json_object_agg(kind, n) FROM (SELECT kind, count(*) AS n FROM ins GROUP BY kind) k) AS by_kind"

/* The project columns every phase selects (scan_project_cols). */
#define PROJECT_SELECT \
    " p.id AS project_id, p.code, p.name AS project_name, c.name AS county, p.sector, p.level," \
    " pu.name AS project_unit, l.name AS leader, l.mobile AS leader_mobile," \
    " k.name AS contact, k.mobile AS contact_mobile"
#define PROJECT_REFS \
    " JOIN county c ON c.id = p.county_id" \
    " LEFT JOIN unit pu ON pu.id = p.unit_id LEFT JOIN person l ON l.id = p.leader_id" \
    " LEFT JOIN person k ON k.id = p.contact_id"
#define PROJECT_JOIN(fk) " JOIN project p ON p.id = " fk PROJECT_REFS

/* The rows due (whole rows, with the xmin the write will check), oldest
 * check first, straight from the partial index: a derived table with its
 * own LIMIT, so the planner never scans the table to join back to it.
 * exclude: the parameter ("$3") holding the ids of the batch before,
 * selected but perhaps not written yet (scan.c pipelines a phase's
 * batches); "{}" for none. */
#define SCAN_SELECT_PARAMS 5    /* the most a phase's select takes, exclude and lanes aside */
#define DUE_ROWS(table, alias, exclude, lane) \
    " (SELECT d.*, d.xmin FROM " table " d WHERE d.next_check_on <= $1::date" \
    " AND d.id <> ALL(" exclude "::bigint[])" lane \
    " ORDER BY d.next_check_on, d.id LIMIT $2::int) " alias
/* The lane filter of a phase with lanes: n the parameter holding the number
 * of lanes, k this lane's, project the row's project id (a milestone's
 * state row names it, sql/0011_milestone_state_project.sql). With two,
 * lane k reads the projects whose id modulo 2 is k, written as "is not
 * 1 - k": the planner expects an equality on an expression to keep 0.5%
 * of the rows, and planned a 5,000-row batch's joins for 800 rows (twice
 * as slow); an inequality it expects to keep most. SCAN_LANES (scan.c) is
 * never more than 2. */
#define LANE_OF(project, n, k) \
    " AND (" n "::int = 1 OR " project " % " n "::int <> " n "::int - 1 - " k "::int)"

/* ---- helpers (scan_alert.c) -------------------------------------------- */

/* A date column ("2026-11-20"); y == 0 for NULL or infinity. */
struct ymd scan_date(const PGresult *res, int row, int col);
const char *scan_str(const PGresult *res, int row, int col);   /* NULL for SQL NULL */
double scan_num(const PGresult *res, int row, int col);        /* 0 for NULL */
long long scan_id(const PGresult *res, int row, int col);
enum rules_light scan_light(const PGresult *res, int row, int col); /* NULL = green */
int scan_col(const PGresult *res, const char *name);            /* aborts if missing */

void scan_project_cols(const PGresult *res, struct scan_project_cols *pc);
/* {code, name, county, sector, level, unit, leader, leader_mobile,
 * contact, contact_mobile} */
json_t *scan_project_json(const PGresult *res, int row, const struct scan_project_cols *pc);

/* Appends the row's new state: {id, x, next, light?} (light NULL: none).
 * next after today, or null for "never". The row stays open: the
 * scan_row_* calls that follow add members to it, until the next row or
 * scan_rows_text. */
void scan_add_row(const struct scan_ctx *c, struct scan_batch *b, const PGresult *res, int row,
                  int id_col, int xmin_col, struct ymd next, const char *light);
/* A member of the open row: a string (NULL: null), a number, a boolean, a
 * JSON value (v stolen). key is a plain literal, written as it is. */
void scan_row_str(struct scan_batch *b, const char *key, const char *v);
void scan_row_int(struct scan_batch *b, const char *key, long long v);
void scan_row_bool(struct scan_batch *b, const char *key, bool v);
void scan_row_json(struct scan_batch *b, const char *key, json_t *v);
/* Closes the rows ("[]" when none) and returns their text, owned by b;
 * once per batch, when it is sent. */
const char *scan_rows_text(struct scan_batch *b);

/* Appends one alert of row row_id. payload (stolen) gets the common
 * members (type, stage, light, tier, tier_name, since, days_late, message,
 * project); message is one Chinese line, or NULL: wording.c says it from
 * the payload as of this scan's date (render says it again when sending).
 * Receivers are chosen here: every receiver whose match fits (county,
 * sector, level, kind, light, tier, leader, unit: the project's or
 * part_unit, the part's own; NULL: none). */
void scan_add_alert(const struct scan_ctx *c, struct scan_batch *b, long long row_id,
                    const char *subject, const struct rules_decision *dec,
                    const PGresult *res, int row, const struct scan_project_cols *pc,
                    const char *part_unit, json_t *payload, const char *message);

/* The same for an alert about no single project (a campaign target):
 * project_id 0 = none; rt routes it. */
void scan_add_alert_scoped(const struct scan_ctx *c, struct scan_batch *b, long long row_id,
                           const char *subject, const struct rules_decision *dec, long long project_id,
                           const struct scan_route *rt, json_t *payload, const char *message);

/* True when receiver rv's match fits an alert of kind, light and tier
 * routed by rt (pure; unit-tested). */
bool scan_route_fits(const struct receiver *rv, const struct scan_route *rt, const char *kind,
                     const char *light, const char *tier);

/* "涧西区 某某项目": how messages name a project. Caller frees. */
char *scan_project_label(const PGresult *res, int row, const struct scan_project_cols *pc);
/* "（…，责任单位：X）" tail pieces: ", 责任单位：X" or "" when unit is NULL. */
void scan_unit_suffix(const char *unit, char *out, size_t outlen);
/* s cut to at most max_cols display columns, with "…" when cut. Caller frees. */
char *scan_cut(const char *s, size_t max_cols);

#endif
