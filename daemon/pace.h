/* pace: what chat robots allow — each type's published limit — and the
 * stable id of one robot, derived from its URL without the signature
 * parameters, so receivers naming the same webhook share one count. Pure:
 * the id is a digest and never holds the key. The counting itself lives in
 * PostgreSQL (sql/functions/delivery.sql, deliver_pace.c). */
#ifndef KEYPROJ_PACE_H
#define KEYPROJ_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* "feishu:" and 32 hex digits, NUL. */
#define PACE_ID_MAX 48

struct robot_limit {
    const char *type;
    const char *robot;          /* for messages: "WeCom group robot" */
    int per_minute;             /* messages in any 60 s */
    int per_second;             /* messages in any 1 s; 0: no such limit */
    const char *answer;         /* what it answers when over */
};

/* The published limit of a chat robot type; NULL for json (and unknown). */
static inline const struct robot_limit *
pace_limit(const char *type)
{
    static const struct robot_limit limits[] = {
        { "wecom", "WeCom group robot", 20, 0, "errcode 45009" },
        { "dingtalk", "DingTalk custom robot", 20, 0, "errcode 130101" },
        { "feishu", "Feishu custom bot", 100, 5, "code 9499 or 11232" },
    };
    for (size_t i = 0; type != NULL && i < sizeof limits / sizeof limits[0]; i++)
        if (strcmp(limits[i].type, type) == 0)
            return &limits[i];
    return NULL;
}

/* The robot's id, "TYPE:" and the first 32 hex digits of SHA-256 of the URL
 * with scheme and host lower-cased, without its fragment and without the
 * query parameters a signature adds (timestamp, sign). False when the URL
 * has no scheme and host. */
bool pace_robot_id(const char *type, const char *url, char out[PACE_ID_MAX]);

#endif
