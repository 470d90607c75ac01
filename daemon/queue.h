/*
 * queue.h - sealed batches between the loop thread and the writer thread,
 * and the memory budget of all batches.
 *
 * This is the only state the two threads share.  Every batch - open in a
 * stream, queued, or being written - is allocated by queue_batch_new() and
 * charged to two budgets until queue_batch_free(): the global one
 * (max_bytes) and its stream's share (stream_max_bytes).  queue_batch_new()
 * refuses a batch that would exceed either, so the sum never exceeds
 * max_bytes and one stream never holds more than its share - except that a
 * stream holding nothing may always take one batch, so a single record larger
 * than the share still gets through.  A batch has exactly one owner at a
 * time: the stream table while open, the queue once pushed, the writer once
 * popped.
 *
 * Every line of a batch has its priority recorded, so that under
 * overflow = drop the loop can take a stream's lowest-priority lines back
 * out of batches that are queued but not yet popped (queue_drop()).
 *
 * Locking: one mutex guards the lists, the byte counts and the flags; the
 * writer sleeps on a condition variable; the loop sleeps in libevent on an
 * eventfd (queue_wake_fd()) that the writer signals when it frees memory the
 * loop is waiting for, and when it has finished after queue_close().
 */
#ifndef LOGD_QUEUE_H
#define LOGD_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

struct queue;

struct queue_stats {
	uint64_t	used_bytes;	/* charged for all live batches */
	uint64_t	high_water_bytes;
	uint64_t	max_bytes;
	uint64_t	queued_batches;	/* pushed, not yet popped */
	uint64_t	queued_bytes;	/* len of those */
};

/*
 * A queue with a budget of max_bytes, of which one stream (id below
 * max_streams) may hold stream_max_bytes unless queue_set_share() says
 * otherwise.  -errno on failure.
 */
int		 queue_new(uint64_t max_bytes, uint64_t stream_max_bytes, uint32_t max_streams,
		    struct queue **out);
void		 queue_free(struct queue *q);

/*
 * Loop: a new empty batch for stream_id (named name) with room for cap bytes
 * and max_lines lines, or NULL if a budget (or malloc) can't take it; a
 * budget that can't wakes the writer.  With force, the budgets are not
 * checked (small shutdown-time markers only).
 */
struct batch	*queue_batch_new(struct queue *q, uint32_t stream_id, const char *name,
		    size_t cap, uint32_t max_lines, int force);

/*
 * Loop: gives open batch b room for cap bytes and max_lines lines (no less
 * than it has), keeping its lines.  Returns the batch (it may move), or
 * NULL, b unchanged, if a budget (or realloc) can't take the difference.
 */
struct batch	*queue_batch_grow(struct queue *q, struct batch *b, size_t cap,
		    uint32_t max_lines);

/* A sealed batch with this much unused room is shrunk to fit (queue_push()). */
#define QUEUE_TRIM_MIN		4096

/* The writer is woken by queue_push() once this much (or 1/16 of the budget) is queued. */
#define QUEUE_WAKE_BYTES	(1024 * 1024)

/*
 * Loop: hands a sealed batch to the writer, first shrinking it to fit when
 * more than half of it, and at least QUEUE_TRIM_MIN, is unused (b may move:
 * don't use it after).  A waiting writer is woken only once QUEUE_WAKE_BYTES
 * are queued: full batches go to disk a megabyte at a time, not with a
 * wake-up (and a context switch) each.  Whatever must go now is flushed by
 * queue_flush().
 */
void		 queue_push(struct queue *q, struct batch *b);

/* Loop: wakes the writer if anything is queued (the flush timer, a crit record). */
void		 queue_flush(struct queue *q);

/*
 * Loop: the lowest priority (largest number) of any line of stream_id that
 * is queued and not yet popped, or -1 if there is none.
 */
int		 queue_lowest(struct queue *q, uint32_t stream_id);

/*
 * Loop: removes every line of priority prio of stream_id from the batches
 * still in the queue, returning their memory to the budgets.  Returns how
 * many lines it removed.
 */
uint32_t	 queue_drop(struct queue *q, uint32_t stream_id, unsigned prio);

/*
 * Loop: ask for a wake-up (the eventfd) when queue_batch_free() has freed
 * an eighth of the budget, or emptied the queue.
 */
void		 queue_want_wake(struct queue *q);

/* Loop: no more pushes; the writer empties the queue, then signals finished. */
void		 queue_close(struct queue *q);

/* Loop: the eventfd to watch, and the call that clears it after it fired. */
int		 queue_wake_fd(const struct queue *q);
void		 queue_wake_clear(struct queue *q);

/* Loop: makes the writer's queue_pop() return now (NULL, *timed_out set) if it waits. */
void		 queue_kick(struct queue *q);

/* Loop: whether the writer has finished after queue_close(). */
int		 queue_finished(struct queue *q);

/* A deadline for queue_pop() that has always passed: do not wait. */
#define QUEUE_NOWAIT		1

/*
 * Writer: the oldest batch, waiting while the queue is empty, but not past
 * deadline_ms (CLOCK_MONOTONIC in ms; 0 = no deadline).  NULL once the queue
 * is closed and empty, or at the deadline (then *timed_out is set).
 */
struct batch	*queue_pop(struct queue *q, uint64_t deadline_ms, int *timed_out);

/*
 * The batch's owner: frees b and returns its bytes to the budgets (the
 * writer, once it has written b; the loop, for an open batch it gives up).
 */
void		 queue_batch_free(struct queue *q, struct batch *b);

/* Writer: it has written everything after queue_close(); wakes the loop. */
void		 queue_finish(struct queue *q);

/* Writer: wakes the loop (it has handled what the loop asked for, writer_request()). */
void		 queue_notify(struct queue *q);

/*
 * Writer: stream_id cannot be written (an error of its own directory or
 * file): until queue_recover(), its records are dropped, not queued.  Its
 * queued batches are freed now, their loss added to *gone (which the
 * caller counts) and, with lost (the part of the writer's own batch it
 * could not write), to what the stream's recovery marker will say.  Wakes
 * the loop (queue_take_news()).
 */
void		 queue_fail(struct queue *q, uint32_t stream_id, uint64_t lost,
		    struct batch_loss *gone);

/* Any thread, lock-free: whether stream_id is failed. */
int		 queue_failed(const struct queue *q, uint32_t stream_id);

/* The flag queue_failed() reads, for a caller that checks it per record without a call. */
const _Atomic int *queue_failed_flag(const struct queue *q, uint32_t stream_id);

/*
 * Any thread: if stream_id is still failed, adds n (records dropped, and
 * the losses they reported) to what its recovery marker will say and
 * returns 1; returns 0 if it has recovered meanwhile (write the records).
 */
int		 queue_add_lost(struct queue *q, uint32_t stream_id, uint64_t n);

/* Writer: stream_id is writable again; returns (and forgets) what it lost while failed. */
uint64_t	 queue_recover(struct queue *q, uint32_t stream_id);

/* Loop: whether a stream has failed since the last call (to free its open batch). */
int		 queue_take_news(struct queue *q);

/* Any thread: a consistent snapshot of the counters. */
void		 queue_stats(struct queue *q, struct queue_stats *out);

/* Loop: stream_id's share of the budget from now on. */
void		 queue_set_share(struct queue *q, uint32_t stream_id, uint64_t max_bytes);

/* Any thread: bytes charged to stream_id now. */
uint64_t	 queue_stream_used(struct queue *q, uint32_t stream_id);

/* Returns 0 if the invariants hold (budgets, counts match the lists and lines). */
int		 queue_check(struct queue *q);

#endif
