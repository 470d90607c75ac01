/*
 * queue.c - sealed batches between the loop and the writer (see queue.h).
 * Invariants: used_bytes <= max_bytes (unless forced); each stream's used
 * is the cost of its live batches; queued_batches/queued_bytes and every
 * stream's queued list and nlines[] match the global list.
 */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

TAILQ_HEAD(batch_list, batch);

struct queue_stream {
	uint64_t		max;			/* its share of the budget */
	uint64_t		used;			/* cost of its live batches */
	struct batch_list	queued;			/* pushed, not yet popped */
	uint64_t		nlines[BATCH_NCLASS];	/* lines in those, by class */
	_Atomic int		failed;			/* unwritable: its records are dropped */
	uint64_t		lost;			/* dropped while failed, and their reports */
};

struct queue {
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;		/* writer: a batch was pushed, or the queue closed */
	struct batch_list	 list;
	struct queue_stream	*streams;	/* by stream id */
	uint32_t		 max_streams;
	uint64_t		 max_bytes;
	uint64_t		 used_bytes;
	uint64_t		 high_water_bytes;
	uint64_t		 queued_batches;
	uint64_t		 queued_bytes;
	uint64_t		 wake_bytes;	/* queue_push() wakes the writer from this many */
	int			 want_wake;	/* the loop waits for memory */
	int			 news;		/* a stream failed since queue_take_news() */
	int			 kicked;	/* queue_kick(): the writer has something to do */
	int			 closed;
	int			 finished;
	int			 wake_fd;	/* eventfd: writer -> loop */
};

int
queue_new(uint64_t max_bytes, uint64_t stream_max_bytes, uint32_t max_streams,
    struct queue **out)
{
	pthread_condattr_t	 ca;
	struct queue		*q;
	uint32_t		 i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	if ((q->streams = calloc(max_streams, sizeof(*q->streams))) == NULL) {
		free(q);
		return -ENOMEM;
	}
	if ((q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(q->streams);
		free(q);
		return -errno;
	}
	for (i = 0; i < max_streams; i++) {
		TAILQ_INIT(&q->streams[i].queued);
		q->streams[i].max = stream_max_bytes;
	}
	TAILQ_INIT(&q->list);
	pthread_mutex_init(&q->mtx, NULL);
	/* The writer's deadlines are CLOCK_MONOTONIC: the wall clock may jump. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	q->max_streams = max_streams;
	q->max_bytes = max_bytes;
	q->wake_bytes = max_bytes / 16 < QUEUE_WAKE_BYTES ? max_bytes / 16 : QUEUE_WAKE_BYTES;
	*out = q;
	return 0;
}

void
queue_free(struct queue *q)
{
	struct batch	*b;

	if (q == NULL)
		return;
	while ((b = TAILQ_FIRST(&q->list)) != NULL) {
		TAILQ_REMOVE(&q->list, b, link);
		free(b);
	}
	close(q->wake_fd);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mtx);
	free(q->streams);
	free(q);
}

/* Called with the mutex held. */
static void
queue_charge(struct queue *q, uint32_t id, size_t cost)
{
	q->used_bytes += cost;
	q->streams[id].used += cost;
	if (q->used_bytes > q->high_water_bytes)
		q->high_water_bytes = q->used_bytes;
}

/* Called with the mutex held. */
static void
queue_uncharge(struct queue *q, uint32_t id, size_t cost)
{
	q->used_bytes -= cost;
	q->streams[id].used -= cost;
}

/* Called with the mutex held. */
static int
queue_fits(const struct queue *q, uint32_t id, size_t cost)
{
	uint64_t	sused = q->streams[id].used, smax = q->streams[id].max;

	if (q->used_bytes > q->max_bytes || cost > q->max_bytes - q->used_bytes)
		return 0;
	if (sused == 0)
		return 1;	/* one batch, however big: the record must get through */
	return sused <= smax && cost <= smax - sused;
}

/* Called with the mutex held. */
static void
queue_wake_loop(struct queue *q)
{
	uint64_t	one = 1;

	/* The counter saturates far beyond anything we write; a failed write can only be EAGAIN. */
	if (write(q->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/* Called with the mutex held: wakes the writer if anything is queued. */
static void
queue_wake_writer(struct queue *q)
{
	if (q->queued_batches > 0)
		pthread_cond_signal(&q->cond);
}

/*
 * Charges cost to stream_id if the budgets have room for it (or force).
 * If not, only the writer can free memory: it must not sleep on what is
 * queued (queue_push() may have left it asleep).
 */
static int
queue_take(struct queue *q, uint32_t stream_id, size_t cost, int force)
{
	int	ok;

	pthread_mutex_lock(&q->mtx);
	ok = force || queue_fits(q, stream_id, cost);
	if (ok)
		queue_charge(q, stream_id, cost);
	else
		queue_wake_writer(q);
	pthread_mutex_unlock(&q->mtx);
	return ok;
}

static void
queue_give_back(struct queue *q, uint32_t stream_id, size_t cost)
{
	pthread_mutex_lock(&q->mtx);
	queue_uncharge(q, stream_id, cost);
	pthread_mutex_unlock(&q->mtx);
}

struct batch *
queue_batch_new(struct queue *q, uint32_t stream_id, const char *name, size_t cap,
    uint32_t max_lines, int force)
{
	struct batch	*b;
	size_t		 cost = BATCH_COST(cap, max_lines);

	if (!queue_take(q, stream_id, cost, force))
		return NULL;
	if ((b = batch_new(stream_id, name, cap, max_lines)) == NULL)
		queue_give_back(q, stream_id, cost);
	return b;
}

struct batch *
queue_batch_grow(struct queue *q, struct batch *b, size_t cap, uint32_t max_lines)
{
	struct batch	*nb;
	size_t		 more = BATCH_COST(cap, max_lines) - b->cost;

	if (cap < b->cap || max_lines < b->max_lines || !queue_take(q, b->stream_id, more, 0))
		return NULL;
	if ((nb = batch_resize(b, cap, max_lines)) == NULL)
		queue_give_back(q, b->stream_id, more);
	return nb;
}

/*
 * A batch sealed early (the flush timer, a crit record) is mostly empty:
 * give the room it will never use back to the budgets, by moving its lines
 * to a batch of their size.  (Not realloc(): shrinking in place leaves
 * holes that the next full-size batch cannot use, and memory grows past the
 * budget.)  Loop thread, before the batch is in the queue.
 */
static struct batch *
queue_trim(struct queue *q, struct batch *b)
{
	struct batch	*nb;
	size_t		 cost = BATCH_COST(b->len, b->nrecords);

	/* At least half used: the copy would cost more than the room it gives back. */
	if (b->cost - cost < QUEUE_TRIM_MIN || b->cost - cost < b->cost / 2 ||
	    (nb = batch_copy_fit(b)) == NULL)
		return b;
	queue_give_back(q, b->stream_id, b->cost - cost);
	free(b);
	return nb;
}

void
queue_push(struct queue *q, struct batch *b)
{
	struct queue_stream	*qs = &q->streams[b->stream_id];
	unsigned		 i;

	b = queue_trim(q, b);
	pthread_mutex_lock(&q->mtx);
	TAILQ_INSERT_TAIL(&q->list, b, link);
	TAILQ_INSERT_TAIL(&qs->queued, b, slink);
	for (i = 0; i < BATCH_NCLASS; i++)
		qs->nlines[i] += b->nprio[i];
	q->queued_batches++;
	q->queued_bytes += b->len;
	if (q->queued_bytes >= q->wake_bytes)
		pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
}

void
queue_flush(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	queue_wake_writer(q);
	pthread_mutex_unlock(&q->mtx);
}

/* Called with the mutex held: b leaves the queue (popped or emptied). */
static void
queue_unlink(struct queue *q, struct batch *b)
{
	struct queue_stream	*qs = &q->streams[b->stream_id];
	unsigned		 i;

	TAILQ_REMOVE(&q->list, b, link);
	TAILQ_REMOVE(&qs->queued, b, slink);
	for (i = 0; i < BATCH_NCLASS; i++)
		qs->nlines[i] -= b->nprio[i];
	q->queued_batches--;
	q->queued_bytes -= b->len;
}

int
queue_lowest(struct queue *q, uint32_t stream_id)
{
	int	prio;

	pthread_mutex_lock(&q->mtx);
	for (prio = BATCH_NPRIO - 1; prio >= 0; prio--)
		if (q->streams[stream_id].nlines[prio] > 0)
			break;
	pthread_mutex_unlock(&q->mtx);
	return prio;
}

/* Called with the mutex held.  Replaces queued batch b by a copy without prio's lines. */
static uint32_t
queue_shrink(struct queue *q, struct batch *b, unsigned prio)
{
	struct queue_stream	*qs = &q->streams[b->stream_id];
	struct batch		*nb = NULL;
	uint32_t		 dropped = b->nprio[prio], i;

	if (dropped < b->nrecords) {
		if ((nb = batch_copy_without(b, prio)) == NULL)
			return 0;	/* keep it as it is: nothing is lost, nothing freed */
		TAILQ_INSERT_BEFORE(b, nb, link);
		TAILQ_INSERT_BEFORE(b, nb, slink);
		q->queued_bytes += nb->len;
		for (i = 0; i < BATCH_NCLASS; i++)
			qs->nlines[i] += nb->nprio[i];
		q->queued_batches++;
		queue_charge(q, nb->stream_id, nb->cost);
	}
	queue_unlink(q, b);
	queue_uncharge(q, b->stream_id, b->cost);
	free(b);
	return dropped;
}

uint32_t
queue_drop(struct queue *q, uint32_t stream_id, unsigned prio)
{
	struct queue_stream	*qs = &q->streams[stream_id];
	struct batch		*b, *next;
	uint32_t		 dropped = 0;

	if (prio >= BATCH_NPRIO)
		return 0;
	pthread_mutex_lock(&q->mtx);
	for (b = TAILQ_FIRST(&qs->queued); b != NULL; b = next) {
		next = TAILQ_NEXT(b, slink);
		if (b->nprio[prio] > 0)
			dropped += queue_shrink(q, b, prio);
	}
	pthread_mutex_unlock(&q->mtx);
	return dropped;
}

void
queue_fail(struct queue *q, uint32_t stream_id, uint64_t lost, struct batch_loss *gone)
{
	struct queue_stream	*qs = &q->streams[stream_id];
	struct batch_loss	 loss;
	struct batch		*b;

	pthread_mutex_lock(&q->mtx);
	atomic_store_explicit(&qs->failed, 1, memory_order_relaxed);
	qs->lost = stats_sat_add(qs->lost, lost);
	while ((b = TAILQ_FIRST(&qs->queued)) != NULL) {
		memset(&loss, 0, sizeof(loss));
		batch_loss(b, 0, &loss);
		qs->lost = stats_sat_add(qs->lost, stats_sat_add(loss.records, loss.reported));
		gone->lines += loss.lines;
		gone->records += loss.records;
		gone->reported += loss.reported;
		queue_unlink(q, b);
		queue_uncharge(q, stream_id, b->cost);
		free(b);
	}
	/* The loop frees the batch it is filling, and reads again if it waited for memory. */
	q->news = 1;
	q->want_wake = 0;
	queue_wake_loop(q);
	pthread_mutex_unlock(&q->mtx);
}

int
queue_failed(const struct queue *q, uint32_t stream_id)
{
	return atomic_load_explicit(&q->streams[stream_id].failed, memory_order_relaxed);
}

const _Atomic int *
queue_failed_flag(const struct queue *q, uint32_t stream_id)
{
	return &q->streams[stream_id].failed;
}

int
queue_add_lost(struct queue *q, uint32_t stream_id, uint64_t n)
{
	struct queue_stream	*qs = &q->streams[stream_id];
	int			 failed;

	pthread_mutex_lock(&q->mtx);
	if ((failed = atomic_load_explicit(&qs->failed, memory_order_relaxed)))
		qs->lost = stats_sat_add(qs->lost, n);
	pthread_mutex_unlock(&q->mtx);
	return failed;
}

uint64_t
queue_recover(struct queue *q, uint32_t stream_id)
{
	struct queue_stream	*qs = &q->streams[stream_id];
	uint64_t		 lost;

	pthread_mutex_lock(&q->mtx);
	atomic_store_explicit(&qs->failed, 0, memory_order_relaxed);
	lost = qs->lost;
	qs->lost = 0;
	pthread_mutex_unlock(&q->mtx);
	return lost;
}

int
queue_take_news(struct queue *q)
{
	int	news;

	pthread_mutex_lock(&q->mtx);
	news = q->news;
	q->news = 0;
	pthread_mutex_unlock(&q->mtx);
	return news;
}

void
queue_want_wake(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	q->want_wake = 1;
	pthread_mutex_unlock(&q->mtx);
}

void
queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	q->closed = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
}

int
queue_wake_fd(const struct queue *q)
{
	return q->wake_fd;
}

void
queue_wake_clear(struct queue *q)
{
	uint64_t	v;

	/* EAGAIN means nothing was pending: nothing to clear. */
	if (read(q->wake_fd, &v, sizeof(v)) < 0)
		return;
}

void
queue_kick(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	q->kicked = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
}

int
queue_finished(struct queue *q)
{
	int	f;

	pthread_mutex_lock(&q->mtx);
	f = q->finished;
	pthread_mutex_unlock(&q->mtx);
	return f;
}

struct batch *
queue_pop(struct queue *q, uint64_t deadline_ms, int *timed_out)
{
	struct timespec	 ts = { .tv_sec = (time_t)(deadline_ms / 1000),
			    .tv_nsec = (long)(deadline_ms % 1000) * 1000000 };
	struct batch	*b;

	*timed_out = 0;
	pthread_mutex_lock(&q->mtx);
	while (TAILQ_EMPTY(&q->list) && !q->closed) {
		if (q->kicked) {
			*timed_out = 1;
			break;
		}
		if (deadline_ms == 0)
			pthread_cond_wait(&q->cond, &q->mtx);
		else if (pthread_cond_timedwait(&q->cond, &q->mtx, &ts) == ETIMEDOUT) {
			*timed_out = TAILQ_EMPTY(&q->list) && !q->closed;
			break;
		}
	}
	q->kicked = 0;
	if ((b = TAILQ_FIRST(&q->list)) != NULL)
		queue_unlink(q, b);
	pthread_mutex_unlock(&q->mtx);
	return b;
}

void
queue_batch_free(struct queue *q, struct batch *b)
{
	uint32_t	id = b->stream_id;
	size_t		cost = b->cost;

	free(b);
	pthread_mutex_lock(&q->mtx);
	queue_uncharge(q, id, cost);
	/*
	 * Wake the waiting loop once an eighth of the budget is free, or the
	 * queue is empty: not for every small batch, which would cost a wake-up
	 * (and a stop) per batch while the writer catches up.
	 */
	if (q->want_wake && (q->used_bytes <= q->max_bytes - q->max_bytes / 8 ||
	    TAILQ_EMPTY(&q->list))) {
		q->want_wake = 0;
		queue_wake_loop(q);
	}
	pthread_mutex_unlock(&q->mtx);
}

void
queue_finish(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	q->finished = 1;
	queue_wake_loop(q);
	pthread_mutex_unlock(&q->mtx);
}

void
queue_notify(struct queue *q)
{
	pthread_mutex_lock(&q->mtx);
	queue_wake_loop(q);
	pthread_mutex_unlock(&q->mtx);
}

void
queue_stats(struct queue *q, struct queue_stats *out)
{
	pthread_mutex_lock(&q->mtx);
	out->used_bytes = q->used_bytes;
	out->high_water_bytes = q->high_water_bytes;
	out->max_bytes = q->max_bytes;
	out->queued_batches = q->queued_batches;
	out->queued_bytes = q->queued_bytes;
	pthread_mutex_unlock(&q->mtx);
}

void
queue_set_share(struct queue *q, uint32_t stream_id, uint64_t max_bytes)
{
	pthread_mutex_lock(&q->mtx);
	q->streams[stream_id].max = max_bytes;
	pthread_mutex_unlock(&q->mtx);
}

uint64_t
queue_stream_used(struct queue *q, uint32_t stream_id)
{
	uint64_t	used;

	pthread_mutex_lock(&q->mtx);
	used = q->streams[stream_id].used;
	pthread_mutex_unlock(&q->mtx);
	return used;
}

int
queue_check(struct queue *q)
{
	struct batch	*b;
	uint64_t	 n = 0, bytes = 0, cost = 0, lines[BATCH_NCLASS];
	uint32_t	 id;
	unsigned	 i;
	int		 rc = 0;

	pthread_mutex_lock(&q->mtx);
	TAILQ_FOREACH(b, &q->list, link) {
		n++;
		bytes += b->len;
		cost += b->cost;
		if (batch_check(b) < 0 || b->stream_id >= q->max_streams)
			rc = -EINVAL;
	}
	if (q->used_bytes > q->max_bytes || n != q->queued_batches ||
	    bytes != q->queued_bytes || cost > q->used_bytes ||
	    q->high_water_bytes < q->used_bytes)
		rc = -EINVAL;
	for (id = 0; id < q->max_streams && rc == 0; id++) {
		memset(lines, 0, sizeof(lines));
		TAILQ_FOREACH(b, &q->streams[id].queued, slink) {
			if (b->stream_id != id)
				rc = -EINVAL;
			for (i = 0; i < BATCH_NCLASS; i++)
				lines[i] += b->nprio[i];
		}
		if (memcmp(lines, q->streams[id].nlines, sizeof(lines)) != 0)
			rc = -EINVAL;
	}
	pthread_mutex_unlock(&q->mtx);
	return rc;
}
