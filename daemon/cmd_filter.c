/* cmd_filter: the shared listing filters (see cmd_filter.h). Knows the
 * vocabulary and the names of the tables the filters look at; never
 * assembles a value into SQL. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "cmd_filter.h"
#include "daemon.h"
#include "util.h"
#include "values.h"

static const char *const filter_names[FILTER_N] = {
    "county", "sector", "level", "unit", "leader", "light", "campaign",
};

bool
cmd_filters_read(const struct cmd_call *c, struct cmd_filters *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < FILTER_N; i++)
        f->v[i] = cmd_opt(c->a, filter_names[i]);
    /* "2026年第6期" means 2026-B6; other codes (百日攻坚 …) are taken as typed. */
    const char *cp = f->v[FILTER_CAMPAIGN];
    if (cp && parse_campaign(cp, f->campaign_code, sizeof f->campaign_code))
        f->v[FILTER_CAMPAIGN] = f->campaign_code;
    return cmd_enum_opt(c, "sector", &words_sector, &f->v[FILTER_SECTOR])
        && cmd_enum_opt(c, "level", &words_level, &f->v[FILTER_LEVEL])
        && cmd_enum_opt(c, "light", &words_light, &f->v[FILTER_LIGHT]);
}

char *
cmd_filters_sql_new(enum cmd_filter_scope scope, int first)
{
    const bool ms = scope == FILTER_ON_MILESTONES;
    const char *unit = ms ? "coalesce(mu.name, pu.name)" : "pu.name";
    char *camp = ms ? xasprintf("cp.code = $%d", first + FILTER_CAMPAIGN)
        : xasprintf("EXISTS (SELECT 1 FROM milestone fm JOIN campaign fc ON fc.id = fm.campaign_id"
                    " WHERE fm.project_id = p.id AND fc.code = $%d)", first + FILTER_CAMPAIGN);
    int k = first;
    char *sql = xasprintf(" AND ($%d::text IS NULL OR co.name = $%d) AND ($%d::text IS NULL OR p.sector = $%d)"
                          " AND ($%d::text IS NULL OR p.level = $%d) AND ($%d::text IS NULL OR %s = $%d)"
                          " AND ($%d::text IS NULL OR l.name = $%d) AND ($%d::text IS NULL OR p.light = $%d)"
                          " AND ($%d::text IS NULL OR %s)",
                          k, k, k + 1, k + 1, k + 2, k + 2, k + 3, unit, k + 3, k + 4, k + 4, k + 5, k + 5,
                          k + 6, camp);
    free(camp);
    return sql;
}

void
cmd_filters_params(const struct cmd_filters *f, const char **out)
{
    for (int i = 0; i < FILTER_N; i++)
        out[i] = f->v[i];
}

/* ---- names that must exist ---------------------------------------------- */

struct filter_query {
    struct cmd_ctx *ctx;
    char *sql;
    int nparams;
    char **params;
    char *names[4];         /* county, unit, leader, campaign as given */
    db_result_fn fn;
    void *arg;
    void (*arg_free)(void *);
};

static void
filter_query_free(struct filter_query *q)
{
    free(q->sql);
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    for (size_t i = 0; i < ARRAY_LEN(q->names); i++)
        free(q->names[i]);
    free(q);
}

static void
on_names(void *arg, const PGresult *res, const char *err)
{
    struct filter_query *q = arg;
    static const char *const what[] = { "county", "unit", "leader", "campaign" };
    static const char *const hint[] = {
        "stats lists the counties", "projects shows the units", "projects shows the leaders",
        "campaign list shows them",
    };
    int bad = -1;
    if (err == NULL)
        for (int i = 0; i < 4 && bad < 0; i++)
            if (PQgetvalue(res, 0, i)[0] != 't')
                bad = i;
    if (err || bad >= 0) {
        if (err)
            cmd_error(q->ctx, "internal", NULL, "query failed: %s", err);
        else
            cmd_error(q->ctx, "not_found", NULL, "--%s: no %s '%s' (%s)", what[bad], what[bad],
                      q->names[bad], hint[bad]);
        if (q->arg_free)
            q->arg_free(q->arg);
    } else {
        db_query(cmd_db(q->ctx), q->sql, q->nparams, (const char *const *)q->params, q->fn, q->arg);
    }
    filter_query_free(q);
}

void
cmd_filters_query(struct cmd_ctx *ctx, const struct cmd_filters *f, const char *sql, int nparams,
                  const char *const *params, db_result_fn fn, void *arg, void (*arg_free)(void *))
{
    const char *names[4] = { f->v[FILTER_COUNTY], f->v[FILTER_UNIT], f->v[FILTER_LEADER], f->v[FILTER_CAMPAIGN] };
    if (!names[0] && !names[1] && !names[2] && !names[3]) {
        db_query(cmd_db(ctx), sql, nparams, params, fn, arg);
        return;
    }
    struct filter_query *q = xcalloc(1, sizeof *q);
    q->ctx = ctx;
    q->sql = xstrdup(sql);
    q->nparams = nparams;
    q->params = xcalloc((size_t)nparams + 1, sizeof *q->params);
    for (int i = 0; i < nparams; i++)
        q->params[i] = params[i] ? xstrdup(params[i]) : NULL;
    for (int i = 0; i < 4; i++)
        q->names[i] = names[i] ? xstrdup(names[i]) : NULL;
    q->fn = fn;
    q->arg = arg;
    q->arg_free = arg_free;
    db_query(cmd_db(ctx),
             "SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM county WHERE name = $1)),"
             " ($2::text IS NULL OR EXISTS (SELECT 1 FROM unit WHERE name = $2)),"
             " ($3::text IS NULL OR EXISTS (SELECT 1 FROM person WHERE name = $3)),"
             " ($4::text IS NULL OR EXISTS (SELECT 1 FROM campaign WHERE code = $4))",
             4, names, on_names, q);
}
