/* Unit tests for peer_uid.c: which addresses are the loopback; the request
 * names the peer's socket from its own side; an answer that is an error,
 * malformed, or about a socket nobody holds is never read as a uid; and,
 * against the kernel, a connection made here is found to be our own uid
 * (over IPv4, IPv6, and IPv4 to a dual-stack listener; as root, nobody's
 * when nobody made it), and a closed one is not found at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "peer_uid.h"

static struct sockaddr_storage
addr(const char *host, int port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(host, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET6, host, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET, host, &s4->sin_addr), 1);
    }
    return ss;
}

static bool
loopback(const char *host)
{
    struct sockaddr_storage ss = addr(host, 80);
    return peer_on_loopback((struct sockaddr *)&ss);
}

static void
test_loopback(void **state)
{
    (void)state;
    assert_true(loopback("127.0.0.1"));
    assert_true(loopback("127.0.0.2"));
    assert_true(loopback("127.255.255.254"));
    assert_true(loopback("::1"));
    assert_true(loopback("::ffff:127.0.0.3"));
    assert_false(loopback("128.0.0.1"));
    assert_false(loopback("126.255.255.255"));
    assert_false(loopback("10.0.0.1"));
    assert_false(loopback("::2"));
    assert_false(loopback("::"));
    assert_false(loopback("::ffff:10.0.0.1"));
    assert_false(loopback("::127.0.0.1")); /* IPv4-compatible, not mapped */
    assert_false(loopback("fe80::1"));
    struct sockaddr un = { .sa_family = AF_UNIX };
    assert_false(peer_on_loopback(&un));
}

static void
test_request(void **state)
{
    (void)state;
    struct sockaddr_storage local = addr("127.0.0.1", 8080), remote = addr("127.0.0.9", 40000);
    unsigned char buf[PEER_UID_REQUEST_SIZE];
    size_t n = peer_uid_request((struct sockaddr *)&local, (struct sockaddr *)&remote, 7, buf, sizeof buf);
    assert_true(n >= sizeof(struct nlmsghdr) + sizeof(struct inet_diag_req_v2));
    struct nlmsghdr h;
    struct inet_diag_req_v2 r;
    memcpy(&h, buf, sizeof h);
    memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
    assert_int_equal(h.nlmsg_len, n);
    assert_int_equal(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
    assert_int_equal(h.nlmsg_flags, NLM_F_REQUEST); /* one socket: no dump */
    assert_int_equal(h.nlmsg_seq, 7);
    assert_int_equal(r.sdiag_family, AF_INET);
    assert_int_equal(r.sdiag_protocol, IPPROTO_TCP);
    /* The peer's socket: from 127.0.0.9:40000 to 127.0.0.1:8080. */
    assert_int_equal(ntohs(r.id.idiag_sport), 40000);
    assert_int_equal(ntohs(r.id.idiag_dport), 8080);
    char a[INET_ADDRSTRLEN];
    assert_string_equal(inet_ntop(AF_INET, r.id.idiag_src, a, sizeof a), "127.0.0.9");
    assert_string_equal(inet_ntop(AF_INET, r.id.idiag_dst, a, sizeof a), "127.0.0.1");
    assert_int_equal(r.id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
    assert_int_equal(r.id.idiag_cookie[1], INET_DIAG_NOCOOKIE);

    local = addr("::1", 8080);
    remote = addr("::1", 40001);
    n = peer_uid_request((struct sockaddr *)&local, (struct sockaddr *)&remote, 8, buf, sizeof buf);
    memcpy(&r, buf + NLMSG_HDRLEN, sizeof r);
    assert_true(n > 0);
    assert_int_equal(r.sdiag_family, AF_INET6);
    assert_int_equal(ntohs(r.id.idiag_sport), 40001);

    /* Mixed families, another family, a short buffer: no request. */
    remote = addr("127.0.0.1", 1);
    assert_int_equal(
        peer_uid_request((struct sockaddr *)&local, (struct sockaddr *)&remote, 1, buf, sizeof buf), 0);
    struct sockaddr un = { .sa_family = AF_UNIX };
    assert_int_equal(peer_uid_request(&un, &un, 1, buf, sizeof buf), 0);
    local = addr("127.0.0.1", 1);
    assert_int_equal(peer_uid_request((struct sockaddr *)&local, (struct sockaddr *)&remote, 1, buf, 16), 0);
}

/* A kernel answer: a SOCK_DIAG_BY_FAMILY message about a socket with
 * this uid and inode, or (type NLMSG_ERROR) an error. */
static size_t
answer(unsigned char *buf, uint16_t type, uint32_t seq, uint32_t uid, uint32_t inode, int error)
{
    struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_seq = seq };
    size_t body;
    if (type == NLMSG_ERROR) {
        struct nlmsgerr e = { .error = error };
        body = sizeof e;
        memcpy(buf + NLMSG_HDRLEN, &e, body);
    } else {
        struct inet_diag_msg m = {
            .idiag_family = AF_INET, .idiag_state = 1, .idiag_uid = uid, .idiag_inode = inode
        };
        body = sizeof m;
        memcpy(buf + NLMSG_HDRLEN, &m, body);
    }
    h.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
    memcpy(buf, &h, sizeof h);
    return h.nlmsg_len;
}

static void
test_reply(void **state)
{
    (void)state;
    unsigned char buf[256];
    uid_t uid = 12345;
    size_t n = answer(buf, SOCK_DIAG_BY_FAMILY, 3, 65534, 99, 0);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), 0);
    assert_int_equal(uid, 65534);

    uid = 12345;
    /* A socket nobody holds (TIME-WAIT's uid reads 0): not root's. */
    n = answer(buf, SOCK_DIAG_BY_FAMILY, 3, 0, 0, 0);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), ENOENT);
    n = answer(buf, NLMSG_ERROR, 3, 0, 0, -ENOENT);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), ENOENT);
    n = answer(buf, NLMSG_ERROR, 3, 0, 0, -EPERM);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), EPERM);
    /* An acknowledgement, a nonsense error, another request's answer,
     * another type, cut short, a length beyond what came. */
    n = answer(buf, NLMSG_ERROR, 3, 0, 0, 0);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), EBADMSG);
    n = answer(buf, NLMSG_ERROR, 3, 0, 0, -2000000000);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), EBADMSG);
    n = answer(buf, SOCK_DIAG_BY_FAMILY, 4, 65534, 99, 0);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), EBADMSG);
    n = answer(buf, NLMSG_DONE, 3, 65534, 99, 0);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), EBADMSG);
    n = answer(buf, SOCK_DIAG_BY_FAMILY, 3, 65534, 99, 0);
    assert_int_equal(peer_uid_reply(buf, n - 1, 3, &uid), EBADMSG);
    assert_int_equal(peer_uid_reply(buf, 8, 3, &uid), EBADMSG);
    struct nlmsghdr h;
    memcpy(&h, buf, sizeof h);
    h.nlmsg_len = NLMSG_HDRLEN + 4;
    memcpy(buf, &h, sizeof h);
    assert_int_equal(peer_uid_reply(buf, n, 3, &uid), EBADMSG);
    assert_int_equal(uid, 12345); /* never set by a failed answer */
}

/* A listening socket on host, port chosen by the kernel. */
static int
listener(const char *host, struct sockaddr_storage *where)
{
    *where = addr(host, 0);
    int fd = socket(where->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    socklen_t len = sizeof *where;
    if (bind(fd, (struct sockaddr *)where, len) != 0) {
        close(fd);
        return -1; /* (no IPv6 here) */
    }
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)where, &len), 0);
    return fd;
}

/* peer_uid of the connection accepted on lfd, asked as keyprojd asks. */
static int
uid_of_accepted(int lfd, int *afd, uid_t *uid)
{
    *afd = accept(lfd, NULL, NULL);
    assert_true(*afd >= 0);
    struct sockaddr_storage local, remote;
    socklen_t llen = sizeof local, rlen = sizeof remote;
    assert_int_equal(getsockname(*afd, (struct sockaddr *)&local, &llen), 0);
    assert_int_equal(getpeername(*afd, (struct sockaddr *)&remote, &rlen), 0);
    assert_true(peer_on_loopback((struct sockaddr *)&remote));
    return peer_uid((struct sockaddr *)&local, (struct sockaddr *)&remote, uid);
}

/* Whether the kernel can be asked at all here (a sandbox may forbid it). */
static bool
kernel_answers(void)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static void
connects_as_self(const char *host, const char *source)
{
    struct sockaddr_storage where;
    int lfd = listener(host, &where);
    if (lfd < 0)
        return;
    int cfd = socket(where.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (source != NULL) {
        /* A source address of the client's choosing, as anyone may bind. */
        struct sockaddr_storage src = addr(source, 0);
        assert_int_equal(bind(cfd, (struct sockaddr *)&src, sizeof src), 0);
    }
    assert_int_equal(connect(cfd, (struct sockaddr *)&where, sizeof where), 0);
    int afd;
    uid_t uid = 12345;
    assert_int_equal(uid_of_accepted(lfd, &afd, &uid), 0);
    assert_int_equal(uid, geteuid());

    /* Closed by the client: nobody holds its end any more. */
    struct sockaddr_storage local, remote;
    socklen_t llen = sizeof local, rlen = sizeof remote;
    getsockname(afd, (struct sockaddr *)&local, &llen);
    getpeername(afd, (struct sockaddr *)&remote, &rlen);
    close(cfd);
    uid = 12345;
    assert_int_equal(peer_uid((struct sockaddr *)&local, (struct sockaddr *)&remote, &uid), ENOENT);
    assert_int_equal(uid, 12345);
    close(afd);
    close(lfd);
}

static void
test_kernel_self(void **state)
{
    (void)state;
    if (!kernel_answers())
        skip();
    connects_as_self("127.0.0.1", NULL);
    connects_as_self("127.0.0.1", "127.0.0.7");
    connects_as_self("::1", NULL);
    /* Nothing connected: no such socket. */
    struct sockaddr_storage local = addr("127.0.0.1", 1), remote = addr("127.0.0.5", 1);
    uid_t uid;
    assert_int_equal(peer_uid((struct sockaddr *)&local, (struct sockaddr *)&remote, &uid), ENOENT);
}

/* A listener on [::] that takes IPv4 too sees an IPv4 peer as
 * ::ffff:127.x: found all the same. */
static void
test_kernel_v4_mapped(void **state)
{
    (void)state;
    struct sockaddr_storage where;
    int lfd = kernel_answers() ? listener("::", &where) : -1;
    if (lfd < 0)
        skip();
    int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage to = addr("127.0.0.1", ntohs(((struct sockaddr_in6 *)&where)->sin6_port));
    if (connect(cfd, (struct sockaddr *)&to, sizeof(struct sockaddr_in)) != 0) {
        close(cfd);
        close(lfd);
        skip(); /* (an IPv6-only listener: net.ipv6.bindv6only) */
    }
    int afd;
    uid_t uid = 12345;
    assert_int_equal(uid_of_accepted(lfd, &afd, &uid), 0);
    assert_int_equal(uid, geteuid());
    close(cfd);
    close(afd);
    close(lfd);
}

/* As root: a connection made by a process running as nobody (65534) is
 * nobody's, not the uid of whoever accepts it. */
static void
test_kernel_other_user(void **state)
{
    (void)state;
    if (geteuid() != 0 || !kernel_answers())
        skip();
    struct sockaddr_storage where;
    int lfd = listener("127.0.0.1", &where);
    int go[2], done[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(done), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* (Its own ends closed: it ends when the test does, whatever happens.) */
        close(go[0]);
        close(done[1]);
        char c = 0;
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(1);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_storage src = addr("127.0.0.8", 0);
        if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
            connect(fd, (struct sockaddr *)&where, sizeof where) != 0)
            _exit(1);
        if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(go[1]);
    close(done[0]);
    char c;
    assert_int_equal(read(go[0], &c, 1), 1);
    int afd;
    uid_t uid = 12345;
    assert_int_equal(uid_of_accepted(lfd, &afd, &uid), 0);
    assert_int_equal(uid, 65534);
    assert_int_equal(write(done[1], &c, 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(afd);
    close(lfd);
    close(go[0]);
    close(done[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_kernel_self),
        cmocka_unit_test(test_kernel_v4_mapped),
        cmocka_unit_test(test_kernel_other_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
