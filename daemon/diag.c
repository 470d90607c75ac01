/*
 * diag.c - logd's own messages on stderr (see diag.h).
 * The prefix flag is set once in main() before any thread starts.
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static int	diag_prefix = 1;

void
diag_init(int prefix)
{
	diag_prefix = prefix;
}

static void
diag_write(int prio, int err, const char *suffix, const char *fmt, va_list ap)
{
	char	line[2048];
	size_t	len = 0;
	int	n;

	if (diag_prefix) {
		n = snprintf(line, sizeof(line), "<%d>", prio & LOG_PRIMASK);
		len = (size_t)n;
	}
	n = snprintf(line + len, sizeof(line) - len, "logd: ");
	len += (size_t)n;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;	/* cut, but still one whole line */
	if (err != 0) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", strerror(err < 0 ? -err : err));
		len += n > 0 ? (size_t)n : 0;
		if (len > sizeof(line) - 1)
			len = sizeof(line) - 1;
	}
	if (suffix != NULL) {
		n = snprintf(line + len, sizeof(line) - len, "%s", suffix);
		len += n > 0 ? (size_t)n : 0;
		if (len > sizeof(line) - 1)
			len = sizeof(line) - 1;
	}
	line[len++] = '\n';
	/* One write(2), so lines from two threads never interleave. */
	while (write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
		;
}

void
diag(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_write(prio, 0, NULL, fmt, ap);
	va_end(ap);
}

void
diag_errno(int prio, int err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_write(prio, err, NULL, fmt, ap);
	va_end(ap);
}

void
diag_limited(struct diag_limit *l, int prio, const char *fmt, ...)
{
	uint64_t	now_ms = clock_ms(CLOCK_MONOTONIC);
	char		suffix[64];
	va_list		ap;

	if (l->last_ms != 0 && now_ms - l->last_ms < l->interval_ms) {
		l->suppressed++;
		return;
	}
	suffix[0] = '\0';
	if (l->suppressed > 0)
		snprintf(suffix, sizeof(suffix), " (%llu similar messages suppressed)",
		    (unsigned long long)l->suppressed);
	l->last_ms = now_ms == 0 ? 1 : now_ms;
	l->suppressed = 0;
	va_start(ap, fmt);
	diag_write(prio, 0, suffix, fmt, ap);
	va_end(ap);
}
