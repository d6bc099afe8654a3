/* control: the control socket's listener and per-client state machine
 * (line → optional body → busy → writing → line). One client can never
 * make the daemon buffer more than its bounds, block the loop, or outlive
 * its idle timeout; a command outliving its client is fine. A client's
 * next request is taken only once its last answer is flushed, so what it
 * has pending is one answer, at most max_answer_bytes, however much it
 * pipelines; what it sends meanwhile waits in the input buffer, bounded by
 * the read high-watermark (reading stays enabled: switching it off and on
 * for each request cost two epoll_ctl calls per round trip). */
#include "ac_config.h"

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "audit_refusal.h"
#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "throttle.h"
#include "util.h"

enum client_state { ST_LINE, ST_BODY, ST_BUSY, ST_WRITING, ST_CLOSING };

struct client {
    struct control *ctl;
    struct client *next, *prev;
    struct bufferevent *bev;
    enum client_state state;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    char *user;
    enum cmd_level level;
    struct cmd_ctx *ctx;      /* request being read or served */
    size_t body_len;
    size_t body_got;          /* of body_len, received into ctx->body so far */
    size_t body_cap;          /* ctx->body's size: grown as the bytes arrive */
    bool peer_closed;         /* it shut down its side: answer what it sent, then close */
    /* The whole request line, then the whole body, must arrive by this
     * deadline: a byte now and then does not move it (the idle timeout
     * of the bufferevent does move, and both apply). */
    struct event *deadline;
};

/* Who was refused lately, so that one peer retrying in a loop writes a
 * line now and then with a count instead of one line per attempt: at the
 * door, and for each request refused on an open connection. */
#define REFUSAL_LOG_SECONDS 10

struct control {
    struct daemon *d;
    struct evconnlistener *lst;
    char *path;
    struct client *clients;
    int nclients;
    size_t body_in_flight;    /* bytes announced by the bodies being received */
    struct throttle refusals;  /* log lines of refusals, per uid */
};

static void on_read(struct bufferevent *bev, void *arg);
static void read_body(struct client *cl);
static void arm_deadline(struct client *cl, int seconds);

int
control_clients(const struct control *c)
{
    return c->nclients;
}

size_t
control_body_in_flight(const struct control *c)
{
    return c->body_in_flight;
}

static void
client_free(struct client *cl)
{
    struct control *c = cl->ctl;
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        c->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    c->nclients--;
    if (cl->state == ST_BODY)
        c->body_in_flight -= cl->body_len;
    if (cl->deadline)
        event_free(cl->deadline);
    if (cl->ctx) {
        if (cl->state == ST_BUSY) {
            cl->ctx->client = NULL;   /* the command finishes without us */
        } else {
            tokens_free(&cl->ctx->tok);
            free(cl->ctx->body);    /* a body cut off by the client's leaving */
            free(cl->ctx->user);
            free(cl->ctx);
        }
    }
    bufferevent_free(cl->bev);
    free(cl->user);
    free(cl);
}

static char *
dump_json(const json_t *resp)
{
    return json_dumps(resp, CMD_JSON_FLAGS);
}

/* An answer's text leaves the output buffer: free it, and after a large
 * one (a whole country's overdue list is ~25 MB of JSON, made of many
 * small blocks now freed) give the heap's free pages back. */
static void
free_answer(const void *data, size_t len, void *arg)
{
    (void)arg;
    free((void *)data);
    if (len > ((size_t)1 << 20))
        malloc_trim(0);
}

/* Queues s (taken, not copied) and a newline. */
static void
write_line(struct client *cl, char *s)
{
    struct evbuffer *out = bufferevent_get_output(cl->bev);
    if (evbuffer_add_reference(out, s, strlen(s), free_answer, NULL) != 0)
        free(s);
    evbuffer_add(out, "\n", 1);
}

static void
write_json(struct client *cl, const json_t *resp)
{
    write_line(cl, dump_json(resp));
}

static json_t *
error_json(const char *code, const char *message)
{
    return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code, "message", message);
}

/* A protocol error after which the stream cannot be trusted: answer, then
 * close once the answer is written. */
static void
protocol_close(struct client *cl, const char *code, const char *message)
{
    if (audit_refusal_code(code))
        audit_refusal(cl->ctl->d, cl->uid, cl->user, cl->level, cl->ctx && cl->ctx->tok.argc > 0 ?
                      cl->ctx->tok.argv[0] : NULL, code, message, cl->ctx ? cl->ctx->request_id : 0);
    unsigned suppressed = 0;
    if (throttle_allow(&cl->ctl->refusals, (unsigned)cl->uid, clock_now(NULL), &suppressed))
        log_info("control request refused", "user=%s uid=%u code=%s error=%s suppressed=%u", log_q(cl->user),
                 (unsigned)cl->uid, code, log_q(message), suppressed);
    if (cl->deadline)
        event_del(cl->deadline);
    if (cl->state == ST_BODY)
        cl->ctl->body_in_flight -= cl->body_len;    /* the body will never be read */
    json_t *r = error_json(code, message);
    write_json(cl, r);
    json_decref(r);
    cl->state = ST_CLOSING;
    bufferevent_disable(cl->bev, EV_READ);
}

static void control_respond(struct cmd_ctx *ctx, json_t *resp);
static void control_respond_ok_text(struct cmd_ctx *ctx, const char *data);
static const struct cmd_replier control_replier = { control_respond, control_respond_ok_text, true };

static struct cmd_ctx *
ctx_new(struct client *cl)
{
    struct control *c = cl->ctl;
    struct cmd_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->d = c->d;
    ctx->out = &control_replier;
    ctx->client = cl;
    ctx->level = cl->level;
    ctx->uid = cl->uid;
    ctx->user = xstrdup(cl->user);
    ctx->request_id = ++c->d->next_request_id;
    ctx->started = clock_now(NULL);
    return ctx;
}

static void
dispatch(struct client *cl)
{
    event_del(cl->deadline);
    cl->state = ST_BUSY;
    cmd_dispatch(cl->ctx);
}

/* Finds and removes "--bytes N" from the request. Returns 1 (found, *n
 * set), 0 (absent), -1 (malformed) or -2 (over the limit), err set. */
static int
take_bytes(struct tokens *t, size_t max, size_t *n, char *err, size_t errlen)
{
    for (int i = 0; i < t->argc; i++) {
        if (strcmp(t->argv[i], "--bytes") != 0)
            continue;
        char *end = NULL;
        const char *v = i + 1 < t->argc ? t->argv[i + 1] : "";
        errno = 0;
        unsigned long long u = strtoull(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno) {
            snprintf(err, errlen, "--bytes needs a byte count");
            return -1;
        }
        if (u > max) {
            snprintf(err, errlen, "body of %llu bytes is larger than the limit of %zu bytes", u, max);
            return -2;
        }
        free(t->argv[i]);
        free(t->argv[i + 1]);
        memmove(&t->argv[i], &t->argv[i + 2], (size_t)(t->argc - i - 1) * sizeof(char *));
        t->argc -= 2;
        *n = (size_t)u;
        return 1;
    }
    return 0;
}

static void
read_line(struct client *cl)
{
    const struct config *cfg = cl->ctl->d->cfg;
    struct evbuffer *in = bufferevent_get_input(cl->bev);
    size_t eol_len = 0;
    struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
    if (p.pos < 0) {
        if (evbuffer_get_length(in) > cfg->ctl_max_line) {
            char m[96];
            snprintf(m, sizeof m, "request line longer than %zu bytes", cfg->ctl_max_line);
            protocol_close(cl, "too_large", m);
        }
        return;
    }
    if ((size_t)p.pos > cfg->ctl_max_line) {
        char m[96];
        snprintf(m, sizeof m, "request line longer than %zu bytes", cfg->ctl_max_line);
        protocol_close(cl, "too_large", m);
        return;
    }
    size_t len = (size_t)p.pos;
    char *line = xmalloc(len + 1);
    evbuffer_remove(in, line, len);
    evbuffer_drain(in, eol_len);
    line[len] = '\0';

    char err[160];
    cl->ctx = ctx_new(cl);
    int r = tokenize(line, len, cfg->ctl_max_args, &cl->ctx->tok, err, sizeof err);
    free(line);
    if (r != 0) {
        cl->state = ST_BUSY;
        cmd_error(cl->ctx, "protocol", NULL, "%s", err);
        return;
    }
    size_t n = 0;
    r = take_bytes(&cl->ctx->tok, cfg->ctl_max_body, &n, err, sizeof err);
    if (r == -2) {
        protocol_close(cl, "too_large", err);
        return;
    }
    if (r == -1) {
        cl->state = ST_BUSY;
        cmd_error(cl->ctx, "usage", NULL, "%s", err);
        return;
    }
    if (r == 1) {
        /* Nothing of a body is taken before its command, the peer's level
         * and the room for it are known to allow it: refused, the bytes
         * that follow would be read as requests, so the connection ends. */
        const char *code =
            cmd_body_refusal(cl->ctx->d->commands, &cl->ctx->tok, cl->level, cl->user, err, sizeof err);
        if (code == NULL && cl->ctl->body_in_flight + n > cfg->ctl_max_body_in_flight) {
            code = "busy";
            snprintf(err, sizeof err, "other bodies are being received (control.max_body_bytes_in_flight): "
                     "try again later");
        }
        if (code != NULL) {
            protocol_close(cl, code, err);
            return;
        }
        /* The body goes straight into its own buffer, grown as it arrives:
         * the input buffer never holds more than a read's worth of it, so
         * a large file is in memory once, and an announced size that never
         * comes costs nothing. */
        cl->body_len = n;
        cl->body_got = 0;
        cl->body_cap = n < 65536 ? n + 1 : 65536;
        cl->ctx->body = xmalloc(cl->body_cap);
        cl->ctl->body_in_flight += n;
        cl->state = ST_BODY;
        arm_deadline(cl, cfg->ctl_body_timeout);
        return;
    }
    dispatch(cl);
}

static void
read_body(struct client *cl)
{
    struct evbuffer *in = bufferevent_get_input(cl->bev);
    struct cmd_ctx *ctx = cl->ctx;
    size_t want = cl->body_len - cl->body_got, have = evbuffer_get_length(in);
    if (have > want)
        have = want;
    if (cl->body_got + have + 1 > cl->body_cap) {
        size_t cap = cl->body_cap;
        while (cap < cl->body_got + have + 1)
            cap = cap > (cl->body_len + 1) / 2 ? cl->body_len + 1 : cap * 2;
        ctx->body = xrealloc(ctx->body, cap);
        cl->body_cap = cap;
    }
    int got = evbuffer_remove(in, ctx->body + cl->body_got, have);
    if (got > 0)
        cl->body_got += (size_t)got;
    if (cl->body_got < cl->body_len)
        return;
    ctx->body[cl->body_len] = '\0';
    ctx->body_len = cl->body_len;
    cl->ctl->body_in_flight -= cl->body_len;
    event_del(cl->deadline);
    dispatch(cl);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    struct client *cl = arg;
    if (cl->state == ST_LINE)
        read_line(cl);
    if (cl->state == ST_BODY)
        read_body(cl);
}

/* The deadline of a request line or body passed: the client is dropped,
 * however steadily it trickles. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct client *cl = arg;
    const struct config *cfg = cl->ctl->d->cfg;
    char m[160];
    if (cl->state == ST_BODY) {
        snprintf(m, sizeof m, "request body not received in time: %zu of %zu bytes in %d s "
                 "(control.body_timeout_seconds)", cl->body_got, cl->body_len, cfg->ctl_body_timeout);
    } else if (cl->state == ST_LINE) {
        snprintf(m, sizeof m, "idle too long: connection closed (a request line must arrive within %d s: "
                 "control.idle_timeout_seconds)", cfg->ctl_idle_timeout);
    } else {
        return;             /* served meanwhile: nothing to time out */
    }
    bufferevent_set_timeouts(cl->bev, NULL, NULL);
    protocol_close(cl, "timeout", m);
}

static void
arm_deadline(struct client *cl, int seconds)
{
    struct timeval tv = { seconds, 0 };
    evtimer_add(cl->deadline, &tv);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    struct client *cl = arg;
    if (cl->state == ST_CLOSING) {
        client_free(cl);
        return;
    }
    if (cl->state != ST_WRITING)
        return;
    /* The answer is flushed: take the next request (maybe already here),
     * with the idle time counted from now. */
    const struct config *cfg = cl->ctl->d->cfg;
    struct timeval idle = { cfg->ctl_idle_timeout, 0 };
    cl->state = ST_LINE;
    bufferevent_set_timeouts(bev, &idle, &idle);
    arm_deadline(cl, cfg->ctl_idle_timeout);
    on_read(bev, cl);
    if (cl->peer_closed && cl->state == ST_LINE)
        client_free(cl);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    struct client *cl = arg;
    bool serving = cl->state == ST_BUSY || cl->state == ST_WRITING;
    if ((what & BEV_EVENT_EOF) && serving) {
        /* "echo status | socat - UNIX-CONNECT:…" shuts its side down after
         * the request and still reads the answer. */
        cl->peer_closed = true;
        bufferevent_disable(bev, EV_READ);
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && serving) {
        /* Quiet while its command runs or its answer goes out: expected.
         * libevent stopped reading on the timeout; read on. */
        if (!cl->peer_closed)
            bufferevent_enable(bev, EV_READ);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        if (cl->state == ST_LINE || cl->state == ST_BODY) {
            bufferevent_set_timeouts(bev, NULL, NULL);
            protocol_close(cl, "timeout",
                           cl->state == ST_BODY ? "request body not received in time"
                                                : "idle too long: connection closed");
            return;
        }
        log_info("control client not reading its answer: closed", "user=%s pending_bytes=%zu",
                 log_q(cl->user), evbuffer_get_length(bufferevent_get_output(bev)));
    }
    client_free(cl);
}

/* s, the answer's line (taken), or a too_large error in its place when it
 * is over max_answer_bytes: the client keeps its connection and may narrow
 * the request. Returns a new string. */
static char *
bounded_line(struct cmd_ctx *ctx, char *s)
{
    size_t max = ctx->d->cfg->ctl_max_answer;
    size_t n = strlen(s) + 1;
    if (n <= max)
        return s;
    free(s);
    ctx->result = "too_large";
    char m[200];
    snprintf(m, sizeof m, "the answer (%zu bytes) is larger than the limit of %zu bytes "
             "(control.max_answer_bytes): narrow it with filters", n, max);
    json_t *e = error_json("too_large", m);
    s = dump_json(e);
    json_decref(e);
    return s;
}

/* One line per request: at debug level when it went well; otherwise at
 * info, through the uid's throttle of refusals, for a peer can send a
 * refused request as fast as it likes on an open connection. */
static void
log_request(const struct cmd_ctx *ctx, bool gone)
{
    bool ok = strcmp(ctx->result, "ok") == 0;
    enum log_level lvl = ok ? LOG_DEBUG : LOG_INFO;
    if (lvl > log_get_level())
        return;
    double ms = (clock_now(NULL) - ctx->started) * 1000.0;
    const char *cmd = ctx->tok.argc > 0 ? ctx->tok.argv[0] : "";
    if (ok) {
        log_msg(lvl, "control request", "req=%lu user=%s cmd=%s result=%s ms=%.1f%s", ctx->request_id,
                log_q(ctx->user), log_q(cmd), ctx->result, ms, gone ? " client=gone" : "");
        return;
    }
    unsigned suppressed = 0;
    struct control *c = ctx->d->ctl;
    if (c != NULL && !throttle_allow(&c->refusals, (unsigned)ctx->uid, clock_now(NULL), &suppressed))
        return;
    log_msg(lvl, "control request", "req=%lu user=%s cmd=%s result=%s ms=%.1f suppressed=%u%s",
            ctx->request_id, log_q(ctx->user), log_q(cmd), ctx->result, ms, suppressed,
            gone ? " client=gone" : "");
}

/* Logs the request, sends line (taken; NULL when the client is gone) and
 * frees ctx. */
static void
respond_line(struct cmd_ctx *ctx, char *line)
{
    struct client *cl = ctx->client;
    log_request(ctx, cl == NULL);
    if (cl) {
        write_line(cl, line);
        cl->ctx = NULL;
        cl->body_len = 0;
        /* on_write runs once the answer is flushed and takes the next
         * request, from the loop rather than recursively from here. */
        cl->state = ST_WRITING;
    }
    tokens_free(&ctx->tok);
    free(ctx->body);
    free(ctx->user);
    free(ctx);
}

/* The control socket's cmd_replier: one JSON line to the peer, then ctx
 * is freed. */
static void
control_respond(struct cmd_ctx *ctx, json_t *resp)
{
    char *line = ctx->client ? bounded_line(ctx, dump_json(resp)) : NULL;
    json_decref(resp);
    respond_line(ctx, line);
}

static void
control_respond_ok_text(struct cmd_ctx *ctx, const char *data)
{
    char *line = ctx->client ? bounded_line(ctx, xasprintf("{\"ok\":true,\"data\":%s}", data)) : NULL;
    respond_line(ctx, line);
}

/* ---- peers ------------------------------------------------------------ */

/* A group's gid from its name, however long its /etc/group entry (the
 * buffer grows on ERANGE). A failed lookup is logged: members would
 * otherwise be refused with nothing said. */
static bool
group_gid(const char *name, gid_t *out)
{
    size_t size = 4096;
    char *buf = xmalloc(size);
    struct group gr, *res = NULL;
    int r;
    do
        r = getgrnam_r(name, &gr, buf, size, &res);
    while (lookup_buf_grow(r, &buf, &size));
    bool found = r == 0 && res != NULL;
    if (found)
        *out = gr.gr_gid;
    free(buf);
    if (!found)
        log_warn("control: group lookup failed", "group=%s error=%s", log_q(name),
                 log_q(r != 0 ? strerror(r) : "no such group"));
    return found;
}

static bool
in_list(const struct principal_list *l, const char *user, const gid_t *groups, int ngroups)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct principal *p = &l->v[i];
        if (!p->is_group) {
            if (user && strcmp(p->name, user) == 0)
                return true;
            continue;
        }
        gid_t gid;
        if (!group_gid(p->name, &gid))
            continue;
        for (int g = 0; g < ngroups; g++)
            if (groups[g] == gid)
                return true;
    }
    return false;
}

/* The groups the peer's process has, as the kernel sees them
 * (SO_PEERGROUPS), after its gid: levels follow the credentials the
 * process holds, not /etc/group. Newly allocated; *n set. Without
 * SO_PEERGROUPS (Linux before 4.13), the user's groups from the group
 * database. */
static gid_t *
peer_groups(int fd, const struct client *cl, const struct passwd *pw, int *n)
{
    socklen_t size = 64 * sizeof(gid_t);
    gid_t *g = NULL;
#ifdef SO_PEERGROUPS
    for (;;) {
        g = xrealloc(g, sizeof(gid_t) + size);
        socklen_t got = size;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g + 1, &got) == 0) {
            g[0] = cl->gid;
            *n = 1 + (int)(got / sizeof(gid_t));
            return g;
        }
        if (errno != ERANGE || got <= size)
            break;
        size = got;
    }
#endif
    int ng = 256;
    g = xrealloc(g, sizeof(gid_t) * (size_t)(ng + 1));
    g[0] = cl->gid;
    if (pw == NULL || getgrouplist(pw->pw_name, pw->pw_gid, g + 1, &ng) < 0)
        ng = 0;
    *n = 1 + ng;
    return g;
}

/* Resolves the peer's user name, however long its /etc/passwd entry (the
 * buffer grows on ERANGE, as for groups), and groups, then its level. A
 * user that cannot be looked up is "uid:N", which names no principal (the
 * refusal says so to the peer). */
static void
identify(struct client *cl, int fd)
{
    const struct config *cfg = cl->ctl->d->cfg;
    size_t size = 4096;
    char *buf = xmalloc(size);
    struct passwd pw, *res = NULL;
    int r;
    do
        r = getpwuid_r(cl->uid, &pw, buf, size, &res);
    while (lookup_buf_grow(r, &buf, &size));
    if (r == 0 && res != NULL)
        cl->user = xstrdup(pw.pw_name);
    else
        cl->user = xasprintf("uid:%u", (unsigned)cl->uid);
    int ngroups;
    gid_t *groups = peer_groups(fd, cl, res, &ngroups);
    if (in_list(&cfg->admins, cl->user, groups, ngroups))
        cl->level = LEVEL_ADMIN;
    else if (in_list(&cfg->operators, cl->user, groups, ngroups))
        cl->level = LEVEL_OPERATOR;
    else
        cl->level = LEVEL_NONE;
    free(groups);
    free(buf);                /* after peer_groups: res points into it */
}

/* Why the peer may not have a slot now, or NULL: an operator's uid holds
 * at most max_clients_per_user connections, and the last
 * admin_reserved_clients slots are for admins, so that no operator can
 * lock out an admin. Admins are bounded by max_clients alone. */
static const char *
no_slot(const struct client *cl, char *m, size_t mlen)
{
    const struct control *c = cl->ctl;
    const struct config *cfg = c->d->cfg;
    int mine = 0;
    for (const struct client *o = c->clients; o != NULL; o = o->next)
        if (o != cl && o->uid == cl->uid)
            mine++;
    if (cl->level < LEVEL_ADMIN && mine >= cfg->ctl_max_clients_per_user)
        snprintf(m, mlen, "user %s has %d connections already (control.max_clients_per_user): "
                 "try again later", cl->user, mine);
    else if (c->nclients > cfg->ctl_max_clients)
        snprintf(m, mlen, "too many control clients: try again later");
    else if (cl->level < LEVEL_ADMIN && c->nclients > cfg->ctl_max_clients - cfg->ctl_admin_reserved)
        snprintf(m, mlen, "too many control clients (the last %d slots are kept for admins): try again later",
                 cfg->ctl_admin_reserved);
    else
        return NULL;
    return m;
}

static void
on_accept(struct evconnlistener *lst, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct control *c = arg;
    const struct config *cfg = c->d->cfg;
    struct client *cl = xcalloc(1, sizeof *cl);
    cl->ctl = c;
    cl->bev = bufferevent_socket_new(c->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
    cl->next = c->clients;
    if (c->clients)
        c->clients->prev = cl;
    c->clients = cl;
    c->nclients++;
    cl->deadline = evtimer_new(c->d->base, on_deadline, cl);
    bufferevent_setcb(cl->bev, on_read, on_write, on_event, cl);

    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
        cl->user = xstrdup("unknown");
        protocol_close(cl, "denied", "cannot read peer credentials");
        return;
    }
    cl->uid = cred.uid;
    cl->gid = cred.gid;
    cl->pid = cred.pid;
    identify(cl, fd);
    char m[200];
    if (cl->level == LEVEL_NONE) {
        snprintf(m, sizeof m, "user %s (uid %u) may not use this control socket", cl->user, (unsigned)cl->uid);
        protocol_close(cl, "denied", m);
        return;
    }
    if (no_slot(cl, m, sizeof m) != NULL) {
        protocol_close(cl, "busy", m);
        return;
    }
    struct timeval idle = { cfg->ctl_idle_timeout, 0 };
    bufferevent_set_timeouts(cl->bev, &idle, &idle);
    bufferevent_setwatermark(cl->bev, EV_READ, 0, cfg->ctl_max_line + 1);
    cl->state = ST_LINE;
    arm_deadline(cl, cfg->ctl_idle_timeout);
    bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/* ---- the socket file -------------------------------------------------- */

/* A socket file left by a crashed daemon is removed; a live one (something
 * answers on it) or a non-socket is left alone and refused. */
static int
clear_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket: refusing to replace it", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strlcpy_k(sa.sun_path, path, sizeof sa.sun_path);
    int live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    if (live) {
        snprintf(err, errlen, "%s: another keyprojd is running on this socket", path);
        return -1;
    }
    if (unlink(path) != 0) {
        snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
        return -1;
    }
    log_info("removed stale control socket", "path=%s", log_q(path));
    return 0;
}

void
control_apply_config(struct control *c)
{
    const struct config *cfg = c->d->cfg;
    gid_t gid;
    if (cfg->ctl_group) {
        if (!group_gid(cfg->ctl_group, &gid))
            log_warn("control socket group not found: group unchanged", "group=%s", log_q(cfg->ctl_group));
        else if (chown(c->path, (uid_t)-1, gid) != 0)
            log_warn("cannot set the control socket's group", "group=%s error=%s",
                     log_q(cfg->ctl_group), log_q(strerror(errno)));
    }
    if (chmod(c->path, cfg->ctl_mode) != 0)
        log_warn("cannot set the control socket's mode", "error=%s", log_q(strerror(errno)));
}

struct control *
control_new(struct daemon *d, char *err, size_t errlen)
{
    const char *path = d->cfg->ctl_socket;
    if (clear_stale(path, err, errlen) != 0)
        return NULL;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return NULL;
    }
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    strlcpy_k(sa.sun_path, path, sizeof sa.sun_path);
    /* Created owner-only, then opened up to the configured mode: no window
     * in which others could connect. */
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (r != 0) {
        snprintf(err, errlen, "cannot create control socket %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    struct control *c = xcalloc(1, sizeof *c);
    c->refusals.window = REFUSAL_LOG_SECONDS;
    c->refusals.per_window = 1;
    c->d = d;
    c->path = xstrdup(path);
    control_apply_config(c);
    c->lst = evconnlistener_new(d->base, on_accept, c, LEV_OPT_CLOSE_ON_FREE, 64, fd);
    if (c->lst == NULL) {
        snprintf(err, errlen, "cannot listen on %s", path);
        close(fd);
        unlink(path);
        free(c->path);
        free(c);
        return NULL;
    }
    log_info("control socket listening", "path=%s mode=%04o", log_q(path), (unsigned)d->cfg->ctl_mode);
    return c;
}

/* Sends what is queued for a client now, as far as the socket takes it
 * without waiting: the loop that would have sent it has ended. (A socket
 * bufferevent keeps its output's start frozen except while it writes.) */
static void
final_write(struct bufferevent *bev)
{
    struct evbuffer *out = bufferevent_get_output(bev);
    evbuffer_unfreeze(out, 1);
    while (evbuffer_get_length(out) > 0 && evbuffer_write(out, bufferevent_getfd(bev)) > 0)
        ;
}

void
control_free(struct control *c)
{
    if (c == NULL)
        return;
    while (c->clients) {
        /* A last answer (keyprojd is stopping …) still goes out. */
        final_write(c->clients->bev);
        client_free(c->clients);
    }
    evconnlistener_free(c->lst);
    unlink(c->path);
    free(c->path);
    free(c);
}
