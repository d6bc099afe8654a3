/* log: one line per event on stderr (the journal under systemd) or, when
 * the configuration asks, to syslog, as key=value fields after a level and
 * a message. Secrets must never be passed
 * here: callers log receiver names, never URLs with keys or secrets. */
#ifndef KEYPROJ_LOG_H
#define KEYPROJ_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; returns false when unknown. */
bool log_level_parse(const char *s, enum log_level *out);
/* Prefix each line with <N> syslog priorities (systemd's SyslogLevelPrefix). */
void log_set_journal(bool on);
/* Sends the lines to syslog (ident, facility from log_facility_parse)
 * instead of stderr, with the priority of each level and the line without
 * its timestamp; off: back to stderr. */
void log_set_syslog(bool on, const char *ident, int facility);
/* The facility code of "daemon", "local0" …; false when unknown. */
bool log_facility_parse(const char *name, int *facility);
/* The names log_facility_parse takes, for messages. */
const char *log_facilities_expected(void);

/* msg is a short human sentence; fields (optional, printf-style) follow as
 * key=value pairs. */
void log_msg(enum log_level level, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_info(msg, ...) log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_debug(msg, ...) log_msg(LOG_DEBUG, msg, __VA_ARGS__)

/* Returns s as a quoted log value ("a b" with \" and \\ escaped, control
 * bytes as \xNN), in one of a few rotating static buffers: valid until the
 * next few calls, enough for one log line. Long values are cut with "...". */
const char *log_q(const char *s);

#endif
