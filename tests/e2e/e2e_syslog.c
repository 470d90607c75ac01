/*
 * e2e_syslog.c - an unmodified program's logging: glibc's openlog(3) and
 * syslog(3), to /dev/log (test_syslog.py mounts logd's syslog socket there
 * in a private mount namespace).
 *
 * Usage: e2e_syslog IDENT COUNT: COUNT records "glibc N" at LOG_WARNING,
 * facility local3, with LOG_PID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

int
main(int argc, char *argv[])
{
	long	i, n;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: e2e_syslog IDENT COUNT\n");
		return 2;
	}
	openlog(argv[1], LOG_PID | LOG_NDELAY, LOG_LOCAL3);
	for (i = 0; i < n; i++)
		syslog(LOG_WARNING, "glibc %ld", i);
	closelog();
	return 0;
}
