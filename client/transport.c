/*
 * transport.c - the client side of the daemon's socket (see transport.h).
 * Any thread; no state changes after transport_open() but the kernel's.
 */
#include "transport.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int
transport_open(struct transport *t)
{
	const char	*path = getenv("LOGD_SOCKET");
	size_t		 len;

	if (path == NULL || *path == '\0')
		path = TRANSPORT_DEFAULT_PATH;
	len = strlen(path);
	memset(t, 0, sizeof(*t));
	if (len >= sizeof(t->addr.sun_path))
		return -ENAMETOOLONG;
	t->addr.sun_family = AF_UNIX;
	memcpy(t->addr.sun_path, path, len + 1);
	t->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	if ((t->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* No daemon yet is fine: the first send connects again. */
	(void)connect(t->fd, (struct sockaddr *)&t->addr, t->addr_len);
	return 0;
}

void
transport_close(struct transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

const char *
transport_path(const struct transport *t)
{
	return t->addr.sun_path;
}

/*
 * sendmsg() as t->as_pid; as ourselves if the kernel will not (see
 * transport.h).  Out of line: liblogd's sends never come here.
 */
__attribute__((noinline)) static int
transport_sendmsg_as(struct transport *t, struct msghdr *mh, int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	}		cm;
	struct ucred	cred = { .pid = t->as_pid, .uid = getuid(), .gid = getgid() };

	memset(&cm, 0, sizeof(cm));
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_CREDENTIALS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(&cm.hdr), &cred, sizeof(cred));
	mh->msg_control = cm.buf;
	mh->msg_controllen = sizeof(cm.buf);
	while (sendmsg(t->fd, mh, flags) < 0) {
		if (errno == EINTR)
			continue;
		if ((errno != EPERM && errno != ESRCH) || mh->msg_controllen == 0)
			return -errno;
		if (errno == EPERM)
			t->as_pid = 0;	/* not allowed: as ourselves from now on */
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
	}
	return 0;
}

static inline int
transport_sendmsg(struct transport *t, const struct iovec *iov, int iovcnt, int flags)
{
	struct msghdr	mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };

	if (t->as_pid > 0)
		return transport_sendmsg_as(t, &mh, flags);
	while (sendmsg(t->fd, &mh, flags) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int
transport_send(struct transport *t, const struct iovec *iov, int iovcnt, int nonblock)
{
	int	flags = MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0);
	int	rc;

	rc = transport_sendmsg(t, iov, iovcnt, flags);
	switch (rc) {
	case -ENOTCONN:		/* never connected: the daemon was not there at open */
	case -EDESTADDRREQ:
	case -ECONNREFUSED:	/* the daemon we were connected to is gone */
	case -ECONNRESET:
		/* A restarted daemon has a new socket at the same path. */
		if (connect(t->fd, (struct sockaddr *)&t->addr, t->addr_len) < 0)
			return -errno;
		rc = transport_sendmsg(t, iov, iovcnt, flags);
		break;
	default:
		break;
	}
	return rc;
}

int
transport_send_within(struct transport *t, const struct iovec *iov, int iovcnt,
    int timeout_ms)
{
	struct pollfd	pfd = { .fd = t->fd, .events = POLLOUT };
	int64_t		deadline = (int64_t)clock_ms(CLOCK_MONOTONIC) + timeout_ms, left;
	int		rc;

	/* A connected datagram socket polls writable when the peer's queue has room. */
	while ((rc = transport_send(t, iov, iovcnt, 1)) == -EAGAIN &&
	    (left = deadline - (int64_t)clock_ms(CLOCK_MONOTONIC)) > 0)
		(void)poll(&pfd, 1, (int)left);
	return rc;
}
