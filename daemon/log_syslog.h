/* log_syslog: the syslog sink of log.c, apart because <syslog.h> defines
 * LOG_INFO and LOG_DEBUG as macros that clash with log.h's levels. Only
 * log.c uses it; it knows nothing of the line it is given. */
#ifndef KEYPROJ_LOG_SYSLOG_H
#define KEYPROJ_LOG_SYSLOG_H

#include <stdbool.h>

/* The facility code of a name ("daemon", "local0" … "local7", "user" …). */
bool log_syslog_facility(const char *name, int *code);
/* The names log_syslog_facility takes, for messages. */
const char *log_syslog_facilities(void);
/* Opens (or reopens with other settings) the connection to syslog; ident
 * is copied. */
void log_syslog_open(const char *ident, int facility);
void log_syslog_close(void);
/* Sends one line (without its newline) at log.h's level (0 error … 3 debug). */
void log_syslog_write(int level, const char *line);

#endif
