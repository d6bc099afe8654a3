/* render_json: the generic format, signed per Standard Webhooks — body
 * {type, timestamp, data}, headers webhook-id (the caller's, from the
 * alert's identity: stable across retries and re-created alerts),
 * webhook-timestamp (this attempt) and webhook-signature. No size limit. */
#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_buf.h"
#include "render_format.h"
#include "sign.h"

#define DIGEST_ID_MAX 64

/* The payload's data: the alert's own fields first, then whatever the kind
 * carries (project, milestone, …) unless it would shadow one of them. */
/* An ISO 8601 time in the configured zone ("…+08:00"), as the docs say. */
static json_t *
local_time(const char *iso)
{
    char t[64];
    wording_local_time(iso, NULL, 0, t, sizeof t);
    return render_json_str(iso != NULL ? t : NULL);
}

/* sent_at: the words are said as of then (render_words). created: the
 * alert's time as local_time gives it, when the caller has it already
 * (else NULL). The kind's own members are shared with a->data, not
 * copied: the body is dumped and dropped before a->data is. */
static json_t *
alert_data(const struct alert_view *a, double sent_at, json_t *created)
{
    json_t *o = json_object();
    json_object_set_new(o, "alert_id", json_integer(a->id));
    json_object_set_new(o, "kind", render_json_str(a->kind));
    json_object_set_new(o, "stage", render_json_str(a->stage));
    json_object_set_new(o, "light", a->light != NULL ? render_json_str(a->light) : json_null());
    json_object_set_new(o, "tier", json_integer(a->tier));
    json_object_set_new(o, "created_at", created != NULL ? json_incref(created) : local_time(a->created_at));
    char *words = render_words(a, sent_at, WORDING_FULL);
    json_object_set_new(o, "message", render_json_str(words));
    free(words);
    if (json_is_object(a->data))        /* (jansson's signature: it only takes references) */
        json_object_update_missing(o, (json_t *)a->data);
    return o;
}

/* Takes data's reference and timestamp's. */
static json_t *
envelope(const char *type, json_t *timestamp, json_t *data)
{
    json_t *body = json_object();
    json_object_set_new(body, "type", render_json_str(type));
    json_object_set_new(body, "timestamp", timestamp);
    json_object_set_new(body, "data", data);
    return body;
}

/* URL, headers and signature for a body already in out. Never an id made
 * here (a row id would not survive a failover): no id, no message. */
static bool
sign_request(const struct receiver *rv, const char *msg_id, int64_t now_ms,
             struct render_request *out, char *err, size_t errlen)
{
    if (msg_id == NULL || msg_id[0] == '\0') {
        snprintf(err, errlen, "receiver '%s': no webhook-id for the message", rv->name);
        render_request_free(out);
        return false;
    }
    int64_t ts = now_ms / 1000;
    char why[160];
    char *sig = sign_webhook(rv->secret, msg_id, ts, out->body, out->body_len, why, sizeof why);
    if (sig == NULL) {
        snprintf(err, errlen, "receiver '%s': cannot sign: %s", rv->name, why);
        render_request_free(out);
        return false;
    }
    out->url = xstrdup(rv->url);
    render_add_header(out, "Content-Type: application/json");
    render_add_header(out, "webhook-id: %s", msg_id);
    render_add_header(out, "webhook-timestamp: %" PRId64, ts);
    render_add_header(out, "webhook-signature: %s", sig);
    free(sig);
    return true;
}

/* s as render_json_str makes it, then dumped as jansson dumps a string:
 * render_clean leaves no control character and only valid UTF-8, so
 * quotes and backslashes are all there is to escape. */
static void
put_str(struct buf *b, const char *s)
{
    struct buf c;
    buf_init(&c);
    render_clean(&c, s, MARKUP_PLAIN);
    buf_put_json_str(b, c.len > 0 ? c.data : "");     /* reserved but unwritten, c.data has no NUL */
    buf_free(&c);
}

/* Whether alert_data's own members shadow the payload's member key. */
static bool
own_member(const char *key)
{
    static const char *const own[] = { "alert_id", "kind", "stage", "light", "tier", "created_at", "message" };
    for (size_t i = 0; i < ARRAY_LEN(own); i++)
        if (strcmp(key, own[i]) == 0)
            return true;
    return false;
}

/* The body envelope(alert_data(…)) dumps to, written without building its
 * tree: the same bytes (tests/golden/…json.json pin them) for two thirds
 * of the instructions, and this is every json message's. False when the payload holds
 * a key that is not plain text (jansson's escaping of it is not repeated
 * here): the tree is built then. */
static bool
alert_body(struct buf *b, const struct alert_view *a, const char *created)
{
    if (json_is_object(a->data)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)a->data, key, v)
            for (const unsigned char *k = (const unsigned char *)key; *k; k++)
                if (*k < 0x20 || *k == '"' || *k == '\\' || *k >= 0x7f)
                    return false;
    }
    buf_reserve(b, 2048);
    buf_puts(b, "{\"type\":");
    put_str(b, a->kind);
    buf_puts(b, ",\"timestamp\":");
    put_str(b, created);
    buf_puts(b, ",\"data\":{\"alert_id\":");
    buf_put_ll(b, (long long)a->id);
    buf_puts(b, ",\"kind\":");
    put_str(b, a->kind);
    buf_puts(b, ",\"stage\":");
    put_str(b, a->stage);
    buf_puts(b, ",\"light\":");
    if (a->light != NULL)
        put_str(b, a->light);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"tier\":");
    buf_put_ll(b, a->tier);
    buf_puts(b, ",\"created_at\":");
    put_str(b, created);
    buf_puts(b, ",\"message\":");
    char *words = render_words(a, a->sent_at, WORDING_FULL);
    put_str(b, words);
    free(words);
    if (json_is_object(a->data)) {
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)a->data, key, v) {
            if (own_member(key))
                continue;
            buf_putc(b, ',');
            buf_put_json_str(b, key);
            buf_putc(b, ':');
            if (!buf_put_json(b, v, JSON_COMPACT))
                return false;
        }
    }
    buf_puts(b, "}}");
    return true;
}

bool
render_json_alert(const struct receiver *rv, const struct alert_view *a, int64_t now_ms,
                  struct render_request *out, char *err, size_t errlen)
{
    char created[64];
    wording_local_time(a->created_at, NULL, 0, created, sizeof created);
    struct buf b;
    buf_init(&b);
    if (alert_body(&b, a, a->created_at != NULL ? created : NULL)) {
        free(out->body);
        out->body_len = b.len;
        out->body = buf_steal(&b);
    } else {
        buf_free(&b);
        json_t *t = local_time(a->created_at);
        render_set_body(out, envelope(a->kind, t, alert_data(a, a->sent_at, t)));
    }
    out->n_listed = out->n_total = 1;
    return sign_request(rv, a->webhook_id, now_ms, out, err, errlen);
}

static bool
digest_id_ok(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    return n > 0 && n <= DIGEST_ID_MAX &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

bool
render_json_digest(const struct receiver *rv, const struct digest_view *d, int64_t now_ms,
                   struct render_request *out, char *err, size_t errlen)
{
    if (!digest_id_ok(d->id)) {
        snprintf(err, errlen, "digest id must be 1 to %d of A-Z a-z 0-9 _ -", DIGEST_ID_MAX);
        return false;
    }
    json_t *alerts = json_array();
    for (size_t i = 0; i < d->n_alerts; i++)
        json_array_append_new(alerts, alert_data(&d->alerts[i], d->sent_at, NULL));
    json_t *data = json_object();
    json_object_set_new(data, "id", json_string(d->id));
    json_object_set_new(data, "title", render_json_str(d->title != NULL ? d->title : RENDER_DIGEST_TITLE));
    json_object_set_new(data, "count", json_integer((json_int_t)d->n_alerts));
    json_object_set_new(data, "alerts", alerts);
    render_set_body(out, envelope("digest", local_time(d->created_at), data));
    out->n_listed = out->n_total = d->n_alerts;
    return sign_request(rv, d->webhook_id, now_ms, out, err, errlen);
}

void
render_json_classify(const struct render_answer *ans, struct render_verdict *v)
{
    render_classify_http(ans, v);
}
