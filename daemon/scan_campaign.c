/* scan_campaign: the engine's last phase, 双月攻坚 and other campaign
 * targets. Each target row holds up to four measures (starts,
 * completions, investment, approvals); each is judged by rules_campaign
 * against what the target's scope achieved in the window, as
 * keyproj_campaign_actuals (sql/functions/admin.sql) counts it, the same
 * figures the administrators' campaign views show. */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_phase.h"
#include "util.h"
#include "values.h"

/* How each measure is said (label, unit) lives in wording.c. */
struct measure {
    const char *name;           /* subject suffix and payload "measure" */
    const char *target, *actual;    /* columns */
};

static const struct measure measures[] = {
    { "starts", "starts", "a_starts" },
    { "completions", "completions", "a_completions" },
    { "investment", "investment", "a_investment" },
    { "approvals", "approvals", "a_approvals" },
};

static struct ymd
earlier(struct ymd a, struct ymd b)
{
    if (a.y == 0)
        return b;
    if (b.y == 0)
        return a;
    return ymd_to_days(&a) <= ymd_to_days(&b) ? a : b;
}

static void
campaigns_build(const struct scan_ctx *c, const PGresult *res, int from, int to, struct scan_batch *b)
{
    int id = scan_col(res, "id"), x = scan_col(res, "xmin"), county = scan_col(res, "county"),
        sector = scan_col(res, "sector"), code = scan_col(res, "campaign"),
        name = scan_col(res, "campaign_name"), first = scan_col(res, "starts_on"),
        last = scan_col(res, "ends_on");
    for (int i = from; i < to; i++) {
        struct rules_campaign rc = { scan_date(res, i, first), scan_date(res, i, last), 0, 0 };
        struct ymd next = { 0, 0, 0 };
        struct rules_out outs[ARRAY_LEN(measures)];
        for (size_t k = 0; k < ARRAY_LEN(measures); k++) {
            int tc = scan_col(res, measures[k].target), ac = scan_col(res, measures[k].actual);
            outs[k].n = 0;
            if (PQgetisnull(res, i, tc) || PQgetisnull(res, i, ac))
                continue;           /* no target, or nothing to measure (no approval items) */
            rc.target = scan_num(res, i, tc);
            rc.actual = scan_num(res, i, ac);
            rules_campaign(&c->cfg->rules, &rc, c->today, &outs[k]);
            next = earlier(next, outs[k].next);
        }
        scan_add_row(c, b, res, i, id, x, next, NULL);
        for (size_t k = 0; k < ARRAY_LEN(measures); k++) {
            const struct measure *m = &measures[k];
            for (size_t n = 0; n < outs[k].n; n++) {
                const struct rules_decision *dec = &outs[k].d[n];
                double target = scan_num(res, i, scan_col(res, m->target));
                double actual = scan_num(res, i, scan_col(res, m->actual));
                char subject[64];
                snprintf(subject, sizeof subject, "campaign_target:%s/%s", PQgetvalue(res, i, id), m->name);
                const char *cty = scan_str(res, i, county), *sec = scan_str(res, i, sector);
                json_t *payload = json_pack("{s:{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:f, s:f}}", "campaign",
                                            "code", PQgetvalue(res, i, code), "name", scan_str(res, i, name),
                                            "starts_on", PQgetvalue(res, i, first),
                                            "ends_on", PQgetvalue(res, i, last),
                                            "county", cty ? json_string(cty) : json_null(),
                                            "sector", sec ? json_string(sec) : json_null(),
                                            "measure", m->name, "target", target, "actual", actual);
                /* a campaign target is a county's or sector's: no leader, no unit */
                const struct scan_route rt = { cty, sec, NULL, NULL, NULL, NULL };
                scan_add_alert_scoped(c, b, scan_id(res, i, id), subject, dec, 0, &rt, payload, NULL);
            }
        }
    }
}

const struct scan_phase scan_phase_campaigns = {
    "campaigns",
    "SELECT t.id, t.xmin, t.starts, t.completions, t.investment, t.approvals, t.sector,"
    " co.name AS county, cp.code AS campaign, cp.name AS campaign_name, cp.starts_on, cp.ends_on,"
    " act.starts AS a_starts, act.completions AS a_completions, act.investment AS a_investment,"
    " act.approvals AS a_approvals"
    " FROM" DUE_ROWS("campaign_target", "t", "$3", "") " JOIN campaign cp ON cp.id = t.campaign_id"
    " LEFT JOIN county co ON co.id = t.county_id"
    " CROSS JOIN LATERAL keyproj_campaign_actuals(cp.starts_on, cp.ends_on, t.county_id, t.sector) act"
    " ORDER BY t.id",
    2,
    false,
    SCAN_WRITE_BEGIN " AS r(id bigint, x xid, next date))"
    ", upd AS (UPDATE campaign_target t SET next_check_on = r.next FROM r"
    "   WHERE t.id = r.id AND t.xmin = r.x RETURNING t.id)"
    SCAN_WRITE_ALERTS SCAN_WRITE_COUNTS,
    campaigns_build,
};
