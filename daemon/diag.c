/*
 * diag.c - logd's own messages on stderr (see diag.h).
 * The prefix flag is set once in main() before any thread starts; the
 * crash handler only reads it.
 */
#include "diag.h"

#include <errno.h>
#include <execinfo.h>
#include <signal.h>
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

#define DIAG_CRASH_FRAMES	64
#define DIAG_CRASH_STACK	(64 * 1024)

/* The crash handler's stack (sigaltstack): the process has one, for all its life. */
static char	diag_crash_stack[DIAG_CRASH_STACK];

static const struct {
	int		 sig;
	const char	*name;
} diag_fatal[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" }, { SIGILL, "SIGILL" }, { SIGFPE, "SIGFPE" },
	{ SIGABRT, "SIGABRT" },
};
#define DIAG_NFATAL	(sizeof(diag_fatal) / sizeof(diag_fatal[0]))

/* Appends s to buf[*len..cap) without snprintf (not async-signal-safe). */
static void
diag_put(char *buf, size_t *len, size_t cap, const char *s)
{
	while (*s != '\0' && *len < cap)
		buf[(*len)++] = *s++;
}

/*
 * The crash handler: async-signal-safe calls only (write, backtrace, whose
 * library diag_crash_init() loaded beforehand, backtrace_symbols_fd, raise).
 * SA_RESETHAND put the default action back, SA_NODEFER lets the re-raised
 * signal through at once.
 */
static void
diag_on_crash(int sig)
{
	void		*frames[DIAG_CRASH_FRAMES];
	const char	*name = "a fatal signal";
	char		 line[128];
	size_t		 len = 0, i;
	int		 n, saved = errno;

	for (i = 0; i < DIAG_NFATAL; i++)
		if (diag_fatal[i].sig == sig)
			name = diag_fatal[i].name;
	if (diag_prefix)
		diag_put(line, &len, sizeof(line), "<2>");
	diag_put(line, &len, sizeof(line), "logd: crashed: ");
	diag_put(line, &len, sizeof(line), name);
	diag_put(line, &len, sizeof(line), "; backtrace:\n");
	(void)!write(STDERR_FILENO, line, len);
	n = backtrace(frames, DIAG_CRASH_FRAMES);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	errno = saved;
	raise(sig);
}

void
diag_crash_init(void)
{
	struct sigaction	sa;
	stack_t			ss = { .ss_sp = diag_crash_stack, .ss_size = DIAG_CRASH_STACK };
	void			*frame;
	size_t			i;

	/* backtrace() loads libgcc on its first call: not in the handler. */
	(void)backtrace(&frame, 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = diag_on_crash;
	/* On its own stack, so a stack overflow is reported too. */
	sa.sa_flags = SA_RESETHAND | SA_NODEFER | (sigaltstack(&ss, NULL) == 0 ? SA_ONSTACK : 0);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < DIAG_NFATAL; i++)
		(void)sigaction(diag_fatal[i].sig, &sa, NULL);
}
