/* log_syslog: openlog/syslog for log.c (see log_syslog.h). Never blocks
 * the caller on a missing syslog daemon: glibc drops the line when
 * /dev/log is absent, and LOG_CONS is not asked for. */
#include "ac_config.h"

#include <string.h>
#include <syslog.h>

#include "log_syslog.h"

static const struct {
    const char *name;
    int code;
} facilities[] = {
    { "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
    { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
    { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { "syslog", LOG_SYSLOG }, { "auth", LOG_AUTH },
    { "authpriv", LOG_AUTHPRIV },
};

/* log.h's levels error, warn, info, debug. */
static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* openlog keeps the pointer it is given: the ident lives here. */
static char ident_buf[64];
static bool is_open;

bool
log_syslog_facility(const char *name, int *code)
{
    for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
        if (strcmp(name, facilities[i].name) == 0) {
            *code = facilities[i].code;
            return true;
        }
    return false;
}

const char *
log_syslog_facilities(void)
{
    return "daemon, user, local0 … local7, syslog, auth, authpriv";
}

void
log_syslog_open(const char *ident, int facility)
{
    if (is_open)
        closelog();
    size_t n = strlen(ident);
    if (n >= sizeof ident_buf)
        n = sizeof ident_buf - 1;
    memcpy(ident_buf, ident, n);
    ident_buf[n] = '\0';
    openlog(ident_buf, LOG_PID | LOG_NDELAY, facility);
    is_open = true;
}

void
log_syslog_close(void)
{
    if (is_open)
        closelog();
    is_open = false;
}

void
log_syslog_write(int level, const char *line)
{
    if (level < 0 || level > 3)
        level = 0;
    syslog(priorities[level], "%s", line);
}
