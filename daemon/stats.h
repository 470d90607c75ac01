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
 *
 * Each stream id (0..max_streams, logd's own is 0) has counters of its own
 * (struct stats_stream, allocated once by stats_init(): bounded by
 * max_streams), with the same single-writer rule; the stream table and the
 * writer keep a pointer to theirs, so counting costs no lookup.  The
 * writer's write latency goes into a fixed histogram (stats_latency()).
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
	STATS_REJECTED,		/* records refused: max_streams, logd's own name, no memory,
				 * and the four below */
	STATS_TOO_MANY_STREAMS,	/* those refused because max_streams was reached */
	STATS_ACL_DENIED,	/* those from a sender the stream's allow_uids/gids lack */
	STATS_UNCONFIGURED,	/* those for a new stream with no section (create_streams) */
	STATS_UID_STREAMS,	/* those for a new stream past max_streams_per_uid */
	STATS_RATE_LIMITED,	/* records suppressed by a stream's rate limit */
	STATS_CLIENT_DROPPED,	/* sum of the senders' dropped counts */
	STATS_OVERFLOW_DROPPED,	/* records dropped under overflow = drop */
	STATS_BACKPRESSURE,	/* times a record found the budget full */
	STATS_BURSTS,		/* bursts: polls begun by a read of 4 datagrams or more (ingest.c) */
	STATS_CLOCK_SKEW,	/* records whose claimed time was off by more than max_clock_skew */
	STATS_STREAMS,		/* streams in the table now */
	/* writer thread */
	STATS_WRITTEN_LINES,	/* lines written to the senders' streams, markers included */
	STATS_SELF_LINES,	/* lines from batches written to logd's own stream */
	STATS_WRITTEN_BYTES,
	STATS_WRITTEN_RECORDS,	/* the senders' records written (lines but logd's own) */
	STATS_WRITE_ERRORS,	/* failed write/open attempts */
	STATS_WRITER_MARKERS,	/* lines the writer added (stalls, torn lines) */
	STATS_STALLS,		/* episodes of failing writes */
	STATS_STALLED_MS,	/* their total length */
	STATS_ROTATIONS,
	STATS_ARCHIVES_REMOVED,	/* by retention, or for a full disk */
	STATS_UNWRITABLE_STREAMS,	/* streams failed now (their files cannot be written) */
	STATS_COMPRESS_SKIPPED,	/* archives left plain: the compressor's backlog was full */
	STATS_ARCHIVES_UNFORWARDED,	/* archives the disk limits removed before a forwarder
					 * sent them */
	STATS_LINES_UNFORWARDED,	/* their lines */
	/* compressor thread */
	STATS_ARCHIVES_COMPRESSED,
	/* more than one thread (stats_add_shared()) */
	STATS_FSYNCS,		/* fdatasync/syncfs calls: the writer's and its syncer's */
	STATS_UNWRITABLE,	/* records dropped because their stream could not be written */
	STATS_LINES_REMOVED,	/* lines taken out of batches unwritten (overflow, unwritable) */
	STATS_COUNT
};

/* One stream's counters (by stream id). */
enum stats_stream_id {
	/* loop thread */
	STATS_S_RECORDS,	/* records received for it */
	STATS_S_DROPPED,	/* dropped by the loop (overflow, rate limit) or reported by senders */
	/* writer thread */
	STATS_S_WRITTEN,	/* its records written (logd's marker lines not counted) */
	STATS_S_WRITTEN_BYTES,	/* bytes of its batches written */
	STATS_S_LAST_WRITE_MS,	/* CLOCK_REALTIME ms of its last write; 0: none yet */
	STATS_S_FILE_BYTES,	/* current.log's size after that write */
	STATS_S_DISK_FILES,	/* current.log and archives at the last WRITER_SCAN */
	STATS_S_DISK_BYTES,	/* their bytes */
	/* both threads (stats_stream_add_shared()) */
	STATS_S_UNWRITABLE,	/* records dropped because it could not be written */
	STATS_S_COUNT
};

struct stats_stream {
	_Atomic uint64_t	v[STATS_S_COUNT];
};

/*
 * Write latency (writer): buckets of 4 per power of two of microseconds,
 * so a quantile is within 25% of the truth, in a fixed 2 KiB.
 */
#define STATS_LATENCY_BUCKETS	256

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
	/* Writer: write(2) latency of batches, and their sum in microseconds. */
	_Atomic uint64_t	latency[STATS_LATENCY_BUCKETS];
	_Atomic uint64_t	latency_sum_us;
	/* By stream id, nstreams of them (stats_init()). */
	struct stats_stream	*streams;
	uint32_t		 nstreams;
};

/* Zeroes st and allocates the counters of nstreams stream ids.  0 or -ENOMEM. */
int	stats_init(struct stats *st, uint32_t nstreams);
void	stats_free(struct stats *st);

/* Stream id's counters (id < nstreams). */
static inline struct stats_stream *
stats_stream(struct stats *st, uint32_t id)
{
	return &st->streams[id];
}

/* The three ways to change one counter c, for the global and the per-stream ones. */

/* Adds n, saturating: only from the one thread that owns c. */
static inline void
stats_counter_add(_Atomic uint64_t *c, uint64_t n)
{
	uint64_t	v = atomic_load_explicit(c, memory_order_relaxed);

	atomic_store_explicit(c, v + n < v ? UINT64_MAX : v + n, memory_order_relaxed);
}

/*
 * Adds 1: only from the one thread that owns c.  An event count needs no
 * saturation: a billion a second takes 584 years to wrap.
 */
static inline void
stats_counter_inc(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	    memory_order_relaxed);
}

/* Adds n, saturating, to c, which more than one thread changes. */
static inline void
stats_counter_add_shared(_Atomic uint64_t *c, uint64_t n)
{
	uint64_t	v = atomic_load_explicit(c, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(c, &v, v + n < v ? UINT64_MAX : v + n,
	    memory_order_relaxed, memory_order_relaxed))
		;
}

/* Adds n to counter id: only from the one thread that owns it. */
static inline void
stats_add(struct stats *st, enum stats_id id, uint64_t n)
{
	stats_counter_add(&st->v[id], n);
}

/* Adds 1 to counter id: only from the one thread that owns it (stats_counter_inc()). */
static inline void
stats_inc(struct stats *st, enum stats_id id)
{
	stats_counter_inc(&st->v[id]);
}

/* Adds n to counter id, which more than one thread changes. */
static inline void
stats_add_shared(struct stats *st, enum stats_id id, uint64_t n)
{
	stats_counter_add_shared(&st->v[id], n);
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

/* Adds n to a stream's counter id: only from the one thread that owns it. */
static inline void
stats_stream_add(struct stats_stream *ss, enum stats_stream_id id, uint64_t n)
{
	stats_counter_add(&ss->v[id], n);
}

/* Adds 1 to a stream's event counter id (no saturation needed, as stats_inc()). */
static inline void
stats_stream_inc(struct stats_stream *ss, enum stats_stream_id id)
{
	stats_counter_inc(&ss->v[id]);
}

/* Sets a stream's gauge id: only from the one thread that owns it. */
static inline void
stats_stream_set(struct stats_stream *ss, enum stats_stream_id id, uint64_t v)
{
	atomic_store_explicit(&ss->v[id], v, memory_order_relaxed);
}

/* Adds n to a stream's counter id, which more than one thread changes. */
static inline void
stats_stream_add_shared(struct stats_stream *ss, enum stats_stream_id id, uint64_t n)
{
	stats_counter_add_shared(&ss->v[id], n);
}

/*
 * Any thread: records of stream id dropped because it could not be
 * written, and the lines (theirs, and logd's markers) taken out of batches
 * unwritten with them.
 */
static inline void
stats_unwritable(struct stats *st, uint32_t id, uint64_t records, uint64_t lines)
{
	stats_add_shared(st, STATS_UNWRITABLE, records);
	stats_stream_add_shared(stats_stream(st, id), STATS_S_UNWRITABLE, records);
	stats_add_shared(st, STATS_LINES_REMOVED, lines);
}

/* Any thread. */
static inline uint64_t
stats_stream_get(const struct stats_stream *ss, enum stats_stream_id id)
{
	return atomic_load_explicit(&ss->v[id], memory_order_relaxed);
}

/* The latency bucket of us microseconds. */
static inline unsigned
stats_latency_bucket(uint64_t us)
{
	unsigned	e;

	if (us < 4)
		return (unsigned)us;
	e = 63u - (unsigned)__builtin_clzll(us);		/* 2..63 */
	return 4 * (e - 1) + (unsigned)((us >> (e - 2)) & 3);	/* 4..251 */
}

/* Writer: one write took us microseconds. */
static inline void
stats_latency(struct stats *st, uint64_t us)
{
	stats_counter_inc(&st->latency[stats_latency_bucket(us)]);
	stats_counter_add(&st->latency_sum_us, us);
}

/*
 * The latency below which a fraction q (0.5, 0.99) of the writes took, in
 * microseconds (the middle of its bucket), and how many writes there were
 * in *count; 0 with no writes.  Any thread.
 */
uint64_t	stats_latency_quantile(const struct stats *st, double q, uint64_t *count);

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
