/* scan_project: the engine's project phase. Runs after the parts, so a
 * project's light is the worst of its own rules (start, completion,
 * investment, report, stalled) and of the lights its milestones and
 * problems were just given; stores it with its reasons and month; and
 * raises project.repeated_red with a supervision order (督办函) in the
 * same statement as the alert. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "scan_phase.h"
#include "util.h"

/* More reports than the rules could ever ask for (rules_reports_needed). */
#define MAX_REPORTS 16

/* Reads "{2026-10,2026-09}" and "{1234.5,1000}" (newest first). */
static size_t
parse_reports(const char *months, const char *ytds, struct rules_report *out, size_t max)
{
    size_t n = 0;
    if (months == NULL || ytds == NULL)
        return 0;
    const char *m = months + (*months == '{'), *y = ytds + (*ytds == '{');
    while (n < max && *m && *m != '}' && *y && *y != '}') {
        struct rules_report *r = &out[n];
        char *end;
        if (sscanf(m, "%4d-%2d", &r->y, &r->m) != 2)
            break;
        r->ytd = strtod(y, &end);
        n++;
        m = strchr(m, ',');
        y = strchr(end, ',');
        if (m == NULL || y == NULL)
            break;
        m++;
        y++;
    }
    return n;
}

struct cols {
    int id, x, mark_x, year, status, category, pstart, pend, astart, aend, plan, months, ytds,
        cumulative, m_light, p_light, last, before_last, entered, created;
};

static void
find_cols(const PGresult *res, struct cols *k)
{
    k->id = scan_col(res, "id");
    k->x = scan_col(res, "xmin");
    k->mark_x = scan_col(res, "mark_x");
    k->year = scan_col(res, "year");
    k->status = scan_col(res, "status");
    k->category = scan_col(res, "category");
    k->pstart = scan_col(res, "planned_start");
    k->pend = scan_col(res, "planned_end");
    k->astart = scan_col(res, "actual_start");
    k->aend = scan_col(res, "actual_end");
    k->plan = scan_col(res, "annual_plan");
    k->months = scan_col(res, "months");
    k->ytds = scan_col(res, "ytds");
    k->cumulative = scan_col(res, "planned_cumulative");
    k->m_light = scan_col(res, "milestone_light");
    k->p_light = scan_col(res, "problem_light");
    k->last = scan_col(res, "light_last");
    k->before_last = scan_col(res, "light_before_last");
    k->entered = scan_col(res, "entered_on");
    k->created = scan_col(res, "created_epoch");
}

static enum rules_light
rank_light(const PGresult *res, int row, int col)
{
    const char *v = scan_str(res, row, col);
    return v == NULL ? RULES_GREEN : v[0] == '2' ? RULES_RED : v[0] == '1' ? RULES_YELLOW : RULES_GREEN;
}

/* Everything a project's alerts may quote. */
struct facts {
    const PGresult *res;
    int row;
    const struct cols *k;
    const struct rules_project *p;
    struct ymd today;
    int reply_days;     /* what a 督办函 gives the unit (letters.supervision.reply_days) */
};

static void
month_name(struct ymd d, int back, char out[16])
{
    int mi = d.y * 12 + (d.m - 1) - back;
    snprintf(out, 16, "%04d-%02d", mi / 12, mi % 12 + 1);
}

static void
investment_facts(const struct facts *f, json_t *payload)
{
    const struct rules_project *p = f->p;
    const struct rules_report *r = &p->reports[0];
    double expected = p->has_planned_cumulative ? p->planned_cumulative / p->annual_plan : r->m / 12.0;
    double actual = r->ytd / p->annual_plan;
    char month[16];
    snprintf(month, sizeof month, "%04d-%02d", r->y, r->m);
    json_object_set_new(payload, "investment",
                        json_pack("{s:s, s:f, s:f, s:f, s:f, s:f}", "month", month, "ytd", r->ytd,
                                  "annual_plan", p->annual_plan, "planned_percent", expected * 100.0,
                                  "actual_percent", actual * 100.0,
                                  "behind_points", (expected - actual) * 100.0));
}

/* The facts the kind's words need (wording.c), into the payload. */
static void
project_facts(const struct facts *f, const struct rules_config *cfg,
              const struct rules_decision *dec, json_t *payload)
{
    const PGresult *res = f->res;
    char month[8];
    memcpy(month, dec->stage, 7);
    month[7] = '\0';
    switch (dec->kind) {
    case RULES_START_OVERDUE:
    case RULES_COMPLETION_OVERDUE:
        json_object_set_new(payload, "schedule",
                            json_pack("{s:s?, s:s?}", "planned_start", scan_str(res, f->row, f->k->pstart),
                                      "planned_end", scan_str(res, f->row, f->k->pend)));
        return;
    case RULES_INVESTMENT_LAGGING:
        investment_facts(f, payload);
        return;
    case RULES_REPORT_MISSING:
        json_object_set_new(payload, "report",
                            json_pack("{s:s, s:i}", "month", month, "periods",
                                      dec->light == RULES_RED ? cfg->report_red_periods : 1));
        return;
    case RULES_PROGRESS_STALLED:
        json_object_set_new(payload, "progress",
                            json_pack("{s:s, s:i}", "month", month, "reports",
                                      dec->light == RULES_RED ? cfg->stalled_red_reports
                                                              : cfg->stalled_yellow_reports));
        return;
    default: {
        char before[16], reply[11];
        struct ymd due;
        month_name(f->today, 2, before);
        days_to_ymd(ymd_to_days(&f->today) + f->reply_days, &due);
        format_date(&due, reply);
        const char *unit = scan_str(res, f->row, scan_col(res, "project_unit"));
        json_object_set_new(payload, "supervision",
                            json_pack("{s:s, s:o, s:s}", "kind", "supervision", "to_unit",
                                      unit ? json_string(unit) : json_null(), "reply_due", reply));
        json_object_set_new(payload, "red_months", json_pack("[s, s]", before, month));
        return;
    }
    }
}

static json_t *
reasons_json(const struct rules_parts *parts)
{
    enum rules_part why[RULES_PART_COUNT];
    size_t n = rules_light_reasons(parts, why);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(rules_part_name(why[i])));
    return a;
}

static struct ymd
earlier(struct ymd a, struct ymd b)
{
    if (a.y == 0)
        return b;
    if (b.y == 0)
        return a;
    return ymd_to_days(&a) <= ymd_to_days(&b) ? a : b;
}

/* The business date the project entered the ledger: as first recorded by
 * a scan, or (first judgement) the earlier of its creation's business
 * date and today. */
static struct ymd
entered_on(const struct scan_ctx *c, const PGresult *res, int i, const struct cols *k)
{
    struct ymd e = scan_date(res, i, k->entered);
    if (e.y != 0)
        return e;
    if (!PQgetisnull(res, i, k->created))
        clock_date_of(strtod(PQgetvalue(res, i, k->created), NULL), &e);
    if (e.y == 0 || ymd_to_days(&e) > ymd_to_days(&c->today))
        e = c->today;
    return e;
}

static void
one_project(const struct scan_ctx *c, const PGresult *res, int i, const struct cols *k,
            const struct scan_project_cols *pc, struct scan_batch *b)
{
    const struct rules_config *cfg = &c->cfg->rules;
    struct rules_report reps[MAX_REPORTS];
    struct ymd entered = entered_on(c, res, i, k);
    struct rules_project p = {
        .year = atoi(PQgetvalue(res, i, k->year)),
        .status = scan_str(res, i, k->status),
        .category = scan_str(res, i, k->category),
        .planned_start = scan_date(res, i, k->pstart),
        .planned_end = scan_date(res, i, k->pend),
        .actual_start = scan_date(res, i, k->astart),
        .actual_end = scan_date(res, i, k->aend),
        .annual_plan = scan_num(res, i, k->plan),
        .has_planned_cumulative = !PQgetisnull(res, i, k->cumulative),
        .planned_cumulative = scan_num(res, i, k->cumulative),
        .reports = reps,
        .reports_from = rules_reports_from(cfg, entered),
        .n_reports = parse_reports(scan_str(res, i, k->months), scan_str(res, i, k->ytds), reps, MAX_REPORTS),
    };
    struct rules_out out, rr;
    struct rules_parts parts;
    rules_parts_init(&parts);
    rules_project(cfg, &p, c->today, &out, &parts);
    parts.light[RULES_PART_MILESTONE] = rank_light(res, i, k->m_light);
    parts.light[RULES_PART_PROBLEM] = rank_light(res, i, k->p_light);
    enum rules_light light = rules_light_fold(&parts);
    rules_repeated_red(cfg, scan_light(res, i, k->last), scan_light(res, i, k->before_last), c->today, &rr);

    char month[11];
    snprintf(month, sizeof month, "%04d-%02d-01", c->today.y, c->today.m);
    scan_add_row(c, b, res, i, k->id, k->x, earlier(out.next, rr.next), rules_light_name(light));
    scan_row_str(b, "mx", PQgetisnull(res, i, k->mark_x) ? NULL : PQgetvalue(res, i, k->mark_x));
    scan_row_json(b, "reasons", reasons_json(&parts));
    scan_row_str(b, "mlight", rules_light_name(parts.light[RULES_PART_MILESTONE]));
    scan_row_str(b, "plight", rules_light_name(parts.light[RULES_PART_PROBLEM]));
    scan_row_str(b, "month", month);
    char entered_s[11];
    format_date(&entered, entered_s);
    scan_row_str(b, "entered", entered_s);

    for (size_t n = 0; n < rr.n && out.n < RULES_MAX_DECISIONS; n++)
        out.d[out.n++] = rr.d[n];
    if (out.n == 0)
        return;
    struct facts f = { res, i, k, &p, c->today, c->cfg->letters[LETTER_SUPERVISION].reply_days };
    char subject[80];
    snprintf(subject, sizeof subject, "project:%s", PQgetvalue(res, i, pc->code));
    for (size_t n = 0; n < out.n; n++) {
        json_t *payload = json_object();
        json_object_set_new(payload, "light_reasons", reasons_json(&parts));
        json_object_set_new(payload, "project_light", json_string(rules_light_name(light)));
        project_facts(&f, cfg, &out.d[n], payload);
        scan_add_alert(c, b, scan_id(res, i, k->id), subject, &out.d[n], res, i, pc, NULL, payload, NULL);
    }
}

static void
projects_build(const struct scan_ctx *c, const PGresult *res, int from, int to, struct scan_batch *b)
{
    struct scan_project_cols pc;
    struct cols k;
    scan_project_cols(res, &pc);
    find_cols(res, &k);
    for (int i = from; i < to; i++)
        one_project(c, res, i, &k, &pc, b);
}

/* A light's rank as keyproj_light_rank (sql/functions/engine.sql), inline:
 * the worst of a project's parts. Its milestones' is read from the states
 * that are not green alone (milestone_state_lit_idx,
 * sql/0012_milestone_state_lit.sql): none is green. */
#define WORST(light) "max(CASE " light " WHEN 'red' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END)"
/* The light at the end of the month before $4 (or $5): the latest month
 * with a row before it. */
#define LIGHT_BEFORE(param) \
    "(SELECT h.light FROM project_light_month h WHERE h.project_id = p.id AND h.month < " param \
    " ORDER BY h.month DESC LIMIT 1)"

/* The projects due: marked ones (project_mark, with the mark's xmin as
 * mark_x) and those whose date has come (project_state,
 * sql/0013_project_state.sql), marked first, then as DUE_ROWS (whose $6
 * leaves out a batch not yet written). A project both marked and due
 * counts once. Its xmin is its state row's: the version the write
 * checks. */
#define DUE_PROJECTS \
    " (SELECT d.*, s.xmin, mk.xmin AS mark_x FROM (SELECT id FROM (" \
    "   (SELECT project_id AS id, next_check_on AS k FROM project_state WHERE next_check_on <= $1::date" \
    "     AND project_id <> ALL($6::bigint[])" LANE_OF("project_id", "$7", "$8") \
    "     ORDER BY next_check_on, project_id LIMIT $2::int)" \
    "   UNION ALL (SELECT project_id, '-infinity'::date FROM project_mark" \
    "     WHERE project_id <> ALL($6::bigint[])" LANE_OF("project_id", "$7", "$8") \
    "     ORDER BY project_id LIMIT $2::int)) due" \
    "   GROUP BY id ORDER BY min(k), id LIMIT $2::int) due" \
    "   JOIN project d ON d.id = due.id JOIN project_state s ON s.project_id = d.id" \
    "   LEFT JOIN project_mark mk ON mk.project_id = d.id) p"

const struct scan_phase scan_phase_projects = {
    "projects",
    "SELECT p.year, p.status, p.category, p.planned_start, p.planned_end, p.actual_start,"
    " p.actual_end, p.annual_plan, p.xmin, p.mark_x, p.id, p.entered_on,"
    " extract(epoch FROM p.created_at) AS created_epoch," PROJECT_SELECT ", rep.months, rep.ytds,"
    " (SELECT ip.planned_cumulative FROM investment_plan ip"
    "   WHERE ip.project_id = p.id AND ip.month = rep.latest) AS planned_cumulative,"
    " (SELECT " WORST("ms.light") " FROM milestone_state ms"
    "   WHERE ms.project_id = p.id AND ms.light IN ('yellow', 'red')) AS milestone_light,"
    " (SELECT " WORST("pr.light") " FROM problem pr WHERE pr.project_id = p.id) AS problem_light,"
    " " LIGHT_BEFORE("$4::date") " AS light_last,"
    " " LIGHT_BEFORE("$5::date") " AS light_before_last"
    " FROM" DUE_PROJECTS PROJECT_REFS
    " LEFT JOIN LATERAL (SELECT array_agg(to_char(r.month, 'YYYY-MM') ORDER BY r.month DESC) AS months,"
    "   array_agg(r.ytd ORDER BY r.month DESC) AS ytds, max(r.month) AS latest"
    "   FROM (SELECT month, ytd FROM investment_report WHERE project_id = p.id"
    "         ORDER BY month DESC LIMIT $3::int) r) rep ON true"
    " ORDER BY p.id",
    5,
    true,
    SCAN_WRITE_BEGIN
    "   AS r(id bigint, x xid, mx xid, next date, light text, reasons text[], month date, entered date,"
    "        mlight text, plight text))"
    /* The verdict (pw) then the state (upd), in the order an edit takes
     * them (keyproj_project_recheck, sql/functions/engine.sql), each
     * where the state is still the version read. The verdict changes no
     * indexed column of project, so it stays on its page (0013). A mark
     * committed while this statement runs leaves the state alone (its
     * xmin moved): the project stays due and is judged again, with no
     * alert, history or unmark from this verdict. */
    ", pw AS (UPDATE project t SET light = r.light, light_reasons = r.reasons,"
    "   milestone_light = r.mlight, problem_light = r.plight,"
    "   light_at = CASE WHEN t.light IS DISTINCT FROM r.light THEN $3::timestamptz ELSE t.light_at END,"
    "   entered_on = coalesce(t.entered_on, r.entered)"
    "   FROM r WHERE t.id = r.id"
    "     AND EXISTS (SELECT FROM project_state s WHERE s.project_id = r.id AND s.xmin = r.x) RETURNING t.id)"
    ", upd AS (UPDATE project_state s SET next_check_on = r.next FROM pw JOIN r ON r.id = pw.id"
    "   WHERE s.project_id = pw.id AND s.xmin = r.x RETURNING s.project_id AS id)"
    ", unmark AS (DELETE FROM project_mark m USING upd JOIN r ON r.id = upd.id"
    "   WHERE m.project_id = upd.id AND m.xmin = r.mx)"
    ", hist AS (INSERT INTO project_light_month (project_id, month, light)"
    "   SELECT r.id, r.month, r.light FROM r JOIN upd ON upd.id = r.id"
    "   ON CONFLICT (project_id, month) DO UPDATE SET light = EXCLUDED.light)"
    SCAN_WRITE_ALERTS_RETURNING(", project_id, payload")
    /* Only the alerts this statement inserted issue a letter (a re-scan
     * inserts none), each numbered once: the batch's letters take one
     * block of consecutive numbers (blk, a CTE: evaluated once). */
    ", red AS (SELECT ins.id, ins.project_id, ins.payload, row_number() OVER (ORDER BY ins.id) AS k"
    "   FROM ins WHERE ins.kind = 'project.repeated_red')"
    ", blk AS (SELECT keyproj_letter_reserve('supervision', $4::date, (SELECT count(*) FROM red)::int) AS first,"
    "   extract(year FROM $4::date)::int AS year)"
    ", sup AS (INSERT INTO supervision_order (project_id, kind, to_unit_id, issued_on, reply_due,"
    "   reason, alert_id, created_at, doc_no, doc_year, doc_seq)"
    "   SELECT red.project_id, 'supervision', p.unit_id, $4::date,"
    "     (red.payload->'supervision'->>'reply_due')::date, red.payload->>'message', red.id, $3::timestamptz,"
    "     keyproj_letter_format($12::text, blk.year, (blk.first + red.k - 1)::int), blk.year, blk.first + red.k - 1"
    "     FROM red JOIN project p ON p.id = red.project_id CROSS JOIN blk)"
    SCAN_WRITE_COUNTS,
    projects_build,
};
