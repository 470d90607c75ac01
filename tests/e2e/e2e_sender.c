/*
 * e2e_sender.c - drives liblogd as an application would, for the end-to-end tests.
 *
 *   e2e_sender load STREAM ID COUNT [PRIO]
 *                                     COUNT records "id=ID seq=N ...", priority N % 8
 *                                     (or PRIO); prints "sent=S failed=F" at the end
 *   e2e_sender big STREAM SIZE        one message of SIZE bytes ('a' + i % 26)
 *   e2e_sender bigbin STREAM SIZE     one message of SIZE bytes, every byte value:
 *                                     (i * 7 + i / 256) % 256
 *   e2e_sender caller STREAM          one LOGD_WARNING with file/line/func
 *   e2e_sender repl STREAM [nonblock] [THREADS]
 *                                     reads "N TEXT" lines on stdin; for each sends
 *                                     N records "TEXT i" (i = 0..N-1) at info and
 *                                     prints "sent=S failed=F dropped=D errno=E" (E: the
 *                                     last failure's errno name, or 0); exits 0 at EOF.
 *                                     With THREADS > 1, that many threads sharing the
 *                                     handle each send the N records at once, as
 *                                     "TEXT t.i" (t = 0..THREADS-1); S and F are totals.
 *                                     "big SIZE" sends one message of SIZE bytes as
 *                                     big does and prints the same line.
 *
 * load, big, bigbin, caller: exit 0 only if every logd_* call returned 0 and
 * nothing was dropped; the failures are printed on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"

#define REPL_MAX_THREADS	64

static int
load(logd_client *c, const char *id, long count, int prio)
{
	long	i, failed = 0;
	int	rc;

	for (i = 0; i < count; i++) {
		rc = logd_printf(c, prio >= 0 ? prio : (int)(i % 8), "id=%s seq=%ld payload=%.*s", id, i,
		    (int)(i % 40), "0123456789abcdefghijklmnopqrstuvwxyzABCD");
		if (rc != 0 && failed++ < 5)
			fprintf(stderr, "e2e_sender: record %ld: %s\n", i, strerror(-rc));
	}
	printf("sent=%ld failed=%ld\n", count - failed, failed);
	return failed == 0 ? 0 : 1;
}

/* One message of size bytes: 'a' + i % 26, or every byte value.  0 or -errno. */
static int
send_big(logd_client *c, long size, int binary)
{
	char	*msg = malloc(size > 0 ? (size_t)size : 1);
	long	 i;
	int	 rc;

	if (msg == NULL)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		msg[i] = binary ? (char)((i * 7 + i / 256) % 256) : (char)('a' + i % 26);
	rc = logd_send(c, LOG_NOTICE, msg, (size_t)size);
	free(msg);
	return rc;
}

static int
big(logd_client *c, long size, int binary)
{
	int	rc = send_big(c, size, binary);

	if (rc != 0)
		fprintf(stderr, "e2e_sender: big: %s\n", strerror(-rc));
	return rc == 0 ? 0 : 1;
}

static const char *
errno_name(int err)
{
	switch (err) {
	case 0:
		return "0";
	case EAGAIN:
		return "EAGAIN";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ENOENT:
		return "ENOENT";
	case EPIPE:
		return "EPIPE";
	default:
		return strerror(err);
	}
}

/* One repl thread's share of a command: n records "text t.i" ("text i" if t < 0). */
struct burst {
	logd_client		*c;
	pthread_barrier_t	*start;
	const char		*text;
	long			 n;
	int			 t;
	long			 sent, failed;
	int			 last;		/* errno of the last failure, 0 if none */
};

static void *
burst_run(void *arg)
{
	struct burst	*b = arg;
	long		 i;
	int		 rc;

	/* All threads start sending at once, so their sends and drops overlap. */
	pthread_barrier_wait(b->start);
	for (i = 0; i < b->n; i++) {
		rc = b->t < 0 ? logd_printf(b->c, LOG_INFO, "%s %ld", b->text, i) :
		    logd_printf(b->c, LOG_INFO, "%s %d.%ld", b->text, b->t, i);
		if (rc == 0) {
			b->sent++;
		} else {
			b->failed++;
			b->last = -rc;
		}
	}
	return NULL;
}

static int
repl(logd_client *c, int nthreads)
{
	struct burst		b[REPL_MAX_THREADS];
	pthread_t		tid[REPL_MAX_THREADS];
	pthread_barrier_t	start;
	char			line[1024], text[1024];
	long			n, sent, failed;
	int			i, rc, last;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		sent = failed = 0;
		last = 0;
		if (sscanf(line, "big %ld", &n) == 1) {
			rc = send_big(c, n, 0);
			sent = rc == 0;
			failed = rc != 0;
			last = -rc;
		} else if (sscanf(line, "%ld %1023[^\n]", &n, text) == 2) {
			pthread_barrier_init(&start, NULL, (unsigned)nthreads);
			for (i = 0; i < nthreads; i++) {
				b[i] = (struct burst){ .c = c, .start = &start, .text = text,
				    .n = n, .t = nthreads > 1 ? i : -1 };
				if ((rc = pthread_create(&tid[i], NULL, burst_run, &b[i])) != 0) {
					fprintf(stderr, "e2e_sender: pthread_create: %s\n",
					    strerror(rc));
					return 1;
				}
			}
			for (i = 0; i < nthreads; i++) {
				pthread_join(tid[i], NULL);
				sent += b[i].sent;
				failed += b[i].failed;
				if (b[i].last != 0)
					last = b[i].last;
			}
			pthread_barrier_destroy(&start);
		} else {
			fprintf(stderr, "e2e_sender: bad command %s", line);
			return 2;
		}
		printf("sent=%ld failed=%ld dropped=%llu errno=%s\n", sent, failed,
		    (unsigned long long)logd_dropped(c), errno_name(last));
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	logd_client	*c;
	int		 rc = 2, nonblock, nthreads;

	if (argc < 3) {
		fprintf(stderr, "usage: e2e_sender load|big|bigbin|caller|repl STREAM ...\n");
		return 2;
	}
	if (strcmp(argv[1], "repl") == 0) {
		nonblock = argc > 3 && strcmp(argv[3], "nonblock") == 0;
		nthreads = argc > 3 + nonblock ? atoi(argv[3 + nonblock]) : 1;
		if (nthreads < 1 || nthreads > REPL_MAX_THREADS) {
			fprintf(stderr, "e2e_sender: THREADS must be 1 to %d\n", REPL_MAX_THREADS);
			return 2;
		}
		if ((c = logd_open(argv[2], nonblock ? LOGD_NONBLOCK : 0)) == NULL) {
			fprintf(stderr, "e2e_sender: logd_open: %s\n", strerror(errno));
			return 1;
		}
		rc = repl(c, nthreads);
		logd_close(c);
		return rc;
	}
	if ((c = logd_open(argv[2], 0)) == NULL) {
		fprintf(stderr, "e2e_sender: logd_open: %s\n", strerror(errno));
		return 1;
	}
	if (strcmp(argv[1], "load") == 0 && (argc == 5 || argc == 6))
		rc = load(c, argv[3], atol(argv[4]), argc == 6 ? atoi(argv[5]) : -1);
	else if (strcmp(argv[1], "big") == 0 && argc == 4)
		rc = big(c, atol(argv[3]), 0);
	else if (strcmp(argv[1], "bigbin") == 0 && argc == 4)
		rc = big(c, atol(argv[3]), 1);
	else if (strcmp(argv[1], "caller") == 0 && argc == 3)
		rc = LOGD_WARNING(c, "from %s", "caller") == 0 ? 0 : 1;
	if (logd_dropped(c) != 0) {
		fprintf(stderr, "e2e_sender: %llu records dropped\n",
		    (unsigned long long)logd_dropped(c));
		rc = 1;
	}
	logd_close(c);
	return rc;
}
