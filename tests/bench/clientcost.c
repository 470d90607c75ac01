/*
 * clientcost.c - what one logd_send() costs the caller, against a raw send()
 * of a datagram of the same size on the same kind of socket.
 *
 *   clientcost N
 *
 * Binds its own receiver in a temporary directory (a thread drains it, so
 * no daemon is involved), points $LOGD_SOCKET at it, then alternates 5
 * rounds of N logd_send() of a 100-byte message with 5 rounds of N send()
 * and prints the medians:
 *   clientcost: logd_send NNN ns/call, raw send NNN ns/call, ratio X.XX
 *
 * Each path is a noinline function, bench_logd_send() and bench_raw_send(),
 * so callgrind can count just them:
 *   valgrind --tool=callgrind --toggle-collect=bench_logd_send clientcost 10000
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "logd.h"

#define COST_ROUNDS	5
#define COST_MSG	100
#define COST_STREAM	"cost"
/*
 * The bytes liblogd puts on the wire for one such record: the 8-byte datagram
 * header, the 20-byte record head and the stream name; no optional fields,
 * as there is no caller and nothing dropped.  Exact for this record today,
 * only approximate if the protocol changes; the kernel's cost hardly depends
 * on a few bytes either way.
 */
#define COST_WIRE	(8 + 20 + sizeof(COST_STREAM) - 1 + COST_MSG)
#define COST_RCVBUF	(8 * 1024 * 1024)	/* as logd's socket */
#define COST_SLOTS	64
#define COST_SLOT_SIZE	16	/* payloads are discarded: a cut one costs less */

/* GCC could clone a static function under another name; noipa forbids it. */
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define COST_NOINLINE	__attribute__((noinline, noipa))
#endif
#endif
#ifndef COST_NOINLINE
#define COST_NOINLINE	__attribute__((noinline))
#endif

struct cost {
	char		dir[64];
	char		path[96];
	int		rfd;		/* the receiver, drained by the thread */
	int		sfd;		/* the raw sender, connected to path */
	atomic_int	stop;
	pthread_t	thread;
	int		thread_started;
};

/*
 * Receives and discards until stop is set (a datagram from cost_stop() wakes it).
 * Batches of COST_SLOTS with buffers too small for a whole record: the
 * receiver must be as cheap as it can be, since a full queue makes the
 * senders wait for it (net.unix.max_dgram_qlen datagrams, 10 by default).
 */
static void *
cost_drain(void *arg)
{
	struct cost	*c = arg;
	static char	 bufs[COST_SLOTS][COST_SLOT_SIZE];	/* this thread only */
	struct mmsghdr	 msgs[COST_SLOTS];
	struct iovec	 iov[COST_SLOTS];
	int		 i;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < COST_SLOTS; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		/* MSG_WAITFORONE: block for the first, then take what is queued. */
		if (recvmmsg(c->rfd, msgs, COST_SLOTS, MSG_WAITFORONE, NULL) < 0 &&
		    errno != EINTR)
			break;
	}
	return NULL;
}

static COST_NOINLINE int
bench_logd_send(logd_client *lc, const char *msg, size_t len)
{
	return logd_send(lc, LOG_INFO, msg, len);
}

static COST_NOINLINE int
bench_raw_send(int fd, const uint8_t *dgram, size_t len)
{
	/* MSG_NOSIGNAL as liblogd, so both paths ask the kernel for the same thing. */
	return send(fd, dgram, len, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static uint64_t
cost_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cost_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
cost_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cost_cmp);
	return v[n / 2];
}

/* The receiver socket and the raw sender.  0 or -errno, with what failed in *what. */
static int
cost_sockets(struct cost *c, const char **what)
{
	struct sockaddr_un	sun;
	int			rcvbuf = COST_RCVBUF, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->path);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		*what = "socket path";
		return -ENAMETOOLONG;
	}
	*what = "receiver socket";
	if ((c->rfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(c->rfd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	if (setsockopt(c->rfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(c->rfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	*what = "raw sender socket";
	if ((c->sfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c->sfd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	return 0;
}

/* Stops the drain thread: set the flag, then a datagram wakes its recv(). */
static void
cost_stop(struct cost *c)
{
	atomic_store_explicit(&c->stop, 1, memory_order_relaxed);
	(void)send(c->sfd, "", 0, MSG_NOSIGNAL);
	pthread_join(c->thread, NULL);
	c->thread_started = 0;
}

int
main(int argc, char *argv[])
{
	struct cost	 c;
	logd_client	*lc = NULL;
	char		 msg[COST_MSG];
	uint8_t		 dgram[COST_WIRE];
	double		 t_logd[COST_ROUNDS], t_raw[COST_ROUNDS], m_logd, m_raw;
	const char	*what = "";
	uint64_t	 t0;
	long		 n, i, failed = 0;
	int		 r, rc, n2, status = 1;
	char		*end;

	errno = 0;
	if (argc != 2 || (n = strtol(argv[1], &end, 10)) <= 0 || *end != '\0' || errno != 0) {
		fprintf(stderr, "usage: clientcost N (sends per round, e.g. 200000)\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.rfd = c.sfd = -1;
	atomic_init(&c.stop, 0);
	memcpy(c.dir, "/tmp/clientcost.XXXXXX", sizeof("/tmp/clientcost.XXXXXX"));
	if (mkdtemp(c.dir) == NULL) {
		fprintf(stderr, "clientcost: mkdtemp under /tmp: %s\n", strerror(errno));
		c.dir[0] = '\0';
		goto out;
	}
	n2 = snprintf(c.path, sizeof(c.path), "%s/socket", c.dir);
	if (n2 < 0 || (size_t)n2 >= sizeof(c.path)) {
		fprintf(stderr, "clientcost: socket path under %s too long\n", c.dir);
		goto out;
	}
	if ((rc = cost_sockets(&c, &what)) < 0) {
		fprintf(stderr, "clientcost: %s at %s: %s\n", what, c.path, strerror(-rc));
		goto out;
	}
	if ((rc = pthread_create(&c.thread, NULL, cost_drain, &c)) != 0) {
		fprintf(stderr, "clientcost: cannot start the drain thread: %s\n", strerror(rc));
		goto out;
	}
	c.thread_started = 1;
	if (setenv("LOGD_SOCKET", c.path, 1) < 0 || (lc = logd_open(COST_STREAM, 0)) == NULL) {
		fprintf(stderr, "clientcost: logd_open(%s) at %s: %s\n", COST_STREAM, c.path,
		    strerror(errno));
		goto out;
	}
	memset(msg, 'm', sizeof(msg));
	memset(dgram, 'm', sizeof(dgram));

	/* Alternate the two, so drift in the machine's load hits both alike. */
	for (r = 0; r < COST_ROUNDS; r++) {
		t0 = cost_now_ns();
		for (i = 0; i < n; i++)
			failed += bench_logd_send(lc, msg, sizeof(msg)) != 0;
		t_logd[r] = (double)(cost_now_ns() - t0) / (double)n;
		t0 = cost_now_ns();
		for (i = 0; i < n; i++)
			failed += bench_raw_send(c.sfd, dgram, sizeof(dgram)) != 0;
		t_raw[r] = (double)(cost_now_ns() - t0) / (double)n;
	}
	if (failed > 0) {
		fprintf(stderr, "clientcost: %ld sends failed; the timings would be wrong\n",
		    failed);
		goto out;
	}
	m_logd = cost_median(t_logd, COST_ROUNDS);
	m_raw = cost_median(t_raw, COST_ROUNDS);
	printf("clientcost: logd_send %.0f ns/call, raw send %.0f ns/call, ratio %.2f\n",
	    m_logd, m_raw, m_raw > 0 ? m_logd / m_raw : 0.0);
	status = 0;
out:
	logd_close(lc);
	if (c.thread_started)
		cost_stop(&c);
	if (c.sfd >= 0)
		close(c.sfd);
	if (c.rfd >= 0)
		close(c.rfd);
	if (c.path[0] != '\0')
		(void)unlink(c.path);
	if (c.dir[0] != '\0')
		(void)rmdir(c.dir);
	return status;
}
