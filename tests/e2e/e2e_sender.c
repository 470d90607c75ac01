/*
 * e2e_sender.c - drives liblogd as an application would, for the end-to-end tests.
 *
 *   e2e_sender load STREAM ID COUNT   COUNT records "id=ID seq=N ...", priority N % 8
 *   e2e_sender big STREAM SIZE        one message of SIZE bytes ('a' + i % 26)
 *   e2e_sender caller STREAM          one LOGD_WARNING with file/line/func
 *
 * Exits 0 only if every logd_* call returned 0; prints the failures otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"

static int
load(logd_client *c, const char *id, long count)
{
	long	i, failed = 0;
	int	rc;

	for (i = 0; i < count; i++) {
		rc = logd_printf(c, (int)(i % 8), "id=%s seq=%ld payload=%.*s", id, i,
		    (int)(i % 40), "0123456789abcdefghijklmnopqrstuvwxyzABCD");
		if (rc != 0 && failed++ < 5)
			fprintf(stderr, "e2e_sender: record %ld: %s\n", i, strerror(-rc));
	}
	return failed == 0 ? 0 : 1;
}

static int
big(logd_client *c, long size)
{
	char	*msg = malloc((size_t)size);
	long	 i;
	int	 rc;

	if (msg == NULL)
		return 1;
	for (i = 0; i < size; i++)
		msg[i] = (char)('a' + i % 26);
	rc = logd_send(c, LOG_NOTICE, msg, (size_t)size);
	free(msg);
	if (rc != 0)
		fprintf(stderr, "e2e_sender: big: %s\n", strerror(-rc));
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	logd_client	*c;
	int		 rc = 2;

	if (argc < 3) {
		fprintf(stderr, "usage: e2e_sender load|big|caller STREAM ...\n");
		return 2;
	}
	if ((c = logd_open(argv[2], 0)) == NULL) {
		fprintf(stderr, "e2e_sender: logd_open: %s\n", strerror(errno));
		return 1;
	}
	if (strcmp(argv[1], "load") == 0 && argc == 5)
		rc = load(c, argv[3], atol(argv[4]));
	else if (strcmp(argv[1], "big") == 0 && argc == 4)
		rc = big(c, atol(argv[3]));
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
