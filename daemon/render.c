/* render: the format-independent half — alert and digest to a markup-free
 * message, and fitting it into a robot's size limit by whole lines; then
 * the format the receiver's type names (render_json.c, render_wecom.c,
 * render_dingtalk.c, render_feishu.c) writes the request. The helpers the
 * formats share are in render_core.c. */
#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "links.h"
#include "render_format.h"
#include "text.h"
#include "values.h"

#define ELLIPSIS "\xe2\x80\xa6"             /* … */
/* No robot accepts a body above 20 KB: items past this many bytes can never
 * fit, so the search for the largest count that fits starts below it. */
#define FIT_SCAN_MAX 32768

static const struct render_format *const formats[] = {
    &render_format_wecom, &render_format_dingtalk, &render_format_feishu,
};

static const struct render_format *
find_format(const char *type)
{
    for (size_t i = 0; type != NULL && i < ARRAY_LEN(formats); i++)
        if (strcmp(formats[i]->type, type) == 0)
            return formats[i];
    return NULL;
}

bool
render_type_known(const char *type)
{
    return str_eq(type, "json") || find_format(type) != NULL;
}

/* ---- alert and digest → message --------------------------------------- */

static const char *
jstr(const json_t *data, const char *obj, const char *key)
{
    const json_t *o = obj != NULL ? json_object_get(data, obj) : data;
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* The Chinese name of a payload type ("节点逾期"); the type itself when it
 * has none. */
static const char *
kind_label(const char *kind)
{
    const struct word *w = words_named(&words_payload_type, kind);
    return w != NULL ? w->zh[0] : kind != NULL ? kind : "提醒";
}

/* "【红灯】", or nothing for no light. */
static void
put_light(struct buf *b, const char *light)
{
    const struct word *w = words_named(&words_light, light);
    if (w != NULL)
        buf_printf(b, "【%s灯】", w->zh[0]);
}

static char *
clean_dup(const char *s)
{
    struct buf b;
    buf_init(&b);
    render_clean(&b, s, MARKUP_PLAIN);
    return buf_steal(&b);
}

/* Moves the line into the message's items (the line is left empty). */
static void
add_item(struct render_msg *m, struct buf *line)
{
    m->items = xreallocarray(m->items, m->n_items + 1, sizeof *m->items);
    m->items[m->n_items++] = buf_steal(line);
}

/* Appends "｜label value" (value cleaned; no bar at the start of a line);
 * nothing when the value is missing. */
static void
put_field(struct buf *line, const char *label, const char *value)
{
    if (value == NULL)
        return;
    if (line->len > 0)
        buf_puts(line, "｜");
    buf_puts(line, label);
    render_clean(line, value, MARKUP_PLAIN);
}

/* Where the project is and what it is; its name is in the title. */
static void
project_items(struct render_msg *m, const json_t *data)
{
    struct buf line;
    buf_init(&line);
    const char *level = jstr(data, "project", "level");
    const char *sector = jstr(data, "project", "sector");
    put_field(&line, "县区：", jstr(data, "project", "county"));
    put_field(&line, "领域：", sector != NULL ? enum_label_zh(sector) : NULL);
    put_field(&line, "级别：", str_eq(level, "province") ? "省重点"
                             : str_eq(level, "city") ? "市重点" : level);
    put_field(&line, "编码：", jstr(data, "project", "code"));
    if (line.len > 0)
        add_item(m, &line);
}

/* A campaign as a leader reads it: a two-month push's code, "2026-B6",
 * as "2026年第6期双月（11—12月）" (its window follows from its code, as
 * the import makes it); any other code as it is. */
static void
put_campaign(struct buf *line, const char *code)
{
    char tail;
    int year, n;
    if (code == NULL || sscanf(code, "%4d-B%1d%c", &year, &n, &tail) != 2 || strlen(code) != 7 || n < 1 ||
        n > 6) {
        put_field(line, "攻坚：", code);
        return;
    }
    char label[64];
    snprintf(label, sizeof label, "%d年第%d期双月（%d—%d月）", year, n, 2 * n - 1, 2 * n);
    put_field(line, "攻坚：", label);
}

/* The node's campaign; its title, deadline and days are in the lead. */
static void
milestone_items(struct render_msg *m, const json_t *data)
{
    struct buf line;
    buf_init(&line);
    put_campaign(&line, jstr(data, "milestone", "campaign"));
    if (line.len > 0)
        add_item(m, &line);
}

/* 发现时间: when the alert was raised (a message held overnight or for a
 * digest still says when it was found, not when it was sent):
 * "2026-12-06T10:05:00Z" → "2026-12-06 18:05" in the configured zone;
 * anything else as is. */
static void
put_time(struct buf *line, const char *iso)
{
    char t[64];
    wording_local_time(iso, t, sizeof t, NULL, 0);
    put_field(line, "发现时间：", iso != NULL ? t : NULL);
}

static bool
mobile_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n >= 5 && n <= 20 && strspn(s, "0123456789+-") == n;
}

static void
add_mention(struct render_msg *m, const char *name, const char *mobile)
{
    if (!mobile_ok(mobile) || m->n_mentions >= RENDER_MENTIONS_MAX)
        return;
    for (size_t i = 0; i < m->n_mentions; i++)
        if (str_eq(m->mention[i].mobile, mobile))
            return;
    m->mention[m->n_mentions++] = (struct render_mention){ name, mobile };
}

/* The people a red about this project concerns: its leader, and its
 * unit's contact unless only the leader is called (an escalation). */
static void
mention_project(struct render_msg *m, const json_t *data, bool contact)
{
    add_mention(m, jstr(data, "project", "leader"), jstr(data, "project", "leader_mobile"));
    if (contact)
        add_mention(m, jstr(data, "project", "contact"), jstr(data, "project", "contact_mobile"));
}

static void
msg_from_alert(struct render_msg *m, const struct alert_view *a)
{
    memset(m, 0, sizeof *m);
    struct buf b;
    buf_init(&b);
    put_light(&b, a->light);
    render_clean(&b, kind_label(a->kind), MARKUP_PLAIN);
    put_field(&b, "", jstr(a->data, "project", "name"));
    m->title = buf_steal(&b);
    char *words = render_words(a, a->sent_at, WORDING_LEAD);
    m->lead = clean_dup(words);
    free(words);
    m->light = a->light;

    project_items(m, a->data);
    milestone_items(m, a->data);
    put_field(&b, "责任单位：", jstr(a->data, "project", "unit"));
    put_field(&b, "分包领导：", jstr(a->data, "project", "leader"));
    if (b.len > 0)
        add_item(m, &b);
    if (a->tier >= 1) {
        buf_puts(&b, a->tier == 1 ? "督办：已升级至分包领导"
                     : a->tier == 2 ? "督办：已升级至项目办" : "督办：已升级");
        buf_printf(&b, "（第 %d 级）", a->tier);
        add_item(m, &b);
    }
    if (a->id > 0)      /* a test message has none */
        buf_printf(&b, "编号：%" PRId64, a->id);
    put_time(&b, a->created_at);
    add_item(m, &b);
    const char *code = jstr(a->data, "project", "code");
    if (a->base_url != NULL && code != NULL) {
        buf_puts(&b, "详情：");
        buf_puts(&b, a->base_url);
        buf_puts(&b, LINK_PROJECT);
        buf_put_url_part(&b, code);
        add_item(m, &b);
    }

    if (str_eq(a->light, "red") || a->tier >= 1)
        mention_project(m, a->data, str_eq(a->light, "red"));
}

/* ---- digests: by county, then project --------------------------------- */

/* What a digest line groups by: the project (its code, else its name);
 * NULL for an alert about no project (a campaign, a ranking line), which
 * is a line of its own. */
static const char *
project_key(const struct alert_view *a)
{
    const char *code = jstr(a->data, "project", "code");
    return code != NULL ? code : jstr(a->data, "project", "name");
}

static const char *
county_of(const struct alert_view *a)
{
    const char *c = jstr(a->data, "project", "county");
    return c != NULL ? c : jstr(a->data, "campaign", "county");
}

struct urgency {
    bool fresh;
    int rank;
    long days;
    size_t index;
};

static struct urgency
urgency_of(const struct alert_view *a, double sent_at, size_t i)
{
    struct urgency u = { a->fresh, light_rank(a->light), WORDING_NO_DAYS, i };
    if (sent_at > 0) {
        struct ymd today;
        clock_date_of(sent_at, &today);
        u.days = wording_days(a->kind, a->data, &today);
    }
    return u;
}

/* New since the last digest first, then reds, then the most days late;
 * otherwise the caller's order. */
static int
urgency_cmp(const void *pa, const void *pb)
{
    const struct urgency *a = pa, *b = pb;
    if (a->fresh != b->fresh)
        return a->fresh ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank > b->rank ? -1 : 1;
    if (a->days != b->days)
        return a->days > b->days ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

void
render_digest_order(const struct alert_view *al, size_t n, double sent_at, size_t *order)
{
    struct urgency *u = xreallocarray(NULL, n + 1, sizeof *u);
    for (size_t i = 0; i < n; i++)
        u[i] = urgency_of(&al[i], sent_at, i);
    qsort(u, n, sizeof *u, urgency_cmp);
    /* Then grouped: a county where its most urgent alert is, its projects
     * likewise, each project's alerts in urgency order. */
    bool *taken = xcalloc(n + 1, sizeof *taken);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct alert_view *c = &al[u[i].index];
        if (taken[u[i].index])
            continue;
        const char *county = project_key(c) != NULL ? county_of(c) : NULL;
        for (size_t j = i; j < n; j++) {
            const struct alert_view *p = &al[u[j].index];
            if (taken[u[j].index] || (j > i && (project_key(c) == NULL || project_key(p) == NULL ||
                                                !str_eq(county_of(p), county))))
                continue;
            for (size_t q = j; q < n; q++) {
                const struct alert_view *x = &al[u[q].index];
                if (taken[u[q].index] ||
                    (q > j && (project_key(p) == NULL || !str_eq(project_key(x), project_key(p)))))
                    continue;
                taken[u[q].index] = true;
                order[k++] = u[q].index;
                if (project_key(p) == NULL)
                    break;
            }
            if (project_key(c) == NULL)
                break;
        }
    }
    free(taken);
    free(u);
}

/* "｜编号：780、781": to look the alerts up (keyprojctl alerts,
 * deliveries); a daily digest's items have none. */
static void
put_ids(struct buf *b, const struct digest_view *d, const size_t *order, size_t from, size_t to)
{
    bool any = false;
    for (size_t i = from; i < to; i++) {
        if (d->alerts[order[i]].id <= 0)
            continue;
        buf_puts(b, any ? "、" : "｜编号：");
        buf_printf(b, "%" PRId64, d->alerts[order[i]].id);
        any = true;
    }
}

/* "孟津区城东工业园：「机电安装」逾期25天、「消防验收」还有3天（新）" for the
 * alerts al[order[from..to-1]] of one project (or one alert about none). */
static void
digest_line(struct buf *b, const struct digest_view *d, const size_t *order, size_t from, size_t to)
{
    int worst = -1;
    for (size_t i = from; i < to; i++)
        if (light_rank(d->alerts[order[i]].light) > worst)
            worst = light_rank(d->alerts[order[i]].light);
    const struct alert_view *first = &d->alerts[order[from]];
    for (size_t i = 0; i < words_count(&words_light); i++)
        if (words_at(&words_light, i)->rank == worst)
            put_light(b, words_at(&words_light, i)->name);
    if (project_key(first) == NULL) {
        /* a campaign target or a ranking line: its own words say what */
        char *words = render_words(first, d->sent_at, WORDING_LEAD);
        if (strncmp(first->kind, "campaign.", 9) == 0) {
            render_clean(b, kind_label(first->kind), MARKUP_PLAIN);
            buf_puts(b, "：");
        }
        render_clean(b, words, MARKUP_PLAIN);
        free(words);
        put_ids(b, d, order, from, to);
        return;
    }
    const char *name = jstr(first->data, "project", "name");
    render_clean(b, name != NULL ? name : project_key(first), MARKUP_PLAIN);
    buf_puts(b, "：");
    for (size_t i = from; i < to; i++) {
        const struct alert_view *a = &d->alerts[order[i]];
        char *words = render_words(a, d->sent_at, WORDING_SHORT);
        if (i > from)
            buf_puts(b, "、");
        render_clean(b, words != NULL ? words : kind_label(a->kind), MARKUP_PLAIN);
        free(words);
        if (a->fresh)
            buf_puts(b, "（新）");
    }
    put_ids(b, d, order, from, to);
}

static void
msg_from_digest(struct render_msg *m, const struct digest_view *d)
{
    memset(m, 0, sizeof *m);
    m->digest = true;
    struct buf b;
    buf_init(&b);
    render_clean(&b, d->title != NULL ? d->title : RENDER_DIGEST_TITLE, MARKUP_PLAIN);
    if (d->parts > 1)
        buf_printf(&b, "（%d/%d）", d->part, d->parts);
    m->title = buf_steal(&b);
    size_t count[4] = {0, 0, 0, 0};     /* by light_rank + 1: none, green, yellow, red */
    size_t fresh = 0;
    for (size_t i = 0; i < d->n_alerts; i++) {
        count[light_rank(d->alerts[i].light) + 1]++;
        fresh += d->alerts[i].fresh;
    }
    buf_printf(&b, "共 %zu 条", d->n_alerts);
    if (count[1] + count[2] + count[3] > 0)
        buf_printf(&b, "：红灯 %zu 条，黄灯 %zu 条，绿灯 %zu 条", count[3], count[2], count[1]);
    if (fresh > 0)
        buf_printf(&b, "；上次汇总以来新增 %zu 条", fresh);
    m->lead = buf_steal(&b);
    if (d->lead != NULL) {
        free(m->lead);
        m->lead = clean_dup(d->lead);
    }
    if (d->base_url != NULL) {
        buf_puts(&b, m->lead);
        buf_printf(&b, "｜详情：%s", d->base_url);
        if (d->bulletin_week != NULL) {
            buf_printf(&b, "｜周报下载：%s" LINK_BULLETIN, d->base_url);
            buf_put_url_part(&b, d->bulletin_week);
        }
        free(m->lead);
        m->lead = buf_steal(&b);
    }

    size_t *order = xreallocarray(NULL, d->n_alerts + 1, sizeof *order);
    render_digest_order(d->alerts, d->n_alerts, d->sent_at, order);
    m->heads = xcalloc(d->n_alerts + 1, sizeof *m->heads);
    m->weights = xcalloc(d->n_alerts + 1, sizeof *m->weights);
    const char *county = NULL;
    for (size_t i = 0, line = 1; i < d->n_alerts; line++) {
        const struct alert_view *a = &d->alerts[order[i]];
        size_t j = i + 1;
        while (project_key(a) != NULL && j < d->n_alerts &&
               str_eq(project_key(&d->alerts[order[j]]), project_key(a)))
            j++;
        /* the county once, as the heading of its first project's line */
        const char *c = project_key(a) != NULL ? county_of(a) : NULL;
        if (c != NULL && !str_eq(c, county))
            m->heads[m->n_items] = clean_dup(c);
        county = c;
        m->weights[m->n_items] = j - i;
        buf_printf(&b, "%zu. ", line);
        digest_line(&b, d, order, i, j);
        add_item(m, &b);
        /* a merged message with reds calls whoever answers for them, as
         * each red sent alone would */
        for (size_t k = i; k < j; k++)
            if (str_eq(d->alerts[order[k]].light, "red"))
                mention_project(m, d->alerts[order[k]].data, true);
        i = j;
    }
    free(order);
}

static void
msg_free(struct render_msg *m)
{
    free(m->title);
    free(m->lead);
    for (size_t i = 0; i < m->n_items; i++) {
        free(m->items[i]);
        if (m->heads != NULL)
            free(m->heads[i]);
    }
    free(m->items);
    free(m->heads);
    free(m->weights);
}

/* ---- fitting a message into a robot's limit --------------------------- */

/* The largest k whose body fits (k = 0 may still not fit); out->body is
 * left built for it. */
static size_t
fit_items(const struct render_format *f, const struct render_msg *m, const struct receiver *rv,
          int64_t now_ms, struct render_request *out, bool *fits)
{
    size_t lo = 0, hi = 0, sum = 0;
    while (hi < m->n_items && (sum += strlen(m->items[hi])) <= FIT_SCAN_MAX)
        hi++;
    if (hi == m->n_items) {
        if ((*fits = f->build(m, hi, rv, now_ms, out)) || hi == 0)
            return hi;
        hi--;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (f->build(m, mid, rv, now_ms, out))
            lo = mid;
        else
            hi = mid - 1;
    }
    *fits = f->build(m, lo, rv, now_ms, out);
    return lo;
}

/* Cuts *text (by characters, with "…") until the message without items
 * fits; true when it does. Only for absurdly long messages or titles. */
static bool
shrink_text(const struct render_format *f, struct render_msg *m, char **text,
            const struct receiver *rv, int64_t now_ms, struct render_request *out)
{
    char *orig = *text;
    size_t lo = 0, hi = strlen(orig);
    *text = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        free(*text);
        *text = xasprintf("%.*s" ELLIPSIS, (int)render_utf8_prefix(orig, mid), orig);
        if (f->build(m, 0, rv, now_ms, out))
            lo = mid;
        else
            hi = mid - 1;
    }
    free(*text);
    *text = xasprintf("%.*s" ELLIPSIS, (int)render_utf8_prefix(orig, lo), orig);
    free(orig);
    return f->build(m, 0, rv, now_ms, out);
}

static bool
render_robot(const struct render_format *f, struct render_msg *m, const struct receiver *rv,
             int64_t now_ms, struct render_request *out, char *err, size_t errlen)
{
    bool fits;
    size_t k = fit_items(f, m, rv, now_ms, out, &fits);
    if (!fits)
        fits = shrink_text(f, m, &m->lead, rv, now_ms, out) ||
               shrink_text(f, m, &m->title, rv, now_ms, out);
    if (!fits) {
        snprintf(err, errlen, "receiver '%s': the message cannot fit the %s size limit",
                 rv->name, f->type);
        render_request_free(out);
        return false;
    }
    out->n_listed = render_weight(m, k);
    out->n_total = render_weight(m, m->n_items);
    if (!f->finish(rv, now_ms, out, err, errlen)) {
        render_request_free(out);
        return false;
    }
    return true;
}

static const struct render_format *
format_for(const struct receiver *rv, char *err, size_t errlen)
{
    const struct render_format *f = find_format(rv->type);
    if (f == NULL)
        snprintf(err, errlen, "receiver '%s': unknown type '%s' (expected json, wecom, "
                 "dingtalk or feishu)", rv->name, rv->type != NULL ? rv->type : "");
    return f;
}

bool
render_alert(const struct receiver *rv, const struct alert_view *a, int64_t now_ms,
             struct render_request *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (str_eq(rv->type, "json"))
        return render_json_alert(rv, a, now_ms, out, err, errlen);
    const struct render_format *f = format_for(rv, err, errlen);
    if (f == NULL)
        return false;
    struct render_msg m;
    msg_from_alert(&m, a);
    bool ok = render_robot(f, &m, rv, now_ms, out, err, errlen);
    msg_free(&m);
    return ok;
}

bool
render_digest(const struct receiver *rv, const struct digest_view *d, int64_t now_ms,
              struct render_request *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (str_eq(rv->type, "json"))
        return render_json_digest(rv, d, now_ms, out, err, errlen);
    const struct render_format *f = format_for(rv, err, errlen);
    if (f == NULL)
        return false;
    struct render_msg m;
    msg_from_digest(&m, d);
    bool ok = render_robot(f, &m, rv, now_ms, out, err, errlen);
    msg_free(&m);
    return ok;
}

void
render_classify(const char *type, const struct render_answer *ans, struct render_verdict *v)
{
    const struct render_format *f = find_format(type);
    if (f != NULL)
        f->classify(ans, v);
    else
        render_json_classify(ans, v);
}
