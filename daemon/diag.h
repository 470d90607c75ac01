/*
 * diag.h - logd's own messages on stderr.
 *
 * Each line starts with an sd-daemon priority prefix ("<3>") so journald files
 * it at the right level, unless diag_init() turned prefixes off (a terminal,
 * or --check-config, where a person reads the output).  Any thread may call
 * these; each message is one write(2).
 */
#ifndef LOGD_DIAG_H
#define LOGD_DIAG_H

#include <stdint.h>
#include <syslog.h>

/* Whether lines get the "<N>" prefix.  Default: on. */
void	diag_init(int prefix);

/* One line at priority prio (LOG_ERR, LOG_WARNING, ...), with "logd: " after the prefix. */
void	diag(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As diag(), followed by ": " and strerror(-err). */
void	diag_errno(int prio, int err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * A rate limit for one kind of message: at most one line per interval_ms.
 * The next line printed says how many were suppressed in between.
 */
struct diag_limit {
	uint64_t	last_ms;
	uint64_t	suppressed;
	uint32_t	interval_ms;
};

/*
 * Installs the crash handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGABRT (on an alternate stack, so a stack overflow is reported too): it
 * writes "logd: fatal signal ..." and a backtrace (backtrace_symbols_fd())
 * to stderr, then re-raises the signal with its default action, so the
 * exit status and the core dump are the signal's.  The only raw handler.
 */
void	diag_crash_init(void);

/* diag() through a limit. */
void	diag_limited(struct diag_limit *l, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
