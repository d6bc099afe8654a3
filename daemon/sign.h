/* sign: the signatures webhook receivers check — Standard Webhooks (json),
 * DingTalk (signed URL) and Feishu (signed body). Pure: no clock (callers
 * pass the timestamp), no I/O, and secrets never reach an error message. */
#ifndef KEYPROJ_SIGN_H
#define KEYPROJ_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for one base64 HMAC-SHA256 (44 chars), URL-encoded (each of '+',
 * '/', '=' grows to three bytes), plus NUL. */
#define SIGN_MAX 136

/* Secrets one json receiver may carry at once (rotation: old and new). */
#define SIGN_MAX_SECRETS 8

/* The "webhook-signature" header value of the Standard Webhooks spec:
 * "v1,<base64 HMAC-SHA256(key, msg_id.timestamp.body)>". secrets holds one or
 * more secrets separated by spaces (rotation), each "whsec_<base64 key>" or
 * the bare base64 key; the result then holds one signature per secret, in
 * the same order, separated by spaces. Returns a newly allocated string, or
 * NULL with a message in err ("secret 2 of 2 is not valid base64") when a
 * secret is malformed. */
char *sign_webhook(const char *secrets, const char *msg_id, int64_t timestamp,
                   const char *body, size_t body_len, char *err, size_t errlen);

/* DingTalk: urlencode(base64(HMAC-SHA256(key = secret,
 * message = timestamp_ms + "\n" + secret))), ready to append as &sign=.
 * False when the secret is empty or out (at least SIGN_MAX) is too small. */
bool sign_dingtalk(const char *secret, int64_t timestamp_ms, char *out, size_t outlen);

/* Feishu: base64(HMAC-SHA256(key = timestamp_s + "\n" + secret,
 * message = "")), for the body's "sign" field (not URL-encoded). */
bool sign_feishu(const char *secret, int64_t timestamp_s, char *out, size_t outlen);

/* The webhook-id of an alert's message (json receivers): "msg_" and the
 * first 26 hex digits of SHA-256 over kind, subject and stage joined by
 * U+001F. The same as SQL's keyproj_webhook_id (sql/functions/delivery.sql),
 * which stays the definition and the way to look a message up; computed
 * here so that a claim does not hash every row in PostgreSQL. */
#define SIGN_WEBHOOK_ID_SIZE 31      /* "msg_" + 26 hex digits + NUL */
void sign_webhook_id(const char *kind, const char *subject, const char *stage, char out[SIGN_WEBHOOK_ID_SIZE]);

/* Frees what signing keeps between calls: the json secrets' keyed HMAC
 * contexts (their key bytes cleansed) and the fetched algorithms. Signing
 * again afterwards sets them up anew. At exit, and after a reload that may
 * have dropped a secret. */
void sign_forget(void);

/* Standard base64 with padding. encode returns the length written (without
 * the NUL), 0 when out is too small. decode accepts missing padding, refuses
 * any other character; *outlen is the room on input, the length on output. */
size_t sign_base64_encode(const unsigned char *in, size_t len, char *out, size_t outlen);
bool sign_base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen);

/* Percent-encodes everything but RFC 3986 unreserved characters. Returns
 * the length written, 0 when out is too small. */
size_t sign_url_encode(const char *in, char *out, size_t outlen);

#endif
