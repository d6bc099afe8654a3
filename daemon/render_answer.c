/* render_answer: how an answer becomes a verdict — delivered, retry (and
 * when), or stop and tell the operators. Chat robots answer HTTP 200 with an
 * error inside, so their body decides; error texts quote answers only in
 * short, cleaned excerpts and never the request URL. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_format.h"

#define EXCERPT_MAX 100     /* bytes of an answer quoted in last_error */

static long
clamp_retry(long s)
{
    if (s < 0)
        return -1;
    return s > RENDER_RETRY_AFTER_MAX ? RENDER_RETRY_AFTER_MAX : s;
}

static void
verdict(struct render_verdict *v, bool ok, bool permanent, long retry_after,
        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
verdict(struct render_verdict *v, bool ok, bool permanent, long retry_after,
        const char *fmt, ...)
{
    v->ok = ok;
    v->permanent = permanent;
    v->rate_limited = false;
    v->retry_after = ok ? -1 : retry_after;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->error, sizeof v->error, fmt, ap);
    va_end(ap);
    /* vsnprintf may have cut a character in two: keep the text valid. */
    v->error[render_utf8_prefix(v->error, sizeof v->error - 1)] = '\0';
}

/* A cleaned, UTF-8-safe excerpt of at most EXCERPT_MAX bytes ("" if none). */
static void
excerpt(const char *text, size_t len, char *out, size_t outlen)
{
    out[0] = '\0';
    if (text == NULL || len == 0)
        return;
    char *raw = xstrndup(text, len < 4 * EXCERPT_MAX ? len : 4 * EXCERPT_MAX);
    struct buf b;
    buf_init(&b);
    render_clean(&b, raw, MARKUP_PLAIN);
    free(raw);
    size_t max = outlen - 1 < EXCERPT_MAX ? outlen - 1 : EXCERPT_MAX;
    if (b.data != NULL) {
        size_t n = render_utf8_prefix(b.data, max);
        memcpy(out, b.data, n);
        out[n] = '\0';
    }
    buf_free(&b);
}

static const char *
with_excerpt(const struct render_answer *ans, char *tmp, size_t tmplen)
{
    char ex[EXCERPT_MAX + 1];
    excerpt(ans->body, ans->body_len, ex, sizeof ex);
    snprintf(tmp, tmplen, "%s%s", ex[0] != '\0' ? ": " : "", ex);
    return tmp;
}

void
render_classify_http(const struct render_answer *ans, struct render_verdict *v)
{
    long s = ans->status, ra = clamp_retry(ans->retry_after);
    char tail[EXCERPT_MAX + 8];
    with_excerpt(ans, tail, sizeof tail);
    if (s == 0)
        verdict(v, false, false, -1, "no response: %s",
                ans->transport_error != NULL ? ans->transport_error : "connection failed");
    else if (s >= 200 && s < 300)
        verdict(v, true, false, -1, "%s", "");
    else if (s == 410)
        verdict(v, false, true, -1, "HTTP 410 Gone: the endpoint no longer exists%s", tail);
    else if (s == 408)
        verdict(v, false, false, -1, "HTTP 408 request timeout%s", tail);
    else if (s == 429 || s >= 500)
        verdict(v, false, false, ra, "HTTP %ld%s%s", s,
                s == 429 ? " too many requests" : "", tail);
    else if (s >= 400)
        verdict(v, false, true, -1, "HTTP %ld: request refused%s", s, tail);
    else if (s >= 300)
        verdict(v, false, false, -1, "HTTP %ld: redirects are not followed, "
                "check the receiver's url%s", s, tail);
    else
        verdict(v, false, false, -1, "HTTP %ld: unexpected status%s", s, tail);
    if (!v->ok && v->retry_after >= 0) {
        size_t n = strlen(v->error);
        snprintf(v->error + n, sizeof v->error - n, " (Retry-After %ld s)", v->retry_after);
    }
}

/* Reads the robot's error code (first of keys present as an integer) and
 * its message from a JSON object body. False when the body is not that. */
static bool
answer_code(const struct render_answer *ans, const char *const *keys, long *code,
            char *msg, size_t msglen)
{
    msg[0] = '\0';
    if (ans->body == NULL || ans->body_len == 0)
        return false;
    json_t *root = json_loadb(ans->body, ans->body_len, 0, NULL);
    bool found = false;
    for (size_t i = 0; json_is_object(root) && keys[i] != NULL && !found; i++) {
        json_t *c = json_object_get(root, keys[i]);
        if (json_is_integer(c)) {
            *code = (long)json_integer_value(c);
            found = true;
        }
    }
    static const char *const msg_keys[] = { "errmsg", "msg", "StatusMessage" };
    for (size_t i = 0; found && i < ARRAY_LEN(msg_keys); i++) {
        json_t *m = json_object_get(root, msg_keys[i]);
        if (json_is_string(m)) {
            excerpt(json_string_value(m), json_string_length(m), msg, msglen);
            break;
        }
    }
    json_decref(root);
    return found;
}

static const struct render_code_rule *
find_rule(const struct render_code_rule *rules, size_t n, long code)
{
    for (size_t i = 0; i < n; i++)
        if (rules[i].code == code)
            return &rules[i];
    return NULL;
}

void
render_classify_robot(const char *robot, const struct render_answer *ans,
                      const char *const *code_keys,
                      const struct render_code_rule *rules, size_t n_rules,
                      long rate_backoff, struct render_verdict *v)
{
    long s = ans->status, code = 0;
    bool is_2xx = s >= 200 && s < 300;
    char msg[EXCERPT_MAX + 1], tail[EXCERPT_MAX + 8];
    bool has_code = s != 0 && answer_code(ans, code_keys, &code, msg, sizeof msg);

    if (is_2xx && has_code && code == 0) {
        verdict(v, true, false, -1, "%s", "");
        return;
    }
    if (is_2xx && !has_code) {
        verdict(v, false, false, -1, "%s answered HTTP %ld without its JSON error code%s",
                robot, s, with_excerpt(ans, tail, sizeof tail));
        return;
    }
    const struct render_code_rule *r = has_code ? find_rule(rules, n_rules, code) : NULL;
    if (r == NULL && (!has_code || code == 0 || !is_2xx)) {
        /* No code, or one we do not know on an HTTP error: HTTP decides. */
        render_classify_http(ans, v);
        if (has_code && code != 0) {
            char http[sizeof v->error];
            memcpy(http, v->error, sizeof http);
            verdict(v, v->ok, v->permanent, v->retry_after, "%s code %ld%s%s; %s",
                    robot, code, msg[0] != '\0' ? ": " : "", msg, http);
        }
        return;
    }
    long ra = clamp_retry(ans->retry_after);
    enum render_code_action act = r != NULL ? r->action : CODE_RETRY;
    if (act == CODE_RATE_LIMITED && ra < rate_backoff)
        ra = rate_backoff;
    char where[32] = "";
    if (!is_2xx)
        snprintf(where, sizeof where, " (HTTP %ld)", s);
    verdict(v, false, act == CODE_PERMANENT, act == CODE_PERMANENT ? -1 : ra,
            "%s code %ld%s%s%s%s%s", robot, code, r != NULL ? " " : "",
            r != NULL ? r->meaning : "", where, msg[0] != '\0' ? ": " : "", msg);
    v->rate_limited = act == CODE_RATE_LIMITED;
}
