/*
 * ratelimit.c - per-sender rate limit of one stream (see ratelimit.h).
 *
 * A lookup checks the last sender first (senders repeat themselves), then
 * scans the table: RATELIMIT_SENDERS entries, only on streams that have a
 * limit.  Invariant: nsenders <= RATELIMIT_SENDERS, pids unique among
 * them; forgotten > 0 iff forgotten_senders > 0.  Loop thread only.
 */
#include "ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ratelimit_sender {
	pid_t		pid;
	int		open;		/* a message goes on: 1 let through, 2 suppressed, 0 none */
	uint32_t	num;		/* messages let through in this window */
	uint64_t	begin_ms;	/* the window's start */
	uint64_t	used_ms;	/* its last record: the least recent is forgotten first */
	uint64_t	suppressed;	/* not yet reported */
	uint64_t	due_ms;		/* when they are reported: the end of their window */
};

struct ratelimit {
	struct ratelimit_sender	 s[RATELIMIT_SENDERS];
	uint32_t		 n;
	uint32_t		 last;		/* index of the last sender looked up */
	uint64_t		 forgotten;	/* suppressed by senders no longer in s[] */
	uint64_t		 forgotten_senders;
	uint64_t		 forgotten_due_ms;
	struct ratelimit_sender	 undo;		/* for ratelimit_untake() */
	struct ratelimit_sender	*undo_at;
};

int
ratelimit_new(struct ratelimit **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return -ENOMEM;
	return 0;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

/* pid's entry, made (in place of the least recently seen, when full) if new. */
static struct ratelimit_sender *
ratelimit_find(struct ratelimit *rl, pid_t pid, uint64_t now_ms)
{
	struct ratelimit_sender	*e;
	uint32_t		 i, old = 0;

	if (rl->n > 0 && rl->s[rl->last].pid == pid)
		return &rl->s[rl->last];
	for (i = 0; i < rl->n; i++) {
		if (rl->s[i].pid == pid) {
			rl->last = i;
			return &rl->s[i];
		}
		if (rl->s[i].used_ms < rl->s[old].used_ms)
			old = i;
	}
	if (rl->n < RATELIMIT_SENDERS) {
		old = rl->n++;
	} else if (rl->s[old].suppressed > 0) {
		/* Forgotten, not lost: reported with the others' sum, when its window ends. */
		if (rl->forgotten == 0 || rl->s[old].due_ms < rl->forgotten_due_ms)
			rl->forgotten_due_ms = rl->s[old].due_ms;
		rl->forgotten += rl->s[old].suppressed;
		rl->forgotten_senders++;
	}
	e = &rl->s[old];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->begin_ms = now_ms;
	rl->last = old;
	return e;
}

int
ratelimit_take(struct ratelimit *rl, pid_t pid, uint64_t now_ms, uint64_t interval_ms,
    uint32_t burst, int more, uint64_t *due_ms)
{
	struct ratelimit_sender	*e = ratelimit_find(rl, pid, now_ms);
	int			 pass;

	rl->undo = *e;
	rl->undo_at = e;
	e->used_ms = now_ms;
	if (e->open != 0) {
		pass = e->open == 1;	/* a part of a message shares its first part's fate */
	} else {
		if (now_ms - e->begin_ms >= interval_ms) {
			e->begin_ms = now_ms;
			e->num = 0;
		}
		pass = e->num < burst;
		if (pass)
			e->num++;
	}
	e->open = more ? (pass ? 1 : 2) : 0;
	if (pass)
		return 1;
	rl->undo_at = NULL;
	if (e->suppressed++ == 0)
		e->due_ms = e->begin_ms + interval_ms;
	*due_ms = e->due_ms;
	return 0;
}

void
ratelimit_untake(struct ratelimit *rl)
{
	if (rl->undo_at != NULL)
		*rl->undo_at = rl->undo;
	rl->undo_at = NULL;
}

uint64_t
ratelimit_report(struct ratelimit *rl, uint64_t now_ms, int force,
    int (*report)(void *arg, pid_t pid, uint64_t n, uint64_t senders), void *arg)
{
	struct ratelimit_sender	*e;
	uint64_t		 next = 0;
	uint32_t		 i;

	rl->undo_at = NULL;
	for (i = 0; i < rl->n; i++) {
		e = &rl->s[i];
		if (e->suppressed == 0)
			continue;
		if ((force || e->due_ms <= now_ms) && report(arg, e->pid, e->suppressed, 0) == 0)
			e->suppressed = 0;
		else if (next == 0 || e->due_ms < next)
			next = e->due_ms;
	}
	if (rl->forgotten > 0) {
		if ((force || rl->forgotten_due_ms <= now_ms) &&
		    report(arg, 0, rl->forgotten, rl->forgotten_senders) == 0)
			rl->forgotten = rl->forgotten_senders = 0;
		else if (next == 0 || rl->forgotten_due_ms < next)
			next = rl->forgotten_due_ms;
	}
	return next;
}

uint64_t
ratelimit_pending(const struct ratelimit *rl)
{
	uint64_t	n = rl->forgotten;
	uint32_t	i;

	for (i = 0; i < rl->n; i++)
		n += rl->s[i].suppressed;
	return n;
}

int
ratelimit_check(const struct ratelimit *rl)
{
	uint32_t	i, j;

	if (rl->n > RATELIMIT_SENDERS || (rl->n > 0 && rl->last >= rl->n) ||
	    (rl->forgotten > 0) != (rl->forgotten_senders > 0))
		return -EINVAL;
	for (i = 0; i < rl->n; i++) {
		if (rl->s[i].open < 0 || rl->s[i].open > 2)
			return -EINVAL;
		for (j = i + 1; j < rl->n; j++)
			if (rl->s[i].pid == rl->s[j].pid)
				return -EINVAL;
	}
	return 0;
}
