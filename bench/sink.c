/* sink: the benchmarks' webhook receiver — the "nginx return 204" of
 * bench/deliver.sh, so that the receiver is never what is measured. One
 * libevent evhttp loop, keep-alive, answers every POST at once (204, or
 * 200 with a tiny JSON body with -s 200), checks nothing, and counts.
 *
 *   GET /_stats   {"requests": N, "connections": N, "first": T, "last": T}
 *                 (T: Unix time of the first and last counted request)
 *   POST /_reset  zeroes the counts
 *
 * Built by bench/deliver.sh (cc, pkg-config libevent); not installed.
 * Prints the port it listens on as the first line of stdout. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

struct sink {
    int status;                     /* 204 or 200 */
    unsigned long long requests;
    unsigned long connections;
    double first, last;
    uint8_t seen_port[65536 / 8];   /* client ports seen since the reset */
};

static double
now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
reset(struct sink *s)
{
    s->requests = 0;
    s->connections = 0;
    s->first = s->last = 0;
    memset(s->seen_port, 0, sizeof s->seen_port);
}

static void
count(struct sink *s, struct evhttp_request *req)
{
    double t = now_real();
    if (s->requests++ == 0)
        s->first = t;
    s->last = t;
    char *addr;
    ev_uint16_t port;
    evhttp_connection_get_peer(evhttp_request_get_connection(req), &addr, &port);
    if (!(s->seen_port[port / 8] & (1u << (port % 8)))) {
        s->seen_port[port / 8] |= (uint8_t)(1u << (port % 8));
        s->connections++;
    }
}

static void
on_request(struct evhttp_request *req, void *arg)
{
    struct sink *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    if (strncmp(uri, "/_stats", 7) == 0) {
        evbuffer_add_printf(out, "{\"requests\": %llu, \"connections\": %lu, \"first\": %.6f, \"last\": %.6f}\n",
                            s->requests, s->connections, s->first, s->last);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        evhttp_send_reply(req, 200, "OK", out);
        return;
    }
    if (strncmp(uri, "/_reset", 7) == 0) {
        reset(s);
        evhttp_send_reply(req, 204, "No Content", NULL);
        return;
    }
    if (cmd != EVHTTP_REQ_POST) {
        evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
        return;
    }
    count(s, req);
    if (s->status == 200) {
        evbuffer_add(out, "{\"ok\":true}", 11);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        evhttp_send_reply(req, 200, "OK", out);
    } else {
        evhttp_send_reply(req, 204, "No Content", NULL);
    }
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
    static struct sink s;
    int port = 0, c;
    s.status = 204;
    while ((c = getopt(argc, argv, "p:s:")) != -1) {
        switch (c) {
        case 'p': port = atoi(optarg); break;
        case 's': s.status = atoi(optarg) == 200 ? 200 : 204; break;
        default:
            fprintf(stderr, "usage: sink [-p PORT] [-s 204|200]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    struct evhttp *http = base ? evhttp_new(base) : NULL;
    if (http == NULL) {
        fprintf(stderr, "sink: cannot set up libevent\n");
        return 1;
    }
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(http, 1 << 20);
    evhttp_set_gencb(http, on_request, &s);
    struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port);
    if (bound == NULL) {
        fprintf(stderr, "sink: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len);
    printf("%d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
    fflush(stdout);
    struct event *term = evsignal_new(base, SIGTERM, on_signal, base);
    struct event *intr = evsignal_new(base, SIGINT, on_signal, base);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(base);
    event_free(term);
    event_free(intr);
    evhttp_free(http);
    event_base_free(base);
    return 0;
}
