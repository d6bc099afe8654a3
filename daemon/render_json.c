/* render_json: the generic format, signed per Standard Webhooks — body
 * {type, timestamp, data}, headers webhook-id (the caller's, from the
 * alert's identity: stable across retries and re-created alerts),
 * webhook-timestamp (this attempt) and webhook-signature. No size limit. */
#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool
render_json_alert(const struct receiver *rv, const struct alert_view *a, int64_t now_ms,
                  struct render_request *out, char *err, size_t errlen)
{
    json_t *created = local_time(a->created_at);
    render_set_body(out, envelope(a->kind, created, alert_data(a, a->sent_at, created)));
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
