/*
 * stats.h - logd's counters, and the writer's heartbeat and stall state.
 *
 * This module owns every counter.  Each one has a single thread that
 * changes it (named below) and stats_add() costs that thread a plain load
 * and store (relaxed atomics: no locked instruction on the hot path); the
 * few that both threads change use stats_add_shared().  Any thread may read
 * any of them at any time (stats_get(), stats_line()).  Every total
 * saturates at UINT64_MAX: it never wraps.
 *
 * Lines put in batches either get written or are taken out unwritten:
 * lines - STATS_WRITTEN_LINES - STATS_SELF_LINES - STATS_LINES_REMOVED are
 * the lines logd still holds.
 */
#ifndef LOGD_STATS_H
#define LOGD_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct queue_stats;

enum stats_id {
	/* loop thread */
	STATS_DATAGRAMS,	/* valid datagrams received */
	STATS_RECORDS,		/* records decoded from them */
	STATS_BYTES,		/* datagram bytes received */
	STATS_MALFORMED,	/* datagrams rejected, and implausible fields clamped */
	STATS_REJECTED,		/* records refused: max_streams reached */
	STATS_CLIENT_DROPPED,	/* sum of the senders' dropped counts */
	STATS_OVERFLOW_DROPPED,	/* records dropped under overflow = drop */
	STATS_BACKPRESSURE,	/* times a record found the budget full */
	STATS_STREAMS,		/* streams in the table now */
	/* writer thread */
	STATS_WRITTEN_LINES,	/* lines written to the senders' streams, markers included */
	STATS_SELF_LINES,	/* lines from batches written to logd's own stream */
	STATS_WRITTEN_BYTES,
	STATS_WRITE_ERRORS,	/* failed write/open attempts */
	STATS_WRITER_MARKERS,	/* lines the writer added (stalls, torn lines) */
	STATS_FSYNCS,
	STATS_STALLS,		/* episodes of failing writes */
	STATS_STALLED_MS,	/* their total length */
	STATS_ROTATIONS,
	STATS_ARCHIVES_REMOVED,	/* by retention, or for a full disk */
	STATS_UNWRITABLE_STREAMS,	/* streams failed now (their files cannot be written) */
	STATS_COMPRESS_SKIPPED,	/* archives left plain: the compressor's backlog was full */
	/* compressor thread */
	STATS_ARCHIVES_COMPRESSED,
	/* both threads (stats_add_shared()) */
	STATS_UNWRITABLE,	/* records dropped because their stream could not be written */
	STATS_LINES_REMOVED,	/* lines taken out of batches unwritten (overflow, unwritable) */
	STATS_COUNT
};

struct stats {
	_Atomic uint64_t	v[STATS_COUNT];
	_Atomic uint64_t	malformed_by[PROTO_E_COUNT];	/* loop: by reason */
	/* Lines put in batches, logd's own included: read by the loop alone, so plain. */
	uint64_t		lines;
	/* The writer's state, for the watchdog and STATUS=. */
	_Atomic uint64_t	alive_ms;	/* CLOCK_MONOTONIC ms of its last step */
	_Atomic int		busy;		/* writing, not waiting for work */
	_Atomic int		stall_err;	/* errno of the disk-wide stall now, 0: none */
	_Atomic uint64_t	stall_since_ms;	/* CLOCK_REALTIME ms it began */
};

/* Adds n to counter id: only from the one thread that owns it. */
static inline void
stats_add(struct stats *st, enum stats_id id, uint64_t n)
{
	uint64_t	v = atomic_load_explicit(&st->v[id], memory_order_relaxed);

	atomic_store_explicit(&st->v[id], v + n < v ? UINT64_MAX : v + n, memory_order_relaxed);
}

/*
 * Adds 1 to counter id: only from the one thread that owns it.  An event
 * count needs no saturation: a billion a second takes 584 years to wrap.
 */
static inline void
stats_inc(struct stats *st, enum stats_id id)
{
	uint64_t	v = atomic_load_explicit(&st->v[id], memory_order_relaxed);

	atomic_store_explicit(&st->v[id], v + 1, memory_order_relaxed);
}

/* Adds n to counter id, which more than one thread changes. */
static inline void
stats_add_shared(struct stats *st, enum stats_id id, uint64_t n)
{
	uint64_t	v = atomic_load_explicit(&st->v[id], memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(&st->v[id], &v,
	    v + n < v ? UINT64_MAX : v + n, memory_order_relaxed, memory_order_relaxed))
		;
}

/* Sets gauge id (STATS_STREAMS): only from the thread that owns it. */
static inline void
stats_set(struct stats *st, enum stats_id id, uint64_t v)
{
	atomic_store_explicit(&st->v[id], v, memory_order_relaxed);
}

/* Any thread. */
static inline uint64_t
stats_get(const struct stats *st, enum stats_id id)
{
	return atomic_load_explicit(&st->v[id], memory_order_relaxed);
}

/* a + b, or UINT64_MAX if that overflows: for every total fed by untrusted counts. */
static inline uint64_t
stats_sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/*
 * The counters and qs as one line of "name=value" pairs ("records=10
 * written=10 ..."), the form logd prints at SIGUSR1 and when it stops.
 * Returns the length, as snprintf() does.
 */
int	stats_line(const struct stats *st, const struct queue_stats *qs, char *buf, size_t len);

#endif
