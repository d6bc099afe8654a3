/* scan_parts: the engine's phases for the rows below a project —
 * milestones (节点), problems (问题清单) and approvals (联审联批): what
 * each selects, how its rows become rules input, and the alerts' payloads
 * and messages. A milestone or problem whose light changed marks its
 * project for a check in the same statement, so the project phase (after
 * these) folds the new light in — only when that can change the project
 * (project.milestone_light, sql/0001_baseline.sql): the new light is worse than the part light the
 * project last folded in, or the old one was that light. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_phase.h"
#include "util.h"

/* The state write of a part with a light: a row edited since it was read
 * (its state's xmin moved on) is left alone, with its alerts: its reset to
 * '-infinity' stands, and the next batch reads it afresh. A project whose
 * part light (plight, the column the project phase keeps) is unknown, is
 * beaten by a new light, or was made by an old one, is marked (a row in
 * project_mark, sql/0001_baseline.sql; one there already is written
 * again, so that a project phase that read it before this batch keeps
 * it), unless it is due at '-infinity' already: this scan's project
 * phase, after every part's write, judges it anyway (a first scan's
 * projects, all of them). Why the others need no judgement: were the
 * project's part light stale, the change that made it so marked the
 * project already. A
 * milestone's state is a row of milestone_state (table, keyed by key);
 * a problem's is in its own row. r.p is the project the build saw: a
 * part moved since has a new xmin and is not written. */
#define PART_WRITE(table, key, plight) \
    SCAN_WRITE_BEGIN \
    "   AS r(id bigint, x xid, p bigint, next date, light text, was text, moved boolean))" \
    ", upd AS (UPDATE " table " t SET next_check_on = r.next, light = r.light FROM r" \
    "   WHERE t." key " = r.id AND t.xmin = r.x RETURNING r.id, r.p AS project_id, r.light, r.was, r.moved)" \
    ", prj AS (INSERT INTO project_mark (project_id) SELECT u.project_id" \
    "   FROM (SELECT project_id, max(keyproj_light_rank(light)) AS hi, max(keyproj_light_rank(was)) AS old" \
    "         FROM upd WHERE moved GROUP BY project_id) u JOIN project p ON p.id = u.project_id" \
    "     JOIN project_state ps ON ps.project_id = u.project_id" \
    "   WHERE (p." plight " IS NULL OR u.hi > keyproj_light_rank(p." plight ")" \
    "          OR u.old >= keyproj_light_rank(p." plight "))" \
    "     AND ps.next_check_on IS DISTINCT FROM '-infinity'" \
    "   ON CONFLICT (project_id) DO UPDATE SET project_id = EXCLUDED.project_id)" \
    SCAN_WRITE_ALERTS SCAN_WRITE_COUNTS

static void
part_row(const struct scan_ctx *c, struct scan_batch *b, const PGresult *res, int row,
         int id_col, int xmin_col, int light_col, int project_col, const struct rules_out *out)
{
    const char *light = rules_light_name(out->light);
    const char *was = scan_str(res, row, light_col);
    scan_add_row(c, b, res, row, id_col, xmin_col, out->next, light);
    scan_row_int(b, "p", scan_id(res, row, project_col));
    scan_row_str(b, "was", was);
    scan_row_bool(b, "moved", !str_eq(was, light));
}

/* ---- milestones ---------------------------------------------------------- */

/* The milestones due, as DUE_ROWS but from their state rows (whose xmin
 * is the one the write checks), each joined to its milestone by its
 * primary key. OFFSET 0 keeps that join a lookup per row: flattened, the
 * planner hashed the batch's state rows and read the whole milestone
 * table to join them, or started parallel workers for 5,000 rows. */
#define DUE_MILESTONES \
    " (SELECT d.milestone_id, d.xmin, d.light FROM milestone_state d WHERE d.next_check_on <= $1::date" \
    " AND d.milestone_id <> ALL($3::bigint[])" \
    LANE_OF("d.project_id", "$4", "$5") \
    " ORDER BY d.next_check_on, d.milestone_id LIMIT $2::int) s" \
    " CROSS JOIN LATERAL (SELECT * FROM milestone WHERE id = s.milestone_id OFFSET 0) m"

static void
milestones_build(const struct scan_ctx *c, const PGresult *res, int from, int to, struct scan_batch *b)
{
    struct scan_project_cols pc;
    scan_project_cols(res, &pc);
    int id = scan_col(res, "id"), x = scan_col(res, "xmin"), kind = scan_col(res, "kind"),
        status = scan_col(res, "status"), due = scan_col(res, "due_on"),
        title = scan_col(res, "title"), light = scan_col(res, "light"),
        campaign = scan_col(res, "campaign"), unit = scan_col(res, "unit");
    for (int i = from; i < to; i++) {
        struct rules_milestone m = {
            .kind = scan_str(res, i, kind),
            .status = scan_str(res, i, status),
            .due_on = scan_date(res, i, due),
        };
        struct rules_out out;
        rules_milestone(&c->cfg->rules, &m, c->today, &out);
        part_row(c, b, res, i, id, x, light, pc.id, &out);
        if (out.n == 0)
            continue;
        char subject[40];
        snprintf(subject, sizeof subject, "milestone:%s", PQgetvalue(res, i, id));
        const char *u = scan_str(res, i, unit) ? scan_str(res, i, unit) : scan_str(res, i, pc.unit);
        long due_day = ymd_to_days(&m.due_on);
        for (size_t k = 0; k < out.n; k++) {
            const struct rules_decision *dec = &out.d[k];
            long since = ymd_to_days(&dec->since);
            json_t *ms = json_object();
            json_object_set_new(ms, "id", json_integer(scan_id(res, i, id)));
            json_object_set_new(ms, "title", json_string(scan_str(res, i, title)));
            json_object_set_new(ms, "kind", json_string(m.kind));
            json_object_set_new(ms, "due", json_string(PQgetvalue(res, i, due)));
            json_object_set_new(ms, "days_overdue", json_integer(since - due_day));
            json_object_set_new(ms, "campaign", json_string(scan_str(res, i, campaign)));
            json_object_set_new(ms, "unit", u ? json_string(u) : json_null());
            json_t *payload = json_pack("{s:o}", "milestone", ms);
            scan_add_alert(c, b, scan_id(res, i, id), subject, dec, res, i, &pc, u, payload, NULL);
        }
    }
}

const struct scan_phase scan_phase_milestones = {
    "milestones",
    "SELECT m.id, s.xmin, m.kind, m.status, m.due_on, m.title, s.light, cp.code AS campaign,"
    " mu.name AS unit," PROJECT_SELECT
    " FROM" DUE_MILESTONES PROJECT_JOIN("m.project_id")
    " JOIN campaign cp ON cp.id = m.campaign_id LEFT JOIN unit mu ON mu.id = m.unit_id ORDER BY m.id",
    2,
    true,
    PART_WRITE("milestone_state", "milestone_id", "milestone_light"),
    milestones_build,
};

/* ---- problems ------------------------------------------------------------ */

static void
problems_build(const struct scan_ctx *c, const PGresult *res, int from, int to, struct scan_batch *b)
{
    struct scan_project_cols pc;
    scan_project_cols(res, &pc);
    int id = scan_col(res, "id"), x = scan_col(res, "xmin"), severity = scan_col(res, "severity"),
        status = scan_col(res, "status"), reported = scan_col(res, "reported_on"),
        limit = scan_col(res, "time_limit"), light = scan_col(res, "light"),
        desc = scan_col(res, "description"), category = scan_col(res, "category"),
        unit = scan_col(res, "unit");
    for (int i = from; i < to; i++) {
        struct rules_problem p = {
            .severity = scan_str(res, i, severity),
            .status = scan_str(res, i, status),
            .reported_on = scan_date(res, i, reported),
            .time_limit = scan_date(res, i, limit),
        };
        struct rules_out out;
        rules_problem(&c->cfg->rules, &p, c->today, &out);
        part_row(c, b, res, i, id, x, light, pc.id, &out);
        for (size_t k = 0; k < out.n; k++) {
            const struct rules_decision *dec = &out.d[k];
            char subject[40], limit_s[11];
            snprintf(subject, sizeof subject, "problem:%s", PQgetvalue(res, i, id));
            /* the stage names the limit the rules used (given or by severity) */
            memcpy(limit_s, dec->stage, 10);
            limit_s[10] = '\0';
            const char *u = scan_str(res, i, unit) ? scan_str(res, i, unit) : scan_str(res, i, pc.unit);
            char *what = scan_cut(scan_str(res, i, desc), 40);
            json_t *payload = json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:o}}", "problem",
                                        "id", (json_int_t)scan_id(res, i, id),
                                        "category", scan_str(res, i, category),
                                        "severity", p.severity, "description", what,
                                        "time_limit", limit_s, "unit", u ? json_string(u) : json_null());
            scan_add_alert(c, b, scan_id(res, i, id), subject, dec, res, i, &pc, u, payload, NULL);
            free(what);
        }
    }
}

const struct scan_phase scan_phase_problems = {
    "problems",
    "SELECT pr.id, pr.xmin, pr.category, pr.severity, pr.description, pr.status, pr.reported_on,"
    " pr.time_limit, pr.light, u.name AS unit," PROJECT_SELECT
    " FROM" DUE_ROWS("problem", "pr", "$3", LANE_OF("d.project_id", "$4", "$5")) PROJECT_JOIN("pr.project_id")
    " LEFT JOIN unit u ON u.id = pr.unit_id ORDER BY pr.id",
    2,
    true,
    PART_WRITE("problem", "id", "problem_light"),
    problems_build,
};

/* ---- approvals: alerts only, no light (doc/alerts.md) ---------------------- */

/* An item that follows an approval milestone (approval.milestone_id) is
 * that node's: milestone.due_soon and milestone.overdue already speak for
 * it, so it raises nothing of its own and is not looked at again until it
 * changes. */

static void
approvals_build(const struct scan_ctx *c, const PGresult *res, int from, int to, struct scan_batch *b)
{
    struct scan_project_cols pc;
    scan_project_cols(res, &pc);
    int id = scan_col(res, "id"), x = scan_col(res, "xmin"), status = scan_col(res, "status"),
        planned = scan_col(res, "planned_on"), item = scan_col(res, "item"), unit = scan_col(res, "unit");
    int follows = scan_col(res, "milestone_id");
    for (int i = from; i < to; i++) {
        if (!PQgetisnull(res, i, follows)) {
            scan_add_row(c, b, res, i, id, x, (struct ymd){ 0, 0, 0 }, NULL);
            continue;
        }
        struct rules_approval a = {
            .status = scan_str(res, i, status),
            .planned_on = scan_date(res, i, planned),
        };
        struct rules_out out;
        rules_approval(&c->cfg->rules, &a, c->today, &out);
        scan_add_row(c, b, res, i, id, x, out.next, NULL);
        for (size_t k = 0; k < out.n; k++) {
            const struct rules_decision *dec = &out.d[k];
            char subject[40];
            snprintf(subject, sizeof subject, "approval:%s", PQgetvalue(res, i, id));
            const char *u = scan_str(res, i, unit);
            json_t *payload = json_pack("{s:{s:I, s:s, s:s, s:i, s:o}}", "approval",
                                        "id", (json_int_t)scan_id(res, i, id),
                                        "item", scan_str(res, i, item),
                                        "planned_on", PQgetvalue(res, i, planned),
                                        "days_overdue", dec->days_late,
                                        "unit", u ? json_string(u) : json_null());
            scan_add_alert(c, b, scan_id(res, i, id), subject, dec, res, i, &pc, u, payload, NULL);
        }
    }
}

const struct scan_phase scan_phase_approvals = {
    "approvals",
    "SELECT ap.id, ap.xmin, ap.item, ap.status, ap.planned_on, ap.milestone_id, u.name AS unit," PROJECT_SELECT
    " FROM" DUE_ROWS("approval", "ap", "$3", LANE_OF("d.project_id", "$4", "$5")) PROJECT_JOIN("ap.project_id")
    " LEFT JOIN unit u ON u.id = ap.unit_id ORDER BY ap.id",
    2,
    true,
    SCAN_WRITE_BEGIN " AS r(id bigint, x xid, next date))"
    ", upd AS (UPDATE approval t SET next_check_on = r.next FROM r"
    "   WHERE t.id = r.id AND t.xmin = r.x RETURNING t.id)"
    SCAN_WRITE_ALERTS SCAN_WRITE_COUNTS,
    approvals_build,
};
