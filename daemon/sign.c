/* sign: HMAC-SHA256 signatures for the three signed formats: the json
 * format's with keyed contexts kept for reuse (keyed_ctx), DingTalk's and
 * Feishu's, whose key or message changes at every call, with OpenSSL's
 * one-shot HMAC(). Must stay pure (no clock, no I/O: the kept contexts are
 * a cache, the result is the same without them) and must never copy a
 * secret or a key into an error message or a log line. */
#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "sign.h"
#include "util.h"

#define WHSEC_PREFIX "whsec_"
#define KEY_MAX 256             /* decoded secret bytes; the spec asks 24–64 */
#define KEYED_MAX 16            /* json secrets whose HMAC context is kept */

/* OpenSSL 3 looks an algorithm up by name at every call that is given
 * none fetched (EVP_sha256(), HMAC()): a tenth of a json message's
 * signing. Fetched once, freed by sign_forget. */
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;

/* A json receiver signs every message with the same secret. Its HMAC
 * context, keyed once, starts each message again from the key's pads
 * (EVP_MAC_init without a key) instead of decoding the secret, fetching
 * the digest and hashing the key anew. Found by the secret's text; the
 * oldest goes when all KEYED_MAX are taken. */
static struct keyed {
    char *secret;               /* the text as configured, one of a receiver's secrets */
    size_t len;
    EVP_MAC_CTX *ctx;
} keyed[KEYED_MAX];
static size_t keyed_next;

static void
keyed_drop(struct keyed *k)
{
    if (k->secret != NULL) {
        OPENSSL_cleanse(k->secret, k->len);
        free(k->secret);
    }
    EVP_MAC_CTX_free(k->ctx);
    memset(k, 0, sizeof *k);
}

void
sign_forget(void)
{
    for (size_t i = 0; i < KEYED_MAX; i++)
        keyed_drop(&keyed[i]);
    keyed_next = 0;
    EVP_MAC_free(hmac_mac);
    hmac_mac = NULL;
    EVP_MD_free(sha256_md);
    sha256_md = NULL;
}

static const EVP_MD *
sha256(void)
{
    if (sha256_md == NULL)
        sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (sha256_md == NULL)
        abort();        /* SHA-256 is always there: a broken libcrypto */
    return sha256_md;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
sign_base64_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
    size_t need = (len + 2) / 3 * 4;
    if (outlen < need + 1)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int
b64_value(char c)
{
    const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;
    return p != NULL ? (int)(p - b64_alphabet) : -1;
}

bool
sign_base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= *outlen)
                return false;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *outlen = o;
    return true;
}

size_t
sign_url_encode(const char *in, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;
        if (o + (plain ? 1 : 3) >= outlen)
            return 0;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (outlen == 0)
        return 0;
    out[o] = '\0';
    return o;
}

void
sign_webhook_id(const char *kind, const char *subject, const char *stage, char out[SIGN_WEBHOOK_ID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    size_t lk = strlen(kind), ls = strlen(subject), lt = strlen(stage), n = lk + ls + lt + 2;
    char small[512];
    char *m = n <= sizeof small ? small : xmalloc(n);
    memcpy(m, kind, lk);
    m[lk] = 0x1f;
    memcpy(m + lk + 1, subject, ls);
    m[lk + 1 + ls] = 0x1f;
    memcpy(m + lk + ls + 2, stage, lt);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(m, n, md, &mdlen, sha256(), NULL) || mdlen < 13)
        abort();        /* SHA-256 is always there: a broken libcrypto */
    if (m != small)
        free(m);
    memcpy(out, "msg_", 4);
    for (size_t i = 0; i < 13; i++) {
        out[4 + 2 * i] = hex[md[i] >> 4];
        out[5 + 2 * i] = hex[md[i] & 15];
    }
    out[30] = '\0';
}

/* base64(HMAC-SHA256(key, msg)) into out. */
static bool
hmac_b64(const void *key, size_t keylen, const void *msg, size_t msglen,
         char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* HMAC() wants a non-NULL data pointer even for an empty message. */
    if (HMAC(sha256(), key, (int)keylen, msglen ? msg : (const void *)"", msglen,
             md, &mdlen) == NULL)
        return false;
    bool ok = sign_base64_encode(md, mdlen, out, outlen) > 0;
    OPENSSL_cleanse(md, sizeof md);
    return ok;
}

/* Decodes one "whsec_…" (or bare base64) secret of the given length. */
static bool
webhook_key(const char *s, size_t len, unsigned char *key, size_t *keylen)
{
    size_t plen = strlen(WHSEC_PREFIX);
    if (len >= plen && memcmp(s, WHSEC_PREFIX, plen) == 0) {
        s += plen;
        len -= plen;
    }
    *keylen = KEY_MAX;
    return len > 0 && sign_base64_decode(s, len, key, keylen) && *keylen > 0;
}

/* The HMAC context of one json secret (s, len bytes of text), ready for a
 * message; NULL when the secret is not valid base64 (or OpenSSL fails). */
static EVP_MAC_CTX *
keyed_ctx(const char *s, size_t len)
{
    for (size_t i = 0; i < KEYED_MAX; i++)
        if (keyed[i].ctx != NULL && keyed[i].len == len && memcmp(keyed[i].secret, s, len) == 0)
            return EVP_MAC_init(keyed[i].ctx, NULL, 0, NULL) ? keyed[i].ctx : NULL;
    unsigned char key[KEY_MAX];
    size_t keylen;
    if (!webhook_key(s, len, key, &keylen))
        return NULL;
    if (hmac_mac == NULL)
        hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = hmac_mac != NULL ? EVP_MAC_CTX_new(hmac_mac) : NULL;
    char digest[] = "SHA2-256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    bool ok = ctx != NULL && EVP_MAC_init(ctx, key, keylen, params);
    OPENSSL_cleanse(key, sizeof key);
    if (!ok) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    struct keyed *k = &keyed[keyed_next];
    keyed_next = (keyed_next + 1) % KEYED_MAX;
    keyed_drop(k);
    k->secret = xmalloc(len);
    memcpy(k->secret, s, len);
    k->len = len;
    k->ctx = ctx;
    return ctx;
}

/* Splits on spaces: fills starts/lens, returns the count (0 when none or
 * more than max). */
static size_t
split_secrets(const char *s, const char **starts, size_t *lens, size_t max)
{
    size_t n = 0;
    while (*s != '\0') {
        while (*s == ' ')
            s++;
        if (*s == '\0')
            break;
        if (n == max)
            return 0;
        starts[n] = s;
        while (*s != '\0' && *s != ' ')
            s++;
        lens[n] = (size_t)(s - starts[n]);
        n++;
    }
    return n;
}

char *
sign_webhook(const char *secrets, const char *msg_id, int64_t timestamp,
             const char *body, size_t body_len, char *err, size_t errlen)
{
    const char *starts[SIGN_MAX_SECRETS];
    size_t lens[SIGN_MAX_SECRETS];
    size_t n = secrets != NULL ? split_secrets(secrets, starts, lens, SIGN_MAX_SECRETS) : 0;
    if (n == 0) {
        snprintf(err, errlen, "no signing secret, or more than %d", SIGN_MAX_SECRETS);
        return NULL;
    }
    /* what is signed: msg_id "." timestamp "." body */
    char stamp[32];
    int sl = snprintf(stamp, sizeof stamp, ".%" PRId64 ".", timestamp);
    size_t il = strlen(msg_id);
    struct buf out;
    buf_init(&out);
    for (size_t i = 0; i < n; i++) {
        EVP_MAC_CTX *ctx = keyed_ctx(starts[i], lens[i]);
        unsigned char md[EVP_MAX_MD_SIZE];
        size_t mdlen = 0;
        char sig[SIGN_MAX];
        bool ok = ctx != NULL && (il == 0 || EVP_MAC_update(ctx, (const unsigned char *)msg_id, il)) &&
                  EVP_MAC_update(ctx, (const unsigned char *)stamp, (size_t)sl) &&
                  (body_len == 0 || EVP_MAC_update(ctx, (const unsigned char *)body, body_len)) &&
                  EVP_MAC_final(ctx, md, &mdlen, sizeof md) && sign_base64_encode(md, mdlen, sig, sizeof sig) > 0;
        OPENSSL_cleanse(md, sizeof md);
        if (!ok) {
            snprintf(err, errlen, "secret %zu of %zu is not valid base64 (whsec_ followed by "
                     "up to %d bytes in base64)", i + 1, n, KEY_MAX);
            buf_free(&out);
            return NULL;
        }
        buf_printf(&out, "%sv1,%s", i > 0 ? " " : "", sig);
    }
    return buf_steal(&out);
}

bool
sign_dingtalk(const char *secret, int64_t timestamp_ms, char *out, size_t outlen)
{
    if (secret == NULL || secret[0] == '\0')
        return false;
    char *msg = xasprintf("%" PRId64 "\n%s", timestamp_ms, secret);
    char b64[SIGN_MAX];
    bool ok = hmac_b64(secret, strlen(secret), msg, strlen(msg), b64, sizeof b64) &&
              sign_url_encode(b64, out, outlen) > 0;
    OPENSSL_cleanse(msg, strlen(msg));
    free(msg);
    return ok;
}

bool
sign_feishu(const char *secret, int64_t timestamp_s, char *out, size_t outlen)
{
    if (secret == NULL || secret[0] == '\0')
        return false;
    /* Feishu keys the HMAC with the string and signs nothing: odd, but it is
     * what their servers check. */
    char *key = xasprintf("%" PRId64 "\n%s", timestamp_s, secret);
    bool ok = hmac_b64(key, strlen(key), "", 0, out, outlen);
    OPENSSL_cleanse(key, strlen(key));
    free(key);
    return ok;
}
