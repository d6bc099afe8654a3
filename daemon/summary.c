/* summary: a chat receiver's backlog told in one message instead of a
 * flood — the counts by light and by county, the worst few alerts, where
 * the rest can be read. Pure: it renders and decides; the caller sends the
 * message, records its rows and audits it. */
#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "links.h"
#include "summary.h"
#include "util.h"
#include "values.h"

static const char *
view_county(const struct alert_view *v)
{
    const char *c = json_string_value(json_object_get(json_object_get(v->data, "project"), "county"));
    return c != NULL && c[0] != '\0' ? c : "未分县区";
}

static int
worse_first(const void *pa, const void *pb)
{
    const struct alert_view *a = pa, *b = pb;
    int ra = light_rank(a->light), rb = light_rank(b->light);
    if (ra != rb)
        return rb - ra;
    json_int_t da = json_integer_value(json_object_get(a->data, "days_late"));
    json_int_t db = json_integer_value(json_object_get(b->data, "days_late"));
    return da != db ? (db > da) - (db < da) : (a->id > b->id) - (a->id < b->id);
}

struct place_count {
    const char *county;
    size_t n, red;
};

static int
more_first(const void *pa, const void *pb)
{
    const struct place_count *a = pa, *b = pb;
    return a->n != b->n ? (b->n > a->n) - (b->n < a->n) : strcmp(a->county, b->county);
}

/* Where the full list of a county is: a link under web.base_url, else the
 * keyprojctl command. */
static void
put_place(struct buf *b, const struct config *cfg, const char *county)
{
    if (cfg->web_base_url == NULL) {
        buf_printf(b, "keyprojctl milestones --status overdue --county %s", county);
        return;
    }
    buf_printf(b, "%s" LINK_OVERDUE_COUNTY, cfg->web_base_url);
    buf_put_url_part(b, county);
}

/* The summary's lead: the counts by light and by county, and where the
 * rest is. Caller frees. */
static char *
summary_lead_new(const struct config *cfg, const struct alert_view *views, size_t n, size_t listed)
{
    size_t by_light[4] = { 0, 0, 0, 0 }, np = 0;
    struct place_count *pl = xcalloc(n + 1, sizeof *pl);
    for (size_t i = 0; i < n; i++) {
        int rank = light_rank(views[i].light);
        by_light[rank + 1]++;
        const char *c = view_county(&views[i]);
        size_t k = 0;
        while (k < np && strcmp(pl[k].county, c) != 0)
            k++;
        if (k == np)
            pl[np++].county = c;
        pl[k].n++;
        pl[k].red += rank == LIGHT_RANK_RED;
    }
    qsort(pl, np, sizeof *pl, more_first);
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "积压 %zu 条，合并为本条发送：红灯 %zu 条，黄灯 %zu 条，绿灯 %zu 条", n, by_light[3], by_light[2],
               by_light[1]);
    if (by_light[0] > 0)
        buf_printf(&b, "，其他 %zu 条", by_light[0]);
    buf_puts(&b, "｜按县区：");
    for (size_t k = 0; k < np; k++)
        buf_printf(&b, "%s%s %zu 条（红灯 %zu）", k ? "、" : "", pl[k].county, pl[k].n, pl[k].red);
    buf_printf(&b, "｜下列最严重的 %zu 条，其余请查看：", listed);
    for (size_t k = 0; k < np && k < SUMMARY_PLACES; k++) {
        if (k > 0)
            buf_puts(&b, "；");
        put_place(&b, cfg, pl[k].county);
    }
    if (np > SUMMARY_PLACES)
        buf_puts(&b, "；其余县区同");
    free(pl);
    return buf_steal(&b);
}

bool
summary_wanted(size_t n, size_t messages)
{
    return n > SUMMARY_WORST && messages > SUMMARY_FLOOD_MESSAGES;
}

bool
summary_render(const struct config *cfg, const struct receiver *rv, const struct alert_view *views, size_t n,
               const char *id, const char *when, double sent_at, int64_t now_ms, struct render_request *rq)
{
    struct alert_view *worst = xreallocarray(NULL, n, sizeof *worst);
    memcpy(worst, views, n * sizeof *worst);
    qsort(worst, n, sizeof *worst, worse_first);
    char title[96];
    snprintf(title, sizeof title, "重点项目提醒积压汇总（共 %zu 条）", n);
    char *lead = summary_lead_new(cfg, views, n, SUMMARY_WORST);
    struct digest_view d = { .id = id, .title = title, .created_at = when, .sent_at = sent_at, .alerts = worst,
                             .n_alerts = SUMMARY_WORST, .lead = lead };
    char err[200];
    bool ok = render_digest(rv, &d, now_ms, rq, err, sizeof err);
    free(lead);
    free(worst);
    return ok;
}
