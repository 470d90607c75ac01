/*
 * bare.c - the "bare receiver": the ceiling logd's throughput is measured against.
 *
 *   bare SOCKET_PATH OUTPUT_FILE
 *   bare --per-stream SOCKET_PATH OUTPUT_DIR
 *   bare --per-ident SOCKET_PATH OUTPUT_DIR
 *
 * Receives on an AF_UNIX datagram socket set up as logd's is (SO_PASSCRED, an
 * 8 MiB receive buffer, recvmmsg into 64 slots with credentials) and appends
 * every payload undecoded, one line per datagram, with one writev per
 * recvmmsg.  Whatever logd does beyond this (decoding, streams, a writer
 * thread, formatting) is what the comparison measures.
 *
 * With --per-stream, each datagram goes to OUTPUT_DIR/<its first record's
 * stream name> instead, with one writev per stream per recvmmsg: the least
 * a receiver that keeps a file per stream, as logd does, must write.
 *
 * The plain mode never looks inside a datagram, so it receives syslog text
 * (logd's --syslog-socket load) as well as logd's protocol.  --per-ident is
 * --per-stream for syslog text: the file is the datagram's ident, found the
 * least expensive way (after "<PRI>", an RFC 3164 "Mmm dd hh:mm:ss "
 * timestamp if there is one, up to '[', ':' or ' '), "syslog" if it is empty.
 *
 * Prints "bare: ready" on stderr once bound.  On SIGTERM or SIGINT it stops
 * reading new senders, drains what is queued, syncs the file, removes the
 * socket and prints "bare: received=N bytes=B".  Exit 0, or 1 on an error.
 * SIGUSR1 prints "bare: SIGUSR1: received=N" (what it has written so far).
 * Single-threaded; the signals are read from a signalfd, so no handler runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"

#define BARE_SLOTS	64		/* as logd's INGEST_SLOTS */
#define BARE_DGRAM	65536		/* as PROTO_MAX_DGRAM: no datagram is cut */
#define BARE_RCVBUF	(8 * 1024 * 1024)	/* as logd's INGEST_RCVBUF */
#define BARE_CMSG_SPACE	CMSG_SPACE(sizeof(struct ucred))
#define BARE_FILES	(1 << 16)	/* --per-stream: open addressing, at most half full */

/* --per-stream: a stream's file. */
struct bare_file {
	char	name[PROTO_MAX_NAME + 1];	/* "" for a free slot */
	int	fd;
};

struct bare {
	int			 fd;		/* the socket */
	int			 out;		/* the output file, or with --per-stream its directory */
	struct bare_file	*files;		/* --per-stream: BARE_FILES of them, else NULL */
	uint32_t		 nfiles;
	int			 idents;	/* --per-ident: files by syslog ident */
	struct mmsghdr		 msgs[BARE_SLOTS];
	struct iovec		 iov[BARE_SLOTS];
	struct iovec		 wiov[2 * BARE_SLOTS];	/* payload, "\n", payload, ... */
	uint8_t			*bufs;		/* BARE_SLOTS * BARE_DGRAM, allocated once */
	uint8_t			*cmsgs;		/* BARE_SLOTS * BARE_CMSG_SPACE */
	uint64_t		 received;
	uint64_t		 bytes;
};

static char	bare_nl[1] = { '\n' };

/* Binds the socket at path, replacing a stale one.  0 or -errno. */
static int
bare_bind(const char *path)
{
	struct sockaddr_un	sun;
	size_t			len = strlen(path);
	int			fd, one = 1, rcvbuf = BARE_RCVBUF, rc;

	if (len >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, len + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* SO_RCVBUFFORCE passes rmem_max when we may; otherwise take what is allowed. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
fail:
	close(fd);
	return rc;
}

/* Writes all of iov, resuming after a short write.  0 or -errno. */
static int
bare_writev_all(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t	n;

	while (iovcnt > 0) {
		if ((n = writev(fd, iov, iovcnt)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* --per-stream: the file of the stream datagram buf[0..len) is for.  fd or -errno. */
static int
bare_file(struct bare *b, const uint8_t *buf, size_t len)
{
	struct proto_record	 rec;
	struct bare_file	*f;
	size_t			 off = PROTO_HDR_SIZE;
	uint32_t		 h = 2166136261u, i;

	if (b->idents) {
		/* "<PRI>", then "Mmm dd hh:mm:ss " (RFC 3164, as syslog(3) writes it) */
		for (off = 0; off < len && buf[off] != '>'; off++)
			;
		off++;
		if (len > off + 16 && buf[off + 3] == ' ' && buf[off + 6] == ' ' &&
		    buf[off + 9] == ':' && buf[off + 12] == ':' && buf[off + 15] == ' ')
			off += 16;
		for (i = 0; off + i < len && i < PROTO_MAX_NAME && buf[off + i] != '[' &&
		    buf[off + i] != ':' && buf[off + i] != ' ' && buf[off + i] != '/'; i++)
			;
		rec.name = i > 0 ? (const char *)buf + off : "syslog";
		rec.name_len = i > 0 ? i : 6;
	} else if (len < PROTO_HDR_SIZE || proto_decode(buf, len, &off, &rec) < 0) {
		return -EBADMSG;
	}
	for (i = 0; i < rec.name_len; i++)
		h = (h ^ (uint8_t)rec.name[i]) * 16777619u;
	for (i = h & (BARE_FILES - 1);; i = (i + 1) & (BARE_FILES - 1)) {
		f = &b->files[i];
		if (f->name[0] == '\0')
			break;
		if (strlen(f->name) == rec.name_len && memcmp(f->name, rec.name, rec.name_len) == 0)
			return f->fd;
	}
	if (b->nfiles >= BARE_FILES / 2)
		return -ENFILE;
	memcpy(f->name, rec.name, rec.name_len);
	f->name[rec.name_len] = '\0';
	if ((f->fd = openat(b->out, f->name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) < 0) {
		f->name[0] = '\0';
		return -errno;
	}
	b->nfiles++;
	return f->fd;
}

/* --per-stream: writes datagrams 0..n-1, one writev per stream.  0 or -errno. */
static int
bare_write_streams(struct bare *b, int n)
{
	int	fds[BARE_SLOTS], i, j, w, rc;

	for (i = 0; i < n; i++)
		if ((fds[i] = bare_file(b, b->bufs + (size_t)i * BARE_DGRAM,
		    b->msgs[i].msg_len)) < 0)
			return fds[i];
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;	/* written with an earlier one of its stream */
		for (w = 0, j = i; j < n; j++) {
			if (fds[j] != fds[i])
				continue;
			b->wiov[w].iov_base = b->bufs + (size_t)j * BARE_DGRAM;
			b->wiov[w++].iov_len = b->msgs[j].msg_len;
			b->wiov[w].iov_base = bare_nl;
			b->wiov[w++].iov_len = sizeof(bare_nl);
			if (j > i)
				fds[j] = -1;
		}
		if ((rc = bare_writev_all(fds[i], b->wiov, w)) < 0)
			return rc;
	}
	return 0;
}

/*
 * One recvmmsg and one writev.  Sets *more to 0 once the queue is empty
 * (EAGAIN) or a 0-length datagram without credentials says the socket is
 * shut.  0 or -errno.
 */
static int
bare_read(struct bare *b, int *more)
{
	int	i, n, w = 0;

	*more = 1;
	for (i = 0; i < BARE_SLOTS; i++) {
		/* The kernel overwrites both lengths; reset them for every call. */
		b->iov[i].iov_len = BARE_DGRAM;
		b->msgs[i].msg_hdr.msg_controllen = BARE_CMSG_SPACE;
		b->msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(b->fd, b->msgs, BARE_SLOTS, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			*more = 0;
			return 0;
		}
		return errno == EINTR ? 0 : -errno;
	}
	for (i = 0; i < n; i++) {
		if (b->msgs[i].msg_len == 0 && b->msgs[i].msg_hdr.msg_controllen == 0) {
			*more = 0;
			break;
		}
		b->wiov[w].iov_base = b->bufs + (size_t)i * BARE_DGRAM;
		b->wiov[w++].iov_len = b->msgs[i].msg_len;
		b->wiov[w].iov_base = bare_nl;
		b->wiov[w++].iov_len = sizeof(bare_nl);
		b->received++;
		b->bytes += b->msgs[i].msg_len;
	}
	if (b->files != NULL)
		return bare_write_streams(b, w / 2);
	return w > 0 ? bare_writev_all(b->out, b->wiov, w) : 0;
}

/* Blocks SIGTERM and SIGINT and returns a signalfd that reads them, or -errno. */
static int
bare_signals(void)
{
	sigset_t	set;
	int		fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	if ((fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return -errno;
	return fd;
}

int
main(int argc, char *argv[])
{
	struct bare		 b;
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[2];
	const char		*what;
	int			 sfd = -1, i, more, rc, status = 1;

	memset(&b, 0, sizeof(b));
	b.fd = b.out = -1;
	if (argc == 4 && (strcmp(argv[1], "--per-stream") == 0 ||
	    strcmp(argv[1], "--per-ident") == 0)) {
		b.idents = strcmp(argv[1], "--per-ident") == 0;
		if ((b.files = calloc(BARE_FILES, sizeof(*b.files))) == NULL) {
			fprintf(stderr, "bare: out of memory for the file table\n");
			return 1;
		}
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bare [--per-stream | --per-ident] SOCKET_PATH OUTPUT\n");
		return 1;
	}
	b.bufs = malloc((size_t)BARE_SLOTS * BARE_DGRAM);
	b.cmsgs = malloc((size_t)BARE_SLOTS * BARE_CMSG_SPACE);
	if (b.bufs == NULL || b.cmsgs == NULL) {
		fprintf(stderr, "bare: out of memory for %d receive slots\n", BARE_SLOTS);
		goto out;
	}
	for (i = 0; i < BARE_SLOTS; i++) {
		b.iov[i].iov_base = b.bufs + (size_t)i * BARE_DGRAM;
		b.msgs[i].msg_hdr.msg_iov = &b.iov[i];
		b.msgs[i].msg_hdr.msg_iovlen = 1;
		b.msgs[i].msg_hdr.msg_control = b.cmsgs + (size_t)i * BARE_CMSG_SPACE;
	}
	if ((sfd = bare_signals()) < 0) {
		fprintf(stderr, "bare: cannot set up signalfd: %s\n", strerror(-sfd));
		goto out;
	}
	if (b.files != NULL && mkdir(argv[2], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "bare: cannot create %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	if ((b.out = b.files != NULL ? open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
	    open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "bare: cannot open %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	if ((b.fd = bare_bind(argv[1])) < 0) {
		fprintf(stderr, "bare: cannot bind %s: %s\n", argv[1], strerror(-b.fd));
		goto out;
	}
	fprintf(stderr, "bare: ready\n");

	pfd[0].fd = b.fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			what = "poll";
			rc = -errno;
			goto fail;
		}
		if (pfd[1].revents != 0) {
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1) {
				fprintf(stderr, "bare: SIGUSR1: received=%llu\n",
				    (unsigned long long)b.received);
				continue;
			}
			break;
		}
		/* One batch per wakeup, so a signal is seen even under a steady flood. */
		if ((pfd[0].revents & POLLIN) != 0 && (rc = bare_read(&b, &more)) < 0) {
			what = "receive or write";
			goto fail;
		}
	}

	/* New sends now fail with EPIPE; what is already queued is still ours. */
	if (shutdown(b.fd, SHUT_RD) < 0) {
		what = "shutdown";
		rc = -errno;
		goto fail;
	}
	do {
		if ((rc = bare_read(&b, &more)) < 0) {
			what = "drain";
			goto fail;
		}
	} while (more);
	/* Per stream: one syncfs for all the files, as logd does for many. */
	if ((b.files != NULL ? syncfs(b.out) : fdatasync(b.out)) < 0) {
		what = "sync";
		rc = -errno;
		goto fail;
	}
	if (unlink(argv[1]) < 0) {
		what = "unlink socket";
		rc = -errno;
		goto fail;
	}
	fprintf(stderr, "bare: received=%llu bytes=%llu\n", (unsigned long long)b.received,
	    (unsigned long long)b.bytes);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "bare: %s (%s -> %s): %s; exiting after %llu datagrams\n", what,
	    argv[1], argv[2], strerror(-rc), (unsigned long long)b.received);
out:
	if (b.fd >= 0)
		close(b.fd);
	if (b.out >= 0)
		close(b.out);
	if (sfd >= 0)
		close(sfd);
	for (i = 0; b.files != NULL && i < BARE_FILES; i++)
		if (b.files[i].name[0] != '\0')
			close(b.files[i].fd);
	free(b.files);
	free(b.cmsgs);
	free(b.bufs);
	return status;
}
