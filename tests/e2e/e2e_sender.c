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
 *   e2e_sender repl STREAM [nonblock] reads "N TEXT" lines on stdin; for each sends
 *                                     N records "TEXT i" (i = 0..N-1) at info and
 *                                     prints "sent=S failed=F dropped=D errno=E" (E: the
 *                                     last failure's errno name, or 0); exits 0 at EOF
 *
 * load, big, bigbin, caller: exit 0 only if every logd_* call returned 0 and
 * nothing was dropped; the failures are printed on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"

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

static int
big(logd_client *c, long size, int binary)
{
	char	*msg = malloc(size > 0 ? (size_t)size : 1);
	long	 i;
	int	 rc;

	if (msg == NULL)
		return 1;
	for (i = 0; i < size; i++)
		msg[i] = binary ? (char)((i * 7 + i / 256) % 256) : (char)('a' + i % 26);
	rc = logd_send(c, LOG_NOTICE, msg, (size_t)size);
	free(msg);
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

static int
repl(logd_client *c)
{
	char	line[1024], text[1024];
	long	i, n, sent, failed;
	int	rc, last;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "%ld %1023[^\n]", &n, text) != 2) {
			fprintf(stderr, "e2e_sender: bad command %s", line);
			return 2;
		}
		sent = failed = 0;
		last = 0;
		for (i = 0; i < n; i++) {
			rc = logd_printf(c, LOG_INFO, "%s %ld", text, i);
			if (rc == 0) {
				sent++;
			} else {
				failed++;
				last = -rc;
			}
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
	int		 rc = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: e2e_sender load|big|bigbin|caller|repl STREAM ...\n");
		return 2;
	}
	if (strcmp(argv[1], "repl") == 0) {
		if ((c = logd_open(argv[2], argc > 3 && strcmp(argv[3], "nonblock") == 0 ?
		    LOGD_NONBLOCK : 0)) == NULL) {
			fprintf(stderr, "e2e_sender: logd_open: %s\n", strerror(errno));
			return 1;
		}
		rc = repl(c);
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
