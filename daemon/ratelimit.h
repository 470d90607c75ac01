/*
 * ratelimit.h - one stream's rate limit per sender (pid), as journald's:
 * at most burst records from a pid per interval (a window that starts
 * with its first record); the rest are suppressed and counted, to be
 * reported once the window they fell in has ended.
 *
 * The state is a fixed table of RATELIMIT_SENDERS pids.  A new pid takes
 * the place of the one seen least recently; what that one had suppressed
 * and not yet reported is kept as a sum ("forgotten"), so any number of
 * senders (a fork bomb) costs the same memory and every suppressed record
 * is still reported.  A message a sender split into parts (PROTO_REC_MORE)
 * is let through or suppressed whole: its parts share its first part's
 * fate and count once against the burst.  Loop thread only.
 */
#ifndef LOGD_RATELIMIT_H
#define LOGD_RATELIMIT_H

#include <stdint.h>
#include <sys/types.h>

#define RATELIMIT_SENDERS	64

struct ratelimit;

/* An empty limiter.  0 or -ENOMEM. */
int	ratelimit_new(struct ratelimit **out);
void	ratelimit_free(struct ratelimit *rl);

/*
 * Decides a record from pid at now_ms (CLOCK_MONOTONIC) under interval_ms
 * and burst; more: it flags PROTO_REC_MORE (its message goes on in the
 * next record).  Returns 1 if it is let through, 0 if it is suppressed
 * (counted): then *due_ms is when that count is to be reported.
 */
int	ratelimit_take(struct ratelimit *rl, pid_t pid, uint64_t now_ms, uint64_t interval_ms,
	    uint32_t burst, int more, uint64_t *due_ms);

/* The record the last ratelimit_take() let through was not taken after all: undoes it. */
void	ratelimit_untake(struct ratelimit *rl);

/*
 * Reports what is due at now_ms (everything, with force): report(arg, pid,
 * n, 0) for each sender with n suppressed records, and report(arg, 0, n,
 * senders) for the sum of the forgotten ones.  A report that returns < 0
 * (no room) stays due.  Returns the earliest time a report is due after
 * this, or 0 if none is pending.
 */
uint64_t	ratelimit_report(struct ratelimit *rl, uint64_t now_ms, int force,
		    int (*report)(void *arg, pid_t pid, uint64_t n, uint64_t senders), void *arg);

/* Records suppressed and not yet reported. */
uint64_t	ratelimit_pending(const struct ratelimit *rl);

/* Returns 0 if the invariants hold (table size, pids unique, counts). */
int	ratelimit_check(const struct ratelimit *rl);

#endif
