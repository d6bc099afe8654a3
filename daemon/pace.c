/* pace: see pace.h. The URL is normalised only as far as the robot's
 * service treats two spellings as one webhook: its key or token stays. */
#include "ac_config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "pace.h"
#include "util.h"

/* A query parameter a signature adds (DingTalk's signed URL). */
static bool
signature_param(const char *p, size_t len)
{
    static const char *const names[] = { "timestamp", "sign" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (len >= n && strncmp(p, names[i], n) == 0 && (len == n || p[n] == '='))
            return true;
    }
    return false;
}

bool
pace_robot_id(const char *type, const char *url, char out[PACE_ID_MAX])
{
    out[0] = '\0';
    const char *sep = url ? strstr(url, "://") : NULL;
    if (type == NULL || sep == NULL || sep == url || sep[3] == '\0' || sep[3] == '/')
        return false;
    struct buf b;
    buf_init(&b);
    const char *path = sep + 3 + strcspn(sep + 3, "/?#");
    for (const char *p = url; p < path; p++)
        buf_putc(&b, (char)tolower((unsigned char)*p));
    size_t plen = strcspn(path, "?#");
    buf_printf(&b, "%.*s", (int)plen, path);
    if (path[plen] == '?') {
        const char *q = path + plen + 1;
        size_t qlen = strcspn(q, "#");
        char first = '?';
        for (const char *p = q; p < q + qlen;) {
            size_t n = strcspn(p, "&#");
            if (n > qlen - (size_t)(p - q))
                n = qlen - (size_t)(p - q);
            if (n > 0 && !signature_param(p, n)) {
                buf_printf(&b, "%c%.*s", first, (int)n, p);
                first = '&';
            }
            p += n + 1;
        }
    }
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)(b.data ? b.data : ""), b.len, md);
    buf_free(&b);
    int k = snprintf(out, PACE_ID_MAX, "%.16s:", type);
    for (int i = 0; i < 16; i++)
        k += snprintf(out + k, PACE_ID_MAX - (size_t)k, "%02x", md[i]);
    return true;
}
