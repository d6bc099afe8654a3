/* ctl: keyprojctl, the administrators' client. Sends one request line (and
 * a file's bytes for import) to keyprojd's control socket, prints the one
 * JSON answer. Must never crash or hang on what the socket sends back. */
#include "ac_config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libintl.h>

#include "ctl_lang.h"
#include "ctl_render.h"
#include "text.h"
#include "tokenize.h"
#include "util.h"

/* Exit statuses, documented in the usage text and keyprojctl(1). */
enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILED = 1,        /* refused by the daemon, or a local file */
    CTL_EXIT_USAGE = 2,
    CTL_EXIT_UNREACHABLE = 3,   /* no (complete, readable) answer */
    CTL_CONTINUE = -1           /* internal: nothing decided yet */
};

#define _(s) gettext(s)

#define DEFAULT_SOCKET "/run/keyprojd/control.sock"
#define DEFAULT_TIMEOUT 600                   /* a 100k-row import is slow */
#define BODY_MAX ((size_t)256 * 1024 * 1024)
#define ANSWER_MAX ((size_t)1024 * 1024 * 1024)
#define IO_CHUNK 65536

/* Commands whose request carries a file: the first argument from
 * argv[first_arg] on (counted from the command name) that is not an option
 * or an option's value is a path or "-", read here and sent as the body,
 * because the daemon may run as another user and must not open our paths. */
struct body_cmd {
    const char *name;
    int first_arg;
    const char *const *value_opts;   /* options that take the next argument */
    const char *usage;
};

static const char *const import_value_opts[] = { "--encoding", "--sheet", NULL };

static const struct body_cmd body_cmds[] = {
    { "import", 2, import_value_opts, "import KIND FILE|- [--dry-run] [--encoding ENC] [--sheet NAME]" },
};

struct ctl_opts {
    const char *socket;
    enum ctl_format format;
    long timeout;               /* seconds; 0 waits forever */
    int argc;                   /* the command and its arguments */
    char **argv;
};

/* What one exchange sends: the request line, then the body (maybe empty). */
struct request {
    struct buf line;
    struct buf body;
};

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
complain(const char *fmt, ...)
{
    va_list ap;
    fputs("keyprojctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void
usage(FILE *f)
{
    fprintf(f, _("usage: keyprojctl [-s SOCKET] [--json | --csv | --excel] [-t SECONDS] [-h] "
                 "COMMAND [ARG...]\n"
                 "\n"
                 "Sends COMMAND to keyprojd over its control socket and prints the answer.\n"
                 "\n"
                 "  -s, --socket SOCKET    control socket (default: $KEYPROJ_SOCKET, else\n"
                 "                         %s)\n"
                 "  -t, --timeout SECONDS  give up after SECONDS for the whole exchange\n"
                 "                         (default 600; 0 waits forever)\n"
                 "      --json             print the answer as JSON\n"
                 "      --csv              print the answer as CSV (RFC 4180), for programs\n"
                 "      --excel            print the answer as CSV for Excel and WPS (UTF-8\n"
                 "                         with a byte order mark, CRLF, formulas guarded)\n"
                 "  -h, --help             show this help\n"
                 "\n"
                 "  import KIND FILE|-     keyprojctl reads FILE ('-' for standard input)\n"
                 "                         and sends its bytes with the request\n"
                 "\n"
                 "Tables, --excel and keyprojctl's own messages follow the locale (LANG,\n"
                 "LC_ALL, LC_MESSAGES, LANGUAGE): zh_CN.UTF-8 shows them in Chinese.\n"
                 "\n"
                 "Exit status: 0 done, 1 refused or failed, 2 usage, 3 daemon not reachable.\n"
                 "Run 'keyprojctl help' for the commands the daemon offers.\n"), DEFAULT_SOCKET);
}

/* ---- options ------------------------------------------------------------ */

static int
parse_timeout(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX / 1000) {
        complain(_("-t wants whole seconds from 0 to %d, not '%s'"),
                 INT_MAX / 1000, s);
        return CTL_EXIT_USAGE;
    }
    *out = v;
    return CTL_CONTINUE;
}

static int
set_format(struct ctl_opts *o, enum ctl_format f)
{
    if (o->format != CTL_TABLE && o->format != f) {
        complain(_("only one of --json, --csv and --excel may be given"));
        return CTL_EXIT_USAGE;
    }
    o->format = f;
    return CTL_CONTINUE;
}

/* Global options stop at COMMAND ('+'): everything from there on is the
 * daemon's to interpret, so "projects --county 涧西区" passes through. */
static int
parse_options(int argc, char **argv, struct ctl_opts *o)
{
    static const struct option longopts[] = {
        { "socket", required_argument, NULL, 's' },
        { "timeout", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "csv", no_argument, NULL, 'c' },
        { "excel", no_argument, NULL, 'x' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc = CTL_CONTINUE;

    o->socket = getenv("KEYPROJ_SOCKET");
    if (o->socket == NULL || o->socket[0] == '\0')
        o->socket = DEFAULT_SOCKET;
    o->format = CTL_TABLE;
    o->timeout = DEFAULT_TIMEOUT;
    opterr = 0;
    while (rc == CTL_CONTINUE
           && (c = getopt_long(argc, argv, "+s:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o->socket = optarg; break;
        case 't': rc = parse_timeout(optarg, &o->timeout); break;
        case 'j': rc = set_format(o, CTL_JSON); break;
        case 'c': rc = set_format(o, CTL_CSV); break;
        case 'x': rc = set_format(o, CTL_EXCEL); break;
        case 'h': usage(stdout); return CTL_EXIT_OK;
        default:
            if (optopt != 0 && strchr("st", optopt) != NULL)
                complain(_("option -%c needs a value"), optopt);
            else if (optopt != 0)
                complain(_("unknown option '-%c'"), optopt);
            else
                complain(_("unknown option '%s'"), argv[optind - 1]);
            rc = CTL_EXIT_USAGE;
            break;
        }
    }
    if (rc != CTL_CONTINUE)
        return rc;
    if (optind >= argc) {
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    o->argc = argc - optind;
    o->argv = argv + optind;
    return CTL_CONTINUE;
}

/* ---- the request ---------------------------------------------------------- */

static int
body_too_large(const char *name)
{
    complain(_("%s is larger than 256 MiB, the most one import takes; split it "
             "into smaller files"), name);
    return CTL_EXIT_FAILED;
}

/* Reads a whole file (or standard input for "-") into body, at most
 * BODY_MAX bytes, so a wrong path fails here and not in the daemon. */
static int
read_body(const char *path, struct buf *body)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? _("standard input") : path;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int rc = CTL_CONTINUE;

    if (fd < 0) {
        complain(_("cannot open %s: %s"), path, strerror(errno));
        return CTL_EXIT_FAILED;
    }
    /* Without fstat (never seen) read() still bounds and reports. */
    bool known = fstat(fd, &st) == 0;
    if (known && S_ISDIR(st.st_mode)) {
        complain(_("%s is a directory, not a file to import"), name);
        rc = CTL_EXIT_FAILED;
    } else if (known && S_ISREG(st.st_mode)) {
        if ((uintmax_t)st.st_size > BODY_MAX)
            rc = body_too_large(name);
        else
            buf_reserve(body, (size_t)st.st_size);
    }
    while (rc == CTL_CONTINUE) {
        buf_reserve(body, IO_CHUNK);
        ssize_t n = read(fd, body->data + body->len, IO_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            complain(_("cannot read %s: %s"), name, strerror(errno));
            rc = CTL_EXIT_FAILED;
        } else if (n == 0) {
            break;
        } else if ((body->len += (size_t)n) > BODY_MAX) {
            rc = body_too_large(name);
        }
        body->data[body->len] = '\0';
    }
    if (!is_stdin)
        close(fd);
    return rc;
}

static const struct body_cmd *
find_body_cmd(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(body_cmds); i++)
        if (strcmp(body_cmds[i].name, name) == 0)
            return &body_cmds[i];
    return NULL;
}

/* Refuses arguments the daemon's tokenizer would refuse anyway, with a hint
 * a person can act on (a GBK terminal sends GBK bytes). */
static int
check_arg(const char *arg)
{
    if (!utf8_valid(arg, strlen(arg), NULL)) {
        struct buf shown;
        buf_init(&shown);
        ctl_put_visible(&shown, arg, strlen(arg), false);
        complain(_("argument '%s' is not valid UTF-8 (is the terminal set "
                 "to GBK?)"), shown.data);
        buf_free(&shown);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(arg, "--bytes") == 0 || str_startswith(arg, "--bytes=")) {
        complain(_("--bytes is added by keyprojctl itself for file bodies"));
        return CTL_EXIT_USAGE;
    }
    return CTL_CONTINUE;
}

static bool
takes_value(const struct body_cmd *bc, const char *arg)
{
    for (const char *const *o = bc->value_opts; o && *o; o++)
        if (strcmp(arg, *o) == 0)
            return true;
    return false;
}

/* Finds the file argument of a body-carrying command: its index in argv,
 * or a usage error when there is none. */
static int
body_path(const struct body_cmd *bc, int argc, char **argv, int *file_arg)
{
    for (int i = bc->first_arg; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-") == 0 || a[0] != '-') {
            *file_arg = i;
            return CTL_CONTINUE;
        }
        if (takes_value(bc, a))
            i++;
    }
    complain(_("usage: keyprojctl %s"), bc->usage);
    return CTL_EXIT_USAGE;
}

/* Quotes every argument so the daemon's tokenizer gives it back, drops a
 * body command's file argument and says "--bytes N" instead. */
static int
build_request(int argc, char **argv, struct request *req)
{
    const struct body_cmd *bc = find_body_cmd(argv[0]);
    const char *path = NULL;
    int file_arg = -1;
    int rc = CTL_CONTINUE;

    if (bc != NULL && (rc = body_path(bc, argc, argv, &file_arg)) == CTL_CONTINUE)
        path = argv[file_arg];
    /* The file's path stays here, so it may be in any encoding. */
    for (int i = 0; i < argc && rc == CTL_CONTINUE; i++)
        if (i != file_arg)
            rc = check_arg(argv[i]);
    if (rc == CTL_CONTINUE && path != NULL)
        rc = read_body(path, &req->body);
    if (rc != CTL_CONTINUE)
        return rc;
    for (int i = 0; i < argc; i++) {
        if (i == file_arg)
            continue;
        if (req->line.len > 0)
            buf_putc(&req->line, ' ');
        token_quote(&req->line, argv[i]);
    }
    if (path != NULL)
        buf_printf(&req->line, " --bytes %zu", req->body.len);
    /* The line is the frame: a raw line break inside would split it. */
    if (memchr(req->line.data, '\n', req->line.len) != NULL
        || memchr(req->line.data, '\r', req->line.len) != NULL) {
        complain(_("an argument holds a line break that cannot be sent"));
        return CTL_EXIT_USAGE;
    }
    buf_putc(&req->line, '\n');
    return CTL_CONTINUE;
}

/* ---- the exchange ------------------------------------------------------- */

struct deadline {
    bool forever;
    struct timespec at;         /* CLOCK_MONOTONIC */
};

static void
deadline_start(struct deadline *d, long seconds)
{
    d->forever = seconds == 0;
    clock_gettime(CLOCK_MONOTONIC, &d->at);
    d->at.tv_sec += seconds;
}

/* Milliseconds left for poll(): -1 when there is no limit, 0 when past. */
static int
deadline_ms(const struct deadline *d)
{
    struct timespec now;
    if (d->forever)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(d->at.tv_sec - now.tv_sec) * 1000
                   + (d->at.tv_nsec - now.tv_nsec) / 1000000;
    if (ms <= 0)
        return 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static const char *
connect_hint(int err)
{
    switch (err) {
    case ENOENT:
    case ECONNREFUSED:
        return _(" (is keyprojd running? -s or $KEYPROJ_SOCKET name another "
                 "socket)");
    case EACCES:
    case EPERM:
        return _(" (are you in the group that may use the control socket?)");
    default:
        return "";
    }
}

/* Connects without blocking; a full listen backlog (EAGAIN on Linux) is
 * retried until the deadline, so -t bounds the wait for a busy daemon too. */
static int
connect_socket(const char *path, const struct deadline *dl, int *fdp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    int fd, ms;

    if (len >= sizeof sa.sun_path) {
        complain(_("socket path is too long (at most %zu bytes): %s"),
                 sizeof sa.sun_path - 1, path);
        return CTL_EXIT_UNREACHABLE;
    }
    memcpy(sa.sun_path, path, len + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        complain(_("cannot create a socket: %s"), strerror(errno));
        return CTL_EXIT_UNREACHABLE;
    }
    for (;;) {
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0
            || errno == EISCONN) {
            *fdp = fd;
            return CTL_CONTINUE;
        }
        if (errno != EINTR && errno != EINPROGRESS && errno != EALREADY
            && errno != EAGAIN) {
            complain(_("cannot connect to %s: %s%s"), path, strerror(errno),
                     connect_hint(errno));
            break;
        }
        if ((ms = deadline_ms(dl)) == 0) {
            complain(_("timed out connecting to %s (the daemon is busy or "
                     "stuck)"), path);
            break;
        }
        poll(NULL, 0, ms < 0 || ms > 10 ? 10 : ms);
    }
    close(fd);
    return CTL_EXIT_UNREACHABLE;
}

/* One request out, one answer line in, on a non-blocking socket. */
struct exchange {
    int fd;
    const char *out[2];         /* the request line, then the body */
    size_t outlen[2];
    size_t part, off;           /* what is being sent */
    size_t sent, total;
    bool sending;
    int send_errno;             /* why sending stopped early, or 0 */
    struct buf answer;
    size_t scanned;             /* answer bytes known to hold no newline */
    bool complete, eof;
};

/* Moves past the parts already sent; nothing left means sending is done. */
static void
skip_sent(struct exchange *x)
{
    while (x->part < 2 && x->off == x->outlen[x->part]) {
        x->part++;
        x->off = 0;
    }
    if (x->part == 2)
        x->sending = false;
}

static void
exchange_init(struct exchange *x, int fd, const struct request *req)
{
    memset(x, 0, sizeof *x);
    x->fd = fd;
    x->out[0] = req->line.data;
    x->outlen[0] = req->line.len;
    x->out[1] = req->body.data;
    x->outlen[1] = req->body.len;
    x->total = req->line.len + req->body.len;
    x->sending = true;
    skip_sent(x);
    buf_init(&x->answer);
}

/* Sends what the socket takes now. A daemon that hangs up early may have
 * answered already (too large, denied): stop sending and read on. */
static void
send_some(struct exchange *x)
{
    ssize_t n = send(x->fd, x->out[x->part] + x->off,
                     x->outlen[x->part] - x->off, MSG_NOSIGNAL);
    if (n >= 0) {
        x->off += (size_t)n;
        x->sent += (size_t)n;
        skip_sent(x);
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        x->send_errno = errno;
        x->sending = false;
    }
}

/* Reads what has arrived; stops at the first newline (the answer's end). */
static int
receive_some(struct exchange *x)
{
    buf_reserve(&x->answer, IO_CHUNK);
    ssize_t n = recv(x->fd, x->answer.data + x->answer.len, IO_CHUNK, 0);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return CTL_CONTINUE;
        if (errno != ECONNRESET && errno != EPIPE) {
            complain(_("cannot read the answer: %s"), strerror(errno));
            return CTL_EXIT_UNREACHABLE;
        }
        n = 0;                  /* a reset is a hang-up */
    }
    if (n == 0) {
        x->eof = true;
        return CTL_CONTINUE;
    }
    x->answer.len += (size_t)n;
    x->answer.data[x->answer.len] = '\0';
    char *nl = memchr(x->answer.data + x->scanned, '\n',
                      x->answer.len - x->scanned);
    x->scanned = x->answer.len;
    if (nl != NULL) {
        x->answer.len = (size_t)(nl - x->answer.data);
        x->answer.data[x->answer.len] = '\0';
        x->complete = true;
    } else if (x->answer.len > ANSWER_MAX) {
        complain(_("the answer is larger than 1 GiB without an end of line; "
                 "giving up"));
        return CTL_EXIT_UNREACHABLE;
    }
    return CTL_CONTINUE;
}

static void
report_hangup(const struct exchange *x)
{
    if (x->answer.len > 0)
        complain(_("the connection closed in the middle of the answer "
                 "(%zu bytes, no end of line)"), x->answer.len);
    else if (x->send_errno != 0)
        complain(_("keyprojd closed the connection while the request was sent "
                 "(%zu of %zu bytes): %s"), x->sent, x->total,
                 strerror(x->send_errno));
    else
        complain(_("keyprojd closed the connection without answering"));
}

static void
report_timeout(const struct exchange *x, long seconds)
{
    if (x->sending)
        complain(_("timed out after %ld s sending the request (%zu of %zu "
                 "bytes); -t sets the limit"), seconds, x->sent, x->total);
    else
        complain(_("no answer from keyprojd within %ld s; -t sets the limit"),
                 seconds);
}

/* Sends the request and waits for the answer line, all within the deadline.
 * On success the answer (without its newline) is left in x->answer. */
static int
run_exchange(struct exchange *x, const struct deadline *dl, long seconds)
{
    int rc = CTL_CONTINUE;

    while (rc == CTL_CONTINUE && !x->complete) {
        struct pollfd p = { .fd = x->fd, .events = POLLIN };
        if (x->sending)
            p.events |= POLLOUT;
        int ms = deadline_ms(dl);
        int n = ms == 0 ? 0 : poll(&p, 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            complain(_("poll: %s"), strerror(errno));
            return CTL_EXIT_UNREACHABLE;
        }
        if (n == 0) {
            report_timeout(x, seconds);
            return CTL_EXIT_UNREACHABLE;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            rc = receive_some(x);
        if (rc == CTL_CONTINUE && x->eof) {
            report_hangup(x);
            return CTL_EXIT_UNREACHABLE;
        }
        if (rc == CTL_CONTINUE && x->sending && (p.revents & POLLOUT))
            send_some(x);
    }
    return rc;
}

/* ---- the answer ----------------------------------------------------------- */

/* Writes all of data to fd. A reader that went away (keyprojctl … | head)
 * is not worth a message. */
static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno != EPIPE && fd != STDERR_FILENO)
                complain(_("cannot write the output: %s"), strerror(errno));
            return CTL_EXIT_FAILED;
        }
        data += n;
        len -= (size_t)n;
    }
    return CTL_CONTINUE;
}

/* A workbook (export --xlsx): {"file_base64": "…"} and nothing else. */
static const json_t *
base64_file_of(const json_t *data)
{
    const json_t *f = json_object_get(data, "file_base64");
    return json_object_size(data) == 1 && json_is_string(f) ? f : NULL;
}

/* Decodes standard base64 into out; false on anything else. */
static bool
base64_decode(const char *in, size_t len, struct buf *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    while (len > 0 && in[len - 1] == '=')
        len--;
    buf_reserve(out, len / 4 * 3 + 3);
    for (size_t i = 0; i < len; i++) {
        const char *p = in[i] ? strchr(alphabet, in[i]) : NULL;
        if (p == NULL)
            return false;
        acc = (acc << 6) | (uint32_t)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out->data[out->len] = '\0';
    return true;
}

/* Writes a workbook's bytes to standard output, never to a terminal. */
static int
write_base64_file(const json_t *file)
{
    struct buf bytes;
    int rc = CTL_EXIT_OK;
    if (isatty(STDOUT_FILENO)) {
        complain("the answer is an Excel workbook; send it to a file, e.g. keyprojctl export projects --xlsx "
                 "> 台账.xlsx, keyprojctl bulletin > 周报.xlsx");
        return CTL_EXIT_FAILED;
    }
    buf_init(&bytes);
    if (!base64_decode(json_string_value(file), json_string_length(file), &bytes)) {
        complain("unreadable answer from keyprojd: the workbook is not base64");
        rc = CTL_EXIT_UNREACHABLE;
    } else if (write_all(STDOUT_FILENO, bytes.data, bytes.len) != CTL_CONTINUE) {
        rc = CTL_EXIT_FAILED;
    }
    buf_free(&bytes);
    return rc;
}

/* "usage" and "unknown_command" are the caller's mistake, like a local
 * usage error; every other refusal is a failed command. */
static int
exit_for_error(const json_t *error)
{
    const char *code = json_string_value(json_object_get(error, "code"));
    if (str_eq(code, "usage") || str_eq(code, "unknown_command"))
        return CTL_EXIT_USAGE;
    return CTL_EXIT_FAILED;
}

/* Why a parsed answer breaks the protocol, or NULL when it does not. */
static const char *
answer_problem(const json_t *root)
{
    const json_t *ok = json_object_get(root, "ok");
    if (!json_is_object(root))
        return _("it is not a JSON object");
    if (!json_is_boolean(ok))
        return _("it has no \"ok\": true or false");
    if (json_is_false(ok) && !json_is_object(json_object_get(root, "error")))
        return _("\"ok\" is false but there is no \"error\" object");
    return NULL;
}

/* Renders {"ok":true,"data":…} or {"ok":false,"error":{…}}; anything else
 * means the other end is not speaking the protocol. */
static int
show_answer(const struct buf *answer, enum ctl_format f, const struct ctl_lang *lang)
{
    json_error_t jerr;
    json_t *root = json_loadb(answer->data, answer->len, 0, &jerr);
    const json_t *error = json_object_get(root, "error");
    const char *problem = root != NULL ? answer_problem(root) : NULL;
    struct buf out, err;
    bool file_shown = false;
    int rc;

    buf_init(&out);
    buf_init(&err);
    if (root == NULL || problem != NULL) {
        buf_puts(&err, "keyprojctl: ");
        buf_puts(&err, _("unreadable answer from keyprojd: "));
        if (problem != NULL)
            buf_puts(&err, problem);
        else
            ctl_put_visible(&err, jerr.text, strlen(jerr.text), false);
        buf_putc(&err, '\n');
        rc = CTL_EXIT_UNREACHABLE;
    } else if (f != CTL_JSON && base64_file_of(json_object_get(root, "data")) != NULL) {
        rc = write_base64_file(base64_file_of(json_object_get(root, "data")));
    } else if (json_is_true(json_object_get(root, "ok"))) {
        const json_t *data = json_object_get(root, "data");
        /* A file (export) goes out byte for byte, but never raw to a
         * terminal, which its control characters could drive. */
        file_shown = f != CTL_JSON && ctl_render_is_file(data) && isatty(STDOUT_FILENO);
        if (file_shown)
            ctl_render_file_visible(&out, data);
        else
            ctl_render_data(&out, data, f, lang);
        rc = CTL_EXIT_OK;
    } else {
        ctl_render_error(&out, &err, error, f, lang);
        rc = exit_for_error(error);
    }
    /* Whatever came from the daemon in any format (a project name with
     * ESC or OSC in it), a terminal gets it escaped; a pipe byte for byte. */
    if (out.len > 0 && !file_shown && isatty(STDOUT_FILENO)) {
        struct buf safe;
        buf_init(&safe);
        ctl_render_for_terminal(&safe, out.data, out.len, f);
        buf_free(&out);
        out = safe;
    }
    if (write_all(STDOUT_FILENO, out.data, out.len) != CTL_CONTINUE
        && rc == CTL_EXIT_OK)
        rc = CTL_EXIT_FAILED;
    write_all(STDERR_FILENO, err.data, err.len);
    buf_free(&out);
    buf_free(&err);
    json_decref(root);
    return rc;
}

/* ---- main ------------------------------------------------------------------ */

static int
talk(const struct ctl_opts *o, const struct request *req)
{
    struct deadline dl;
    struct exchange x;
    int fd, rc;

    /* The deadline starts now: reading a file from a slow pipe is not the
     * daemon's time. */
    deadline_start(&dl, o->timeout);
    rc = connect_socket(o->socket, &dl, &fd);
    if (rc != CTL_CONTINUE)
        return rc;
    exchange_init(&x, fd, req);
    rc = run_exchange(&x, &dl, o->timeout);
    close(fd);
    if (rc == CTL_CONTINUE) {
        struct ctl_lang lang;
        ctl_lang_for(&lang, o->argv[0]);
        rc = show_answer(&x.answer, o->format, &lang);
    }
    buf_free(&x.answer);
    return rc;
}

int
main(int argc, char **argv)
{
    struct ctl_opts o;
    struct request req;
    int rc;

    ctl_lang_setup();
    /* A closed socket must be an error we report, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    rc = parse_options(argc, argv, &o);
    if (rc != CTL_CONTINUE)
        return rc;
    buf_init(&req.line);
    buf_init(&req.body);
    rc = build_request(o.argc, o.argv, &req);
    if (rc == CTL_CONTINUE)
        rc = talk(&o, &req);
    buf_free(&req.line);
    buf_free(&req.body);
    return rc;
}
