/* log: formats one line per event. Single-threaded by design (the daemon
 * runs one event loop), so the rotating quote buffers need no locking. */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "log.h"
#include "log_syslog.h"

static enum log_level cur_level = LOG_INFO;
static bool journal_prefix;
static bool to_syslog;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { 3, 4, 6, 7 };

void
log_set_level(enum log_level level)
{
    cur_level = level;
}

enum log_level
log_get_level(void)
{
    return cur_level;
}

bool
log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (strcmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return true;
    }
    return false;
}

void
log_set_journal(bool on)
{
    journal_prefix = on;
}

void
log_set_syslog(bool on, const char *ident, int facility)
{
    if (on)
        log_syslog_open(ident, facility);
    else
        log_syslog_close();
    to_syslog = on;
}

bool
log_facility_parse(const char *name, int *facility)
{
    return log_syslog_facility(name, facility);
}

const char *
log_facilities_expected(void)
{
    return log_syslog_facilities();
}

const char *
log_q(const char *s)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    size_t o = 0;
    const size_t cap = sizeof(bufs[0]);

    if (s == NULL)
        return "(null)";
    b[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (o + 8 >= cap) {
            memcpy(b + o, "...", 3);
            o += 3;
            break;
        }
        if (*p == '"' || *p == '\\') {
            b[o++] = '\\';
            b[o++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(b + o, cap - o, "\\x%02x", *p);
        } else {
            b[o++] = (char)*p;
        }
    }
    b[o++] = '"';
    b[o] = '\0';
    return b;
}

void
log_msg(enum log_level level, const char *msg, const char *fields, ...)
{
    if (level > cur_level)
        return;

    char line[4096];
    size_t o = 0;
    if (to_syslog) {
        /* syslog stamps the time and carries the priority itself */
    } else if (journal_prefix) {
        o += (size_t)snprintf(line, sizeof line, "<%d>", syslog_prio[level]);
    } else {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        o += strftime(line, sizeof line, "ts=%Y-%m-%dT%H:%M:%S", &tm);
        o += (size_t)snprintf(line + o, sizeof line - o, ".%03ldZ ", (long)(tv.tv_usec / 1000));
    }
    o += (size_t)snprintf(line + o, sizeof line - o, "level=%s msg=%s", level_names[level], log_q(msg));
    if (fields != NULL && fields[0] != '\0' && o < sizeof line - 2) {
        va_list ap;
        line[o++] = ' ';
        va_start(ap, fields);
        int n = vsnprintf(line + o, sizeof line - o, fields, ap);
        va_end(ap);
        if (n > 0)
            o += (size_t)n;
        else
            o--;    /* nothing after all: drop the separator */
    }
    if (o > sizeof line - 2)
        o = sizeof line - 2;
    if (to_syslog) {
        line[o] = '\0';
        log_syslog_write((int)level, line);
        return;
    }
    line[o++] = '\n';
    fwrite(line, 1, o, stderr);
    fflush(stderr);
}
