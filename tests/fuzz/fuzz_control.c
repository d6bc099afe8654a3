/* Fuzz target: the control socket's state machine (daemon/control.c) on a
 * real AF_UNIX socket in a temporary directory, with the database down.
 * The input is a script for a few clients: connect, send a chunk (partial
 * lines, bodies, garbage), send a canned request, half-close, disconnect,
 * read, run the loop. The first byte picks the peer's level (admin,
 * operator, or none: refused at the door) and tight bounds. At the end
 * every client half-closes and the loop runs until quiet. Invariants: no
 * crash or leak (ASan), every answer line is a JSON object with "ok",
 * every client is closed by keyprojd (it sees EOF), no client is left,
 * and body_in_flight is back to 0. */
#include "ac_config.h"

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "control.h"
#include "cmd.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCLIENTS 4
#define LEVELS 3
#define ANSWER_MAX (1 << 20)

struct peer {
    int fd;                 /* -1: not connected */
    bool shut;              /* its writing side is shut */
    bool eof;               /* keyprojd closed it */
    struct buf in;          /* answer bytes not yet checked */
    size_t got;             /* all answer bytes received */
};

static struct {
    struct daemon d;
    struct config *cfg[LEVELS];
    char dir[64];
    char sock[96];
} F;

static void
remove_dir(void)
{
    rmdir(F.dir);
}

static void
setup(void)
{
    log_set_level(LOG_ERROR);
    strlcpy_k(F.dir, "/tmp/fuzz_control.XXXXXX", sizeof F.dir);
    if (mkdtemp(F.dir) == NULL)
        abort();
    atexit(remove_dir);
    snprintf(F.sock, sizeof F.sock, "%s/c.sock", F.dir);
    /* Whoever runs this is the peer: in no list, operator, or admin. */
    struct passwd *pw = getpwuid(geteuid());
    const char *name = pw ? pw->pw_name : "root";
    for (int i = 0; i < LEVELS; i++) {
        char *l = i == 0   ? xstrdup("admins = [ \"uid-nobody-has\" ]; operators = [ ];")
                  : i == 1 ? xasprintf("admins = [ \"uid-nobody-has\" ]; operators = [ \"%s\" ];", name)
                           : xasprintf("admins = [ \"%s\" ]; operators = [ ];", name);
        char *text = xasprintf("database = { conninfo = \"dbname=keyproj_fuzz\"; };\n"
                               "control = { socket = \"%s\"; %s max_clients = 6; admin_reserved_clients = 1;\n"
                               "  max_clients_per_user = 4; max_line_bytes = 512; max_body_bytes = 4096;\n"
                               "  max_body_bytes_in_flight = 6000; max_answer_bytes = 65536; max_args = 16; };\n",
                               F.sock, l);
        char err[256];
        F.cfg[i] = config_load_string(text, "fuzz", err, sizeof err);
        if (F.cfg[i] == NULL) {
            fprintf(stderr, "fuzz_control: %s\n", err);
            abort();
        }
        free(text);
        free(l);
    }
    F.d.base = event_base_new();
    F.d.cfg = F.cfg[0];
    /* never started: stays down */
    F.d.db = db_new(F.d.base, "main", F.cfg[0]->db_conninfo, 1, NULL, NULL, &F.d);
    F.d.schema_version = -1;
    F.d.config_path = "/nonexistent/keyprojd.conf";
    F.d.commands = cmd_table;
    F.d.reload = daemon_reload;     /* as main.c sets it: this path fails to load */
}

/* Every complete line received is one JSON object with a boolean "ok". */
static void
check_lines(struct peer *p)
{
    char *nl;
    while ((nl = memchr(p->in.data, '\n', p->in.len)) != NULL) {
        size_t n = (size_t)(nl - p->in.data);
        json_error_t jerr;
        json_t *j = json_loadb(p->in.data, n, 0, &jerr);
        if (j == NULL || !json_is_object(j) || !json_is_boolean(json_object_get(j, "ok")))
            abort();
        json_decref(j);
        memmove(p->in.data, nl + 1, p->in.len - n - 1);
        p->in.len -= n + 1;
        p->in.data[p->in.len] = '\0';
    }
    if (p->in.len > ANSWER_MAX)
        abort();        /* a line longer than any answer may be */
}

/* Takes what keyprojd has sent; true when something came. */
static bool
drain(struct peer *p)
{
    if (p->fd < 0 || p->eof)
        return false;
    bool any = false;
    char b[8192];
    for (;;) {
        ssize_t n = recv(p->fd, b, sizeof b, MSG_DONTWAIT);
        if (n > 0) {
            buf_append(&p->in, b, (size_t)n);
            p->got += (size_t)n;
            any = true;
            check_lines(p);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            p->eof = true;      /* closed (or reset) by keyprojd */
            any = true;
        }
        return any;
    }
}

static void
pump(struct peer *peers)
{
    event_base_loop(F.d.base, EVLOOP_NONBLOCK);
    for (int i = 0; i < NCLIENTS; i++)
        drain(&peers[i]);
}

static void
do_connect(struct peer *p)
{
    if (p->fd >= 0)
        return;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strlcpy_k(sa.sun_path, F.sock, sizeof sa.sun_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    p->fd = fd;
    p->shut = p->eof = false;
    buf_reset(&p->in);
    p->got = 0;
}

static void
do_send(struct peer *p, const void *b, size_t n)
{
    if (p->fd < 0 || p->shut || n == 0)
        return;
    (void)!send(p->fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);    /* what does not fit is dropped */
}

static void
do_close(struct peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

/* Requests that reach each state quickly: a line, a body that fits, one
 * over max_body_bytes, a body for a command that takes none. */
static const struct {
    const char *line;
    bool bytes;             /* followed by --bytes N */
} canned[] = {
    { "status", false }, { "help", false }, { "version", false }, { "import projects", true },
    { "import milestones --dry-run", true }, { "status", true }, { "import projects --bytes 99999", false },
    { "overdue --county \"涧西区\"", false }, { "reload", false }, { "\"unbalanced", false },
    { "import projects --bytes", false },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (F.d.base == NULL)
        setup();
    if (size < 1)
        return 0;
    F.d.cfg = F.cfg[data[0] % LEVELS];
    char err[256];
    F.d.ctl = control_new(&F.d, err, sizeof err);
    if (F.d.ctl == NULL) {
        fprintf(stderr, "fuzz_control: %s\n", err);
        abort();
    }
    struct peer peers[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        peers[i].fd = -1;
        buf_init(&peers[i].in);
    }
    size_t i = 1;
    while (i < size) {
        uint8_t op = data[i++];
        struct peer *p = &peers[(op >> 3) % NCLIENTS];
        uint8_t arg = i < size ? data[i] : 0;
        switch (op & 7) {
        case 0: do_connect(p); break;
        case 1: {               /* a chunk of the input, as it is */
            size_t n = arg % 64;
            i++;
            if (n > size - (i < size ? i : size))
                n = size - (i < size ? i : size);
            do_send(p, data + i, n);
            i += n;
            break;
        }
        case 2:
            if (p->fd >= 0 && !p->shut) {
                shutdown(p->fd, SHUT_WR);
                p->shut = true;
            }
            break;
        case 3: do_close(p); break;
        case 4: pump(peers); break;
        case 5: {               /* a canned request, its --bytes from the next byte */
            i++;
            char line[128];
            size_t k = arg % (sizeof canned / sizeof canned[0]);
            if (canned[k].bytes)
                snprintf(line, sizeof line, "%s --bytes %u\n", canned[k].line, arg * 37u);
            else
                snprintf(line, sizeof line, "%s\n", canned[k].line);
            do_send(p, line, strlen(line));
            break;
        }
        case 6: drain(p); break;
        case 7: {               /* many bytes of one value: long lines, whole bodies */
            i++;
            char big[2048];
            memset(big, arg == '\n' ? 'x' : arg, sizeof big);
            do_send(p, big, (size_t)(arg % 8 + 1) * 256);
            break;
        }
        }
        pump(peers);
    }
    /* Every client that is left half-closes: keyprojd answers what it was
     * sent and closes each one, at once (nothing waits on the database). */
    for (int k = 0; k < NCLIENTS; k++)
        if (peers[k].fd >= 0 && !peers[k].shut) {
            shutdown(peers[k].fd, SHUT_WR);
            peers[k].shut = true;
        }
    for (int quiet = 0, left = -1; quiet < 20;) {
        event_base_loop(F.d.base, EVLOOP_NONBLOCK);
        bool any = control_clients(F.d.ctl) != left;
        left = control_clients(F.d.ctl);
        for (int k = 0; k < NCLIENTS; k++)
            any |= drain(&peers[k]);
        quiet = any ? 0 : quiet + 1;
    }
    for (int k = 0; k < NCLIENTS; k++) {
        if (peers[k].fd >= 0 && !peers[k].eof)
            abort();            /* a client neither closed nor answered */
        if (getenv("FUZZ_CONTROL_VERBOSE") && peers[k].fd >= 0)
            fprintf(stderr, "client %d: %zu answer bytes, then closed\n", k, peers[k].got);
        do_close(&peers[k]);
        buf_free(&peers[k].in);
    }
    for (int spin = 0; spin < 50 && control_clients(F.d.ctl) > 0; spin++)
        event_base_loop(F.d.base, EVLOOP_NONBLOCK);
    if (control_clients(F.d.ctl) != 0 || control_body_in_flight(F.d.ctl) != 0)
        abort();
    control_free(F.d.ctl);
    F.d.ctl = NULL;
    return 0;
}
