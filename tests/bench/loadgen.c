/*
 * loadgen.c - load for the benchmarks: drives liblogd exactly as an application would.
 *
 *   loadgen SENDERS COUNT SIZE STREAMS
 *   loadgen --syslog SENDERS COUNT SIZE SOCKET_PATH
 *
 * Forks SENDERS processes.  Each opens STREAMS handles ("b0" .. "b<STREAMS-1>",
 * blocking mode, so nothing is dropped) and sends COUNT records of SIZE
 * printable bytes at LOG_INFO, record i to handle i % STREAMS.  The daemon's
 * socket is $LOGD_SOCKET, as liblogd reads it.
 *
 * With --syslog, each sender instead sends COUNT RFC 3164 datagrams of SIZE
 * bytes in all to SOCKET_PATH (logd's --syslog-socket), as glibc's syslog(3)
 * writes them with LOG_PID to /dev/log: "<14>Mmm dd hh:mm:ss b<N>[pid]: s=N
 * i=I xxx...", no hostname, no trailing newline, one blocking send() each on
 * a connected AF_UNIX datagram socket.  Sender N's ident is "b<N>": one
 * ident, so one logd stream, per sender.  The timestamp is local time, made
 * again whenever the second changes.
 *
 * Prints "loadgen: sent=TOTAL" (records that logd_send() or send() accepted)
 * and exits 0 only if every send of every sender succeeded; a sender's
 * failures are printed on stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logd.h"

#define LOADGEN_NAME	16	/* "b" + up to 10 digits + NUL, with room */

/* Parses a positive integer argument, or returns -1. */
static long
loadgen_arg(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return -1;
	return v;
}

/* A sender's end: *sent gets what went out; says what failed.  The exit status. */
static int
loadgen_result(long id, long count, long failed, uint64_t *sent)
{
	*sent = (uint64_t)(count - failed);
	if (failed == 0)
		return 0;
	fprintf(stderr, "loadgen: sender %ld: %ld of %ld sends failed\n", id, failed, count);
	return 1;
}

/*
 * One sender: opens the handles, sends, closes.  *sent gets the records
 * accepted.  Returns the process's exit status.
 */
static int
loadgen_sender(long id, long count, long size, long streams, uint64_t *sent)
{
	logd_client	**h;
	char		 *buf, name[LOADGEN_NAME];
	long		  i, opened = 0, failed = 0;
	int		  n, rc, status = 1;

	h = calloc((size_t)streams, sizeof(*h));
	/* One byte more: snprintf's NUL lands past the message, never in it. */
	buf = malloc((size_t)size + 1);
	if (h == NULL || buf == NULL) {
		fprintf(stderr, "loadgen: sender %ld: out of memory for %ld streams\n", id,
		    streams);
		goto out;
	}
	memset(buf, 'x', (size_t)size);
	for (opened = 0; opened < streams; opened++) {
		n = snprintf(name, sizeof(name), "b%ld", opened);
		if (n < 0 || (size_t)n >= sizeof(name) ||
		    (h[opened] = logd_open(name, 0)) == NULL) {
			fprintf(stderr, "loadgen: sender %ld: logd_open(%s): %s "
			    "(raise the hard RLIMIT_NOFILE for many streams)\n", id, name,
			    strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < count; i++) {
		/* Only the prefix changes; the rest of the 'x' filler stays. */
		n = snprintf(buf, (size_t)size + 1, "s=%ld i=%ld ", id, i);
		if (n >= 0 && n < size)
			buf[n] = 'x';
		if ((rc = logd_send(h[i % streams], LOG_INFO, buf, (size_t)size)) != 0 &&
		    failed++ == 0)
			fprintf(stderr, "loadgen: sender %ld: record %ld: %s\n", id, i,
			    strerror(-rc));
	}
	status = loadgen_result(id, count, failed, sent);
out:
	if (h != NULL) {
		for (i = 0; i < opened; i++)
			logd_close(h[i]);
	}
	free(buf);
	free(h);
	return status;
}

/*
 * One --syslog sender: COUNT datagrams of SIZE bytes, as syslog(3) makes them,
 * to path.  *sent gets the datagrams sent.  Returns the process's exit status.
 */
static int
loadgen_syslog_sender(long id, long count, long size, const char *path, uint64_t *sent)
{
	struct sockaddr_un	 sun;
	struct tm		 tm;
	time_t			 now, then = (time_t)-1;
	char			*buf = NULL, hdr[64];
	size_t			 hlen = 0;
	long			 i, failed = 0;
	int			 fd, n, status = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "loadgen: %s: path too long\n", path);
		return 1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "loadgen: sender %ld: connect %s: %s\n", id, path,
		    strerror(errno));
		goto out;
	}
	/* One byte more: snprintf's NUL lands past the datagram, never in it. */
	if ((buf = malloc((size_t)size + 1)) == NULL) {
		fprintf(stderr, "loadgen: sender %ld: out of memory\n", id);
		goto out;
	}
	memset(buf, 'x', (size_t)size);
	for (i = 0; i < count; i++) {
		/* glibc: "<PRI>" then strftime("%h %e %T ") then "ident[pid]: " */
		if ((now = time(NULL)) != then) {
			then = now;
			localtime_r(&now, &tm);
			hlen = strftime(hdr, sizeof(hdr), "<14>%h %e %T ", &tm);
			n = snprintf(hdr + hlen, sizeof(hdr) - hlen, "b%ld[%ld]: ", id,
			    (long)getpid());
			hlen += n > 0 ? (size_t)n : 0;
			if (hlen >= (size_t)size) {
				fprintf(stderr, "loadgen: SIZE %ld is shorter than the header\n",
				    size);
				goto out;
			}
			memcpy(buf, hdr, hlen);
		}
		/* Only the sequence number changes; the rest of the 'x' filler stays. */
		n = snprintf(buf + hlen, (size_t)size + 1 - hlen, "s=%ld i=%ld ", id, i);
		if (n >= 0 && (size_t)n < (size_t)size - hlen)
			buf[hlen + (size_t)n] = 'x';
		while (send(fd, buf, (size_t)size, 0) < 0) {
			if (errno == EINTR)
				continue;
			if (failed++ == 0)
				fprintf(stderr, "loadgen: sender %ld: datagram %ld: %s\n", id, i,
				    strerror(errno));
			break;
		}
	}
	status = loadgen_result(id, count, failed, sent);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return status;
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	uint64_t	*sent, total = 0;
	long		 senders, count, size, streams, i;
	pid_t		 pid;
	const char	*syslog_path = NULL;
	int		 st, status = 0;

	if (argc == 6 && strcmp(argv[1], "--syslog") == 0) {
		/* SENDERS COUNT SIZE SOCKET_PATH; STREAMS is unused (an ident per sender). */
		syslog_path = argv[5];
		argv++;
		argc--;
	}
	if (argc != 5 || (senders = loadgen_arg(argv[1])) < 0 ||
	    (count = loadgen_arg(argv[2])) < 0 || (size = loadgen_arg(argv[3])) < 0 ||
	    (streams = syslog_path != NULL ? 1 : loadgen_arg(argv[4])) < 0) {
		fprintf(stderr, "usage: loadgen SENDERS COUNT SIZE STREAMS (positive integers)\n"
		    "       loadgen --syslog SENDERS COUNT SIZE SOCKET_PATH\n");
		return 2;
	}
	/* A handle is a socket: 10,000 streams need 10,000 descriptors per sender. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Each sender reports its count here; a child's exit status has no room for it. */
	sent = mmap(NULL, (size_t)senders * sizeof(*sent), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sent == MAP_FAILED) {
		fprintf(stderr, "loadgen: mmap for %ld senders: %s\n", senders, strerror(errno));
		return 1;
	}
	fflush(stdout);
	for (i = 0; i < senders; i++) {
		if ((pid = fork()) < 0) {
			fprintf(stderr, "loadgen: fork sender %ld: %s; waiting for the others\n",
			    i, strerror(errno));
			status = 1;
			break;
		}
		if (pid == 0)
			_exit(syslog_path != NULL ?
			    loadgen_syslog_sender(i, count, size, syslog_path, &sent[i]) :
			    loadgen_sender(i, count, size, streams, &sent[i]));
	}
	for (;;) {
		if (wait(&st) < 0) {
			if (errno == EINTR)
				continue;
			break;		/* ECHILD: all senders are done */
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			status = 1;
	}
	for (i = 0; i < senders; i++)
		total += sent[i];
	printf("loadgen: sent=%llu\n", (unsigned long long)total);
	return status;
}
