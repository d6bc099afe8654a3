/* peer_uid: which local user holds the other end of a TCP connection that
 * comes from this machine, asked of the kernel's socket table
 * (NETLINK_SOCK_DIAG) by the connection's exact addresses. For the HTTP
 * listeners: a local user may bind any 127.x source address it likes, so
 * on the loopback a peer is a uid, not an address. */
#ifndef KEYPROJ_PEER_UID_H
#define KEYPROJ_PEER_UID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Whether sa is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.x.x
 * (an IPv4 peer of a dual-stack socket). */
bool peer_on_loopback(const struct sockaddr *sa);

/* The uid of the process that opened the socket at the other end of the
 * TCP connection whose addresses, as we see them, are local (ours) and
 * remote (the peer's). 0 with *uid set, or an errno value: ENOENT when no
 * socket held open on this machine has those addresses (the peer closed
 * it meanwhile, or it is not local), EAFNOSUPPORT for a family other than
 * IPv4 and IPv6, or why the kernel could not be asked (EPERM under a
 * sandbox that forbids netlink …). Never waits: the kernel answers within
 * the send. */
int peer_uid(const struct sockaddr *local, const struct sockaddr *remote, uid_t *uid);

/* The two halves of peer_uid, pure, for the unit tests. */

/* The netlink request for the peer's socket, numbered seq, into buf
 * (PEER_UID_REQUEST_SIZE bytes at least). Its size, or 0 when the
 * addresses are not both IPv4 or both IPv6. */
#define PEER_UID_REQUEST_SIZE 128
size_t peer_uid_request(const struct sockaddr *local, const struct sockaddr *remote, uint32_t seq, void *buf,
                        size_t len);
/* Reads the kernel's answer to request seq: 0 with *uid set, or an errno
 * value (the kernel's own, ENOENT for a socket nobody holds any more,
 * EBADMSG for an answer that is not one). */
int peer_uid_reply(const void *buf, size_t len, uint32_t seq, uid_t *uid);

#endif
