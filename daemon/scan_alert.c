/* scan_alert: how the engine's phases read result rows and turn rules
 * decisions into alert rows: payload, one-line message, receivers. The
 * routing is decided here, once, when the alert is written; it never
 * looks at the clock or the database. */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_buf.h"
#include "log.h"
#include "scan_phase.h"
#include "text.h"
#include "util.h"
#include "wording.h"

struct ymd
scan_date(const PGresult *res, int row, int col)
{
    struct ymd d = { 0, 0, 0 };
    if (PQgetisnull(res, row, col))
        return d;
    /* PostgreSQL's ISO output, YYYY-MM-DD, read by hand: sscanf was 3 %
     * of the build in a burst (perf) */
    const char *v = PQgetvalue(res, row, col);
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? v[i] != '-' : v[i] < '0' || v[i] > '9')
            return d;                   /* infinity, or a year past 9999 */
    if (v[10] != '\0')
        return d;                       /* a year past 9999, or BC */
    d.y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
    d.m = (v[5] - '0') * 10 + (v[6] - '0');
    d.d = (v[8] - '0') * 10 + (v[9] - '0');
    if (!ymd_valid(&d))
        d = (struct ymd){ 0, 0, 0 };    /* a year past 2200 */
    return d;
}

const char *
scan_str(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

double
scan_num(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0.0 : strtod(PQgetvalue(res, row, col), NULL);
}

long long
scan_id(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

enum rules_light
scan_light(const PGresult *res, int row, int col)
{
    int rank = light_rank(scan_str(res, row, col));
    return rank < 0 ? RULES_GREEN : (enum rules_light)rank;
}

int
scan_col(const PGresult *res, const char *name)
{
    int c = PQfnumber(res, name);
    if (c < 0) {
        /* a phase's SELECT and its reader disagree: a bug, not data */
        log_error("scan: column missing from a phase's select", "column=%s", name);
        abort();
    }
    return c;
}

void
scan_project_cols(const PGresult *res, struct scan_project_cols *pc)
{
    pc->id = scan_col(res, "project_id");
    pc->code = scan_col(res, "code");
    pc->name = scan_col(res, "project_name");
    pc->county = scan_col(res, "county");
    pc->sector = scan_col(res, "sector");
    pc->level = scan_col(res, "level");
    pc->unit = scan_col(res, "project_unit");
    pc->leader = scan_col(res, "leader");
    pc->mobile = scan_col(res, "leader_mobile");
    pc->contact = scan_col(res, "contact");
    pc->contact_mobile = scan_col(res, "contact_mobile");
}

static json_t *
str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *
scan_project_json(const PGresult *res, int row, const struct scan_project_cols *pc)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", str_or_null(scan_str(res, row, pc->code)));
    json_object_set_new(o, "name", str_or_null(scan_str(res, row, pc->name)));
    json_object_set_new(o, "county", str_or_null(scan_str(res, row, pc->county)));
    json_object_set_new(o, "sector", str_or_null(scan_str(res, row, pc->sector)));
    json_object_set_new(o, "level", str_or_null(scan_str(res, row, pc->level)));
    json_object_set_new(o, "unit", str_or_null(scan_str(res, row, pc->unit)));
    json_object_set_new(o, "leader", str_or_null(scan_str(res, row, pc->leader)));
    json_object_set_new(o, "leader_mobile", str_or_null(scan_str(res, row, pc->mobile)));
    /* the unit's contact (联系人): @-mentioned with the leader on reds */
    json_object_set_new(o, "contact", str_or_null(scan_str(res, row, pc->contact)));
    json_object_set_new(o, "contact_mobile", str_or_null(scan_str(res, row, pc->contact_mobile)));
    return o;
}

/* ---- the batch's buffers -------------------------------------------------
 *
 * Each alert column but one is an array literal, "{…}". The payloads are
 * sent as text[] in PostgreSQL's binary array format instead: each is
 * dumped by jansson straight into the buffer after its 4-byte length, with
 * no quoting. As a literal, every '"' of the JSON took a backslash in
 * keyprojd (lit_quoted: 14 % of the build in a burst, perf) and PostgreSQL
 * read them back one character at a time (array_in: 3.5 % of its time).
 * The format (src/backend/utils/adt/arrayfuncs.c, array_send): int32
 * dimensions, int32 flags (1: has NULLs), element type oid, then per
 * dimension int32 length and lower bound; then per element int32 length
 * and its bytes; all big-endian. The header is written when the batch is
 * closed; PAYLOAD_HEADER bytes are kept for it at the front. */
#define PAYLOAD_HEADER 20
#define TEXT_OID 25

static void
put_be32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

void
scan_batch_init(struct scan_batch *b)
{
    buf_init(&b->rows);
    b->n_rows = 0;
    b->row_open = false;
    b->n_alerts = 0;
    static const char header[PAYLOAD_HEADER];
    for (int i = 0; i < SCAN_A_COLS; i++) {
        buf_init(&b->a[i]);
        if (i == SCAN_A_PAYLOAD)
            buf_append(&b->a[i], header, sizeof header);
        else
            buf_putc(&b->a[i], '{');
    }
}

void
scan_batch_free(struct scan_batch *b)
{
    buf_free(&b->rows);
    for (int i = 0; i < SCAN_A_COLS; i++)
        buf_free(&b->a[i]);
}

int
scan_batch_close(struct scan_batch *b)
{
    for (int i = 0; i < SCAN_A_COLS; i++)
        if (i != SCAN_A_PAYLOAD)
            buf_putc(&b->a[i], '}');
    struct buf *pl = &b->a[SCAN_A_PAYLOAD];
    /* no alerts: an empty array, which has no dimension to describe */
    put_be32(pl->data, b->n_alerts ? 1 : 0);
    put_be32(pl->data + 4, 0);
    put_be32(pl->data + 8, TEXT_OID);
    put_be32(pl->data + 12, (uint32_t)b->n_alerts);
    put_be32(pl->data + 16, 1);
    if (pl->len > INT32_MAX) {
        /* 5,000 alerts of a few kB each are a few MB: a bug, not data */
        log_error("scan: a batch's payloads exceed 2 GB", "alerts=%zu", b->n_alerts);
        abort();
    }
    return b->n_alerts ? (int)pl->len : 12;
}

/* One payload, its length first, dumped into the buffer's free room
 * (buf_put_json; dumped again when the room was too small, a few times per
 * batch, as the buffer doubles). */
static void
put_payload(struct buf *b, const json_t *payload)
{
    static const char len[4];
    buf_append(b, len, sizeof len);
    size_t at = b->len;
    if (!buf_put_json(b, payload, JSON_COMPACT) || b->len - at > INT32_MAX) {
        log_error("scan: an alert's payload could not be written", "bytes=%zu", b->len - at);
        abort();
    }
    put_be32(b->data + at - 4, (uint32_t)(b->len - at));
}

static void
row_close(struct scan_batch *b)
{
    if (b->row_open)
        buf_putc(&b->rows, '}');
    b->row_open = false;
}

static void
row_key(struct scan_batch *b, const char *key)
{
    buf_putc(&b->rows, ',');
    buf_putc(&b->rows, '"');
    buf_puts(&b->rows, key);
    buf_puts(&b->rows, "\":");
}

void
scan_add_row(const struct scan_ctx *c, struct scan_batch *b, const PGresult *res, int row,
             int id_col, int xmin_col, struct ymd next, const char *light)
{
    row_close(b);
    buf_putc(&b->rows, b->n_rows++ == 0 ? '[' : ',');
    buf_puts(&b->rows, "{\"id\":");
    buf_put_ll(&b->rows, scan_id(res, row, id_col));
    buf_puts(&b->rows, ",\"x\":");
    buf_put_json_str(&b->rows, PQgetvalue(res, row, xmin_col));
    b->row_open = true;
    if (next.y != 0) {
        /* The rules promise a later day; should one ever not, a row due
         * today again would be selected by every batch of this scan. */
        if (ymd_to_days(&next) <= ymd_to_days(&c->today))
            days_to_ymd(ymd_to_days(&c->today) + 1, &next);
        char d[11];
        format_date(&next, d);
        scan_row_str(b, "next", d);
    } else {
        scan_row_str(b, "next", NULL);
    }
    if (light)
        scan_row_str(b, "light", light);
}

void
scan_row_str(struct scan_batch *b, const char *key, const char *v)
{
    row_key(b, key);
    if (v)
        buf_put_json_str(&b->rows, v);
    else
        buf_puts(&b->rows, "null");
}

void
scan_row_int(struct scan_batch *b, const char *key, long long v)
{
    row_key(b, key);
    buf_put_ll(&b->rows, v);
}

void
scan_row_bool(struct scan_batch *b, const char *key, bool v)
{
    row_key(b, key);
    buf_puts(&b->rows, v ? "true" : "false");
}

void
scan_row_json(struct scan_batch *b, const char *key, json_t *v)
{
    row_key(b, key);
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    buf_puts(&b->rows, text ? text : "null");
    free(text);
    json_decref(v);
}

const char *
scan_rows_text(struct scan_batch *b)
{
    row_close(b);
    if (b->n_rows == 0)
        buf_putc(&b->rows, '[');
    buf_putc(&b->rows, ']');
    return b->rows.data;
}

static bool
fits(const struct matcher *m, const char *v)
{
    if (m->n == 0)
        return true;
    for (size_t i = 0; v != NULL && i < m->n; i++)
        if (strcmp(m->v[i], v) == 0)
            return true;
    return false;
}

/* After "{" or nothing, an element needs no comma before it. */
static void
lit_sep(struct buf *b)
{
    if (b->len > 0 && b->data[b->len - 1] != '{')
        buf_putc(b, ',');
}

/* One element of an array literal, quoted: "…" with " and \ escaped. */
static void
lit_quoted(struct buf *b, const char *s)
{
    lit_sep(b);
    buf_putc(b, '"');
    for (const char *p = s;; ) {
        size_t n = strcspn(p, "\"\\");
        buf_append(b, p, n);
        p += n;
        if (*p == '\0')
            break;
        buf_putc(b, '\\');
        buf_putc(b, *p++);
    }
    buf_putc(b, '"');
}

bool
scan_route_fits(const struct receiver *rv, const struct scan_route *rt, const char *kind,
                const char *light, const char *tier)
{
    return fits(&rv->county, rt->county) && fits(&rv->sector, rt->sector) && fits(&rv->level, rt->level) &&
           fits(&rv->kind, kind) && fits(&rv->light, light) && fits(&rv->stage, tier) &&
           fits(&rv->leader, rt->leader) &&
           (fits(&rv->unit, rt->unit) || (rt->part_unit != NULL && fits(&rv->unit, rt->part_unit)));
}

/* The receivers' names as an array literal of its own: {"a","b"}. */
static char *
receivers_for(const struct config *cfg, const struct scan_route *rt, const char *kind,
              const char *light, const char *tier)
{
    struct buf names;
    buf_init(&names);
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (scan_route_fits(&cfg->receivers[i], rt, kind, light, tier))
            lit_quoted(&names, cfg->receivers[i].name);
    char *out = xasprintf("{%s}", names.data ? names.data : "");
    buf_free(&names);
    return out;
}

void
scan_add_alert_scoped(const struct scan_ctx *c, struct scan_batch *b, long long row_id,
                      const char *subject, const struct rules_decision *dec, long long project_id,
                      const struct scan_route *rt, json_t *payload, const char *message)
{
    const char *kind = rules_kind_name(dec->kind);
    const char *light = rules_light_name(dec->light);
    const char *tier = rules_tier_name(dec->tier);
    char since[11];
    format_date(&dec->since, since);
    json_object_set_new(payload, "type", json_string(kind));
    json_object_set_new(payload, "stage", json_string(dec->stage));
    json_object_set_new(payload, "light", json_string(light));
    json_object_set_new(payload, "tier", json_integer(dec->tier));
    json_object_set_new(payload, "tier_name", json_string(tier));
    json_object_set_new(payload, "since", json_string(since));
    json_object_set_new(payload, "days_late", json_integer(dec->days_late));
    /* The words as of this scan, for the record (keyprojctl alerts, the
     * supervision order's reason); what is sent is said again when sent. */
    char *said = message == NULL ? wording_compose(kind, light, payload, &c->today, WORDING_FULL) : NULL;
    json_object_set_new(payload, "message", json_string(said ? said : message ? message : kind));
    free(said);

    lit_sep(&b->a[SCAN_A_ROW]);
    buf_put_ll(&b->a[SCAN_A_ROW], row_id);
    lit_quoted(&b->a[SCAN_A_KIND], kind);
    lit_quoted(&b->a[SCAN_A_SUBJECT], subject);
    lit_quoted(&b->a[SCAN_A_STAGE], dec->stage);
    lit_quoted(&b->a[SCAN_A_LIGHT], light);
    lit_sep(&b->a[SCAN_A_PROJECT]);
    if (project_id)
        buf_put_ll(&b->a[SCAN_A_PROJECT], project_id);
    else
        buf_puts(&b->a[SCAN_A_PROJECT], "NULL");
    put_payload(&b->a[SCAN_A_PAYLOAD], payload);
    json_decref(payload);
    char *rcv = receivers_for(c->cfg, rt, kind, light, tier);
    lit_quoted(&b->a[SCAN_A_RECEIVERS], rcv);
    free(rcv);
    b->n_alerts++;
}

void
scan_add_alert(const struct scan_ctx *c, struct scan_batch *b, long long row_id,
               const char *subject, const struct rules_decision *dec,
               const PGresult *res, int row, const struct scan_project_cols *pc,
               const char *part_unit, json_t *payload, const char *message)
{
    json_object_set_new(payload, "project", scan_project_json(res, row, pc));
    const struct scan_route rt = {
        scan_str(res, row, pc->county), scan_str(res, row, pc->sector), scan_str(res, row, pc->level),
        scan_str(res, row, pc->leader), scan_str(res, row, pc->unit), part_unit,
    };
    scan_add_alert_scoped(c, b, row_id, subject, dec, scan_id(res, row, pc->id), &rt, payload, message);
}

char *
scan_project_label(const PGresult *res, int row, const struct scan_project_cols *pc)
{
    const char *county = scan_str(res, row, pc->county);
    const char *name = scan_str(res, row, pc->name);
    return xasprintf("%s%s%s", county ? county : "", county ? " " : "", name ? name : "");
}

void
scan_unit_suffix(const char *unit, char *out, size_t outlen)
{
    if (unit == NULL || unit[0] == '\0')
        out[0] = '\0';
    else
        snprintf(out, outlen, "，责任单位：%s", unit);
}

char *
scan_cut(const char *s, size_t max_cols)
{
    if (s == NULL)
        return xstrdup("");
    /* one line: a description typed with line breaks stays one message line */
    char *flat = xstrdup(s);
    for (char *p = flat; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    if (text_width(flat) <= max_cols)
        return flat;
    size_t n = text_prefix_for_width(flat, max_cols - 1);
    char *out = xasprintf("%.*s…", (int)n, flat);
    free(flat);
    return out;
}
