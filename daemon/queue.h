/*
 * queue.h - sealed batches between the loop thread and the writer thread,
 * and the memory budget of all batches.
 *
 * This is the only state the two threads share.  Every batch - open in a
 * stream, queued, or being written - is allocated by queue_batch_new() and
 * counted by its capacity until queue_batch_free(); the sum never exceeds
 * max_bytes (queue_batch_new() refuses instead, and the loop applies
 * backpressure).  A batch has exactly one owner at a time: the stream table
 * while open, the queue once pushed, the writer once popped.
 *
 * Locking: one mutex guards the list, the byte counts and the flags; the
 * writer sleeps on a condition variable; the loop sleeps in libevent on an
 * eventfd (queue_wake_fd()) that the writer signals when it frees memory the
 * loop is waiting for, and when it has finished after queue_close().
 */
#ifndef LOGD_QUEUE_H
#define LOGD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

struct batch {
	struct batch	*next;		/* queue link, owned by the queue */
	uint32_t	 stream_id;	/* index into the writer's file table */
	const char	*stream_name;	/* NUL-terminated, valid until the stream table is freed */
	uint32_t	 nrecords;	/* lines in data[] */
	size_t		 len;		/* bytes used in data[] */
	size_t		 cap;		/* bytes allocated for data[] */
	char		 data[];
};

struct queue_stats {
	uint64_t	used_bytes;	/* capacity of all live batches */
	uint64_t	high_water_bytes;
	uint64_t	max_bytes;
	uint64_t	queued_batches;	/* pushed, not yet popped */
	uint64_t	queued_bytes;	/* len of those */
};

/* A queue with a budget of max_bytes.  -errno on failure (eventfd, ENOMEM). */
int		 queue_new(uint64_t max_bytes, struct queue **out);
void		 queue_free(struct queue *q);

/* Loop: a new empty batch of cap bytes, or NULL if the budget (or malloc) can't take it. */
struct batch	*queue_batch_new(struct queue *q, size_t cap);

/* Loop: hands a sealed batch to the writer. */
void		 queue_push(struct queue *q, struct batch *b);

/* Loop: ask for a wake-up (the eventfd) at the next queue_batch_free(). */
void		 queue_want_wake(struct queue *q);

/* Loop: no more pushes; the writer empties the queue, then signals finished. */
void		 queue_close(struct queue *q);

/* Loop: the eventfd to watch, and the call that clears it after it fired. */
int		 queue_wake_fd(const struct queue *q);
void		 queue_wake_clear(struct queue *q);

/* Loop: whether the writer has finished after queue_close(). */
int		 queue_finished(struct queue *q);

/*
 * Writer: the oldest batch, waiting while the queue is empty.  NULL once the
 * queue is closed and empty.
 */
struct batch	*queue_pop(struct queue *q);

/* Writer: frees a written batch and returns its bytes to the budget. */
void		 queue_batch_free(struct queue *q, struct batch *b);

/* Writer: it has written everything after queue_close(); wakes the loop. */
void		 queue_finish(struct queue *q);

/* Any thread: a consistent snapshot of the counters. */
void		 queue_stats(struct queue *q, struct queue_stats *out);

/* Returns 0 if the invariants hold (used <= max, counts match the list). */
int		 queue_check(struct queue *q);

#endif
