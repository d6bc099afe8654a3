/* ctlbench: round trips per second on the control socket, one connection,
 * one request in flight — what an operator's script or a monitoring probe
 * sees. Prints one line; never a test (the machine decides the figure).
 * Usage: ctlbench SOCKET [SECONDS] [COMMAND…] (default: 3 s, status and
 * version). */
#include "ac_config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* One connection and what has been read from it past the last answer. */
struct conn {
    int fd;
    char buf[1 << 16];
    size_t len;
    bool in_long;       /* inside an answer longer than buf, its start dropped */
    bool long_ok;       /* that answer started with {"ok":true */
};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
conn_open(struct conn *c, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "ctlbench: socket path too long: %s\n", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    c->len = 0;
    c->in_long = false;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "ctlbench: cannot connect to %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int
send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static bool
starts_ok(const char *p, size_t n)
{
    return n >= 10 && memcmp(p, "{\"ok\":true", 10) == 0;
}

/* Reads up to the end of one answer line; checks it says "ok":true. */
static int
read_answer(struct conn *c)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t used = (size_t)(nl - c->buf) + 1;
            bool ok = c->in_long ? c->long_ok : starts_ok(c->buf, used);
            c->in_long = false;
            memmove(c->buf, nl + 1, c->len - used);
            c->len -= used;
            if (!ok)
                fprintf(stderr, "ctlbench: the daemon refused the request\n");
            return ok ? 0 : -1;
        }
        if (c->len == sizeof c->buf) {     /* a long answer: only its end is left to find */
            if (!c->in_long)
                c->long_ok = starts_ok(c->buf, c->len);
            c->in_long = true;
            c->len = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "ctlbench: connection closed\n");
            return -1;
        }
        c->len += (size_t)r;
    }
}

/* Round trips of cmd per second for about secs seconds; -1 on failure. */
static double
measure(struct conn *c, const char *cmd, double secs)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    long count = 0;
    double start = now_s(), t = start;
    while (t - start < secs) {
        /* Read the clock every 64 round trips: it costs as much as one. */
        for (int i = 0; i < 64; i++) {
            if (send_all(c->fd, line, (size_t)n) != 0 || read_answer(c) != 0)
                return -1;
        }
        count += 64;
        t = now_s();
    }
    return (double)count / (t - start);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ctlbench SOCKET [SECONDS] [COMMAND…]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    if (secs <= 0) {
        fprintf(stderr, "ctlbench: SECONDS must be positive (got '%s')\n", argv[2]);
        return 2;
    }
    static const char *const dflt[] = { "status", "version" };
    const char *const *cmds = argc > 3 ? (const char *const *)argv + 3 : dflt;
    int ncmds = argc > 3 ? argc - 3 : 2;
    struct conn *c = malloc(sizeof *c);
    if (c == NULL || conn_open(c, argv[1]) != 0) {
        free(c);
        return 1;
    }
    int rc = 0;
    printf("control socket round trips, 1 connection, %.0f s each:", secs);
    for (int i = 0; i < ncmds; i++) {
        double r = measure(c, cmds[i], secs);
        if (r < 0) {
            rc = 1;
            break;
        }
        printf(" %s %.0f/s (%.1f us)", cmds[i], r, 1e6 / r);
    }
    printf("\n");
    close(c->fd);
    free(c);
    return rc;
}
