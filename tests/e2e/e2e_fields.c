/*
 * e2e_fields.c - liblogd's fields, va_list and caller API as an application
 * uses them, for the end-to-end tests (test_familiar.py).
 *
 *   e2e_fields STREAM    sends to STREAM, in this order:
 *                        LOGD_INFO(c, "started %d workers", 4)
 *                        logd_send_fields(): notice "login", user=alice remote=10.0.0.7
 *                        logd_vprintf() through a function of its own: err "disk 93% full"
 *                        and prints "info_line=N" (the LOGD_INFO's line) and
 *                        "bad_key=-22" (logd_send_fields() with the key "bad key").
 *
 * Exits 0 only if every call returned what it should and nothing was dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "logd.h"

/* A program's own logging function over logd_vprintf(). */
static int
say(logd_client *c, int priority, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = logd_vprintf(c, priority, fmt, ap);
	va_end(ap);
	return rc;
}

int
main(int argc, char *argv[])
{
	const struct logd_field	 login[] = { { "user", "alice" }, { "remote", "10.0.0.7" } };
	const struct logd_field	 bad[] = { { "bad key", "x" } };
	logd_client		*c;
	int			 line, rc, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: e2e_fields STREAM\n");
		return 2;
	}
	if ((c = logd_open(argv[1], 0)) == NULL) {
		fprintf(stderr, "e2e_fields: logd_open: %s\n", strerror(errno));
		return 1;
	}
	line = __LINE__ + 1;
	if ((rc = LOGD_INFO(c, "started %d workers", 4)) != 0 && ++failed)
		fprintf(stderr, "e2e_fields: LOGD_INFO: %s\n", strerror(-rc));
	if ((rc = logd_send_fields(c, LOG_NOTICE, login, 2, "login", 5)) != 0 && ++failed)
		fprintf(stderr, "e2e_fields: logd_send_fields: %s\n", strerror(-rc));
	if ((rc = say(c, LOG_ERR, "disk %d%% full", 93)) != 0 && ++failed)
		fprintf(stderr, "e2e_fields: logd_vprintf: %s\n", strerror(-rc));
	printf("info_line=%d\n", line);
	printf("bad_key=%d\n", logd_send_fields(c, LOG_INFO, bad, 1, "never", 5));
	if (logd_dropped(c) != 0 && ++failed)
		fprintf(stderr, "e2e_fields: %llu dropped\n", (unsigned long long)logd_dropped(c));
	logd_close(c);
	return failed == 0 ? 0 : 1;
}
