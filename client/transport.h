/*
 * transport.h - the client side of the daemon's socket, shared by liblogd
 * and logctl (internal, not installed).
 *
 * One AF_UNIX SOCK_DGRAM socket, connect()ed to the daemon's path (cheapest
 * per send).  A send that finds the daemon gone or restarted reconnects by
 * path once and retries once.  No locks: concurrent sends and reconnects on
 * the same datagram socket are safe in the kernel.  Never raises SIGPIPE.
 */
#ifndef LOGD_TRANSPORT_H
#define LOGD_TRANSPORT_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#define TRANSPORT_DEFAULT_PATH	"/run/logd/socket"

struct transport {
	int			fd;
	socklen_t		addr_len;
	struct sockaddr_un	addr;
	/*
	 * 0, or a pid to send as (SCM_CREDENTIALS: the daemon sees this pid).  The
	 * kernel allows another pid than one's own only with CAP_SYS_ADMIN:
	 * refused once (EPERM), it is set to 0 and the send goes out as ours.  A
	 * pid that is gone (ESRCH) sends as ours too.  Set it only where one
	 * thread sends (logctl): liblogd leaves it 0.
	 */
	pid_t			as_pid;
};

/*
 * The path from $LOGD_SOCKET, else TRANSPORT_DEFAULT_PATH; a socket connected
 * to it if the daemon is there (if not, sends try again).  0 or -errno
 * (-ENAMETOOLONG for a path that does not fit, or the socket(2) error).
 */
int		transport_open(struct transport *t);
void		transport_close(struct transport *t);

/* The socket path in use. */
const char     *transport_path(const struct transport *t);

/* Sends one datagram.  nonblock: fail with -EAGAIN instead of waiting.  0 or -errno. */
int		transport_send(struct transport *t, const struct iovec *iov, int iovcnt,
		    int nonblock);

/* As transport_send(), waiting at most timeout_ms for room in the socket.  0 or -errno. */
int		transport_send_within(struct transport *t, const struct iovec *iov, int iovcnt,
		    int timeout_ms);

#endif
