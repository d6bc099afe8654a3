/* peer_uid: the local user behind a loopback TCP peer, from the kernel's
 * socket table (NETLINK_SOCK_DIAG, one exact lookup by the four addresses).
 * It must never block the event loop and never guess: a socket nobody
 * holds, or any answer it cannot read, is "unknown", never a uid. */
#include "ac_config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "peer_uid.h"

struct diag_request {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
};
_Static_assert(sizeof(struct diag_request) <= PEER_UID_REQUEST_SIZE, "PEER_UID_REQUEST_SIZE too small");

bool
peer_on_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in s4;
        memcpy(&s4, sa, sizeof s4);
        return (ntohl(s4.sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 s6;
        memcpy(&s6, sa, sizeof s6);
        return IN6_IS_ADDR_LOOPBACK(&s6.sin6_addr) ||
               (IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr) && s6.sin6_addr.s6_addr[12] == 127);
    }
    return false;
}

size_t
peer_uid_request(const struct sockaddr *local, const struct sockaddr *remote, uint32_t seq, void *buf,
                 size_t len)
{
    int family = local->sa_family;
    if (len < sizeof(struct diag_request) || family != remote->sa_family ||
        (family != AF_INET && family != AF_INET6))
        return 0;
    struct diag_request r;
    memset(&r, 0, sizeof r);
    r.nlh.nlmsg_len = sizeof r;
    r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    r.nlh.nlmsg_flags = NLM_F_REQUEST; /* one socket, not a dump */
    r.nlh.nlmsg_seq = seq;
    r.req.sdiag_family = (uint8_t)family;
    r.req.sdiag_protocol = IPPROTO_TCP;
    r.req.idiag_states = ~0u;
    /* The peer's socket, seen from its side: its source is our remote
     * end, its destination our local one. */
    struct inet_diag_sockid *id = &r.req.id;
    if (family == AF_INET) {
        struct sockaddr_in l, p;
        memcpy(&l, local, sizeof l);
        memcpy(&p, remote, sizeof p);
        id->idiag_sport = p.sin_port;
        id->idiag_dport = l.sin_port;
        memcpy(id->idiag_src, &p.sin_addr, sizeof p.sin_addr);
        memcpy(id->idiag_dst, &l.sin_addr, sizeof l.sin_addr);
    } else {
        /* (Both ::ffff:127.x: the kernel looks them up among the IPv4 sockets.) */
        struct sockaddr_in6 l, p;
        memcpy(&l, local, sizeof l);
        memcpy(&p, remote, sizeof p);
        id->idiag_sport = p.sin6_port;
        id->idiag_dport = l.sin6_port;
        memcpy(id->idiag_src, &p.sin6_addr, sizeof p.sin6_addr);
        memcpy(id->idiag_dst, &l.sin6_addr, sizeof l.sin6_addr);
    }
    id->idiag_cookie[0] = id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    memcpy(buf, &r, sizeof r);
    return sizeof r;
}

int
peer_uid_reply(const void *buf, size_t len, uint32_t seq, uid_t *uid)
{
    struct nlmsghdr h;
    if (len < sizeof h)
        return EBADMSG;
    memcpy(&h, buf, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > len || h.nlmsg_seq != seq)
        return EBADMSG;
    const unsigned char *data = (const unsigned char *)buf + NLMSG_HDRLEN;
    if (h.nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr e;
        if (h.nlmsg_len < NLMSG_LENGTH(sizeof e))
            return EBADMSG;
        memcpy(&e, data, sizeof e);
        /* (0 would be an acknowledgement, which was not asked for.) */
        return e.error < 0 && e.error > -4096 ? -e.error : EBADMSG;
    }
    struct inet_diag_msg m;
    if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY || h.nlmsg_len < NLMSG_LENGTH(sizeof m))
        return EBADMSG;
    memcpy(&m, data, sizeof m);
    /* A socket no process holds any more (closed, in FIN-WAIT or
     * TIME-WAIT) has no inode, and its uid proves nothing: a TIME-WAIT
     * one's reads 0, root. */
    if (m.idiag_inode == 0)
        return ENOENT;
    *uid = (uid_t)m.idiag_uid;
    return 0;
}

int
peer_uid(const struct sockaddr *local, const struct sockaddr *remote, uid_t *uid)
{
    unsigned char req[PEER_UID_REQUEST_SIZE];
    size_t n = peer_uid_request(local, remote, 1, req, sizeof req);
    if (n == 0)
        return EAFNOSUPPORT;
    /* A socket of its own for each lookup: no answer left unread can be
     * taken for the next one's. */
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return errno;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    int r;
    if (sendto(fd, req, n, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        r = errno;
    } else {
        /* The kernel answered within the send: the answer is queued. */
        union {
            struct nlmsghdr h;
            unsigned char b[8192];
        } ans;
        ssize_t got = recv(fd, &ans, sizeof ans, MSG_DONTWAIT);
        r = got < 0 ? errno : peer_uid_reply(&ans, (size_t)got, 1, uid);
    }
    close(fd);
    return r;
}
