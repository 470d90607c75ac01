/*
 * queue.c - sealed batches between the loop and the writer (see queue.h).
 * Invariant: used_bytes <= max_bytes; queued_batches/queued_bytes match the list.
 */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct queue {
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;		/* writer: a batch was pushed, or the queue closed */
	struct batch	*head;
	struct batch	*tail;
	uint64_t	 max_bytes;
	uint64_t	 used_bytes;
	uint64_t	 high_water_bytes;
	uint64_t	 queued_batches;
	uint64_t	 queued_bytes;
	int		 want_wake;	/* the loop waits for memory */
	int		 closed;
	int		 finished;
	int		 wake_fd;	/* eventfd: writer -> loop */
};

int
queue_new(uint64_t max_bytes, struct queue **out)
{
	struct queue	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	if ((q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(q);
		return -errno;
	}
	pthread_mutex_init(&q->mtx, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->max_bytes = max_bytes;
	*out = q;
	return 0;
}

void
queue_free(struct queue *q)
{
	struct batch	*b;

	if (q == NULL)
		return;
	while ((b = q->head) != NULL) {
		q->head = b->next;
		free(b);
	}
	close(q->wake_fd);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->mtx);
	free(q);
}

struct batch *
queue_batch_new(struct queue *q, size_t cap)
{
	struct batch	*b;
	int		 ok;

	pthread_mutex_lock(&q->mtx);
	ok = cap <= q->max_bytes - q->used_bytes;
	if (ok) {
		q->used_bytes += cap;
		if (q->used_bytes > q->high_water_bytes)
			q->high_water_bytes = q->used_bytes;
	}
	pthread_mutex_unlock(&q->mtx);
	if (!ok)
		return NULL;
	if ((b = malloc(sizeof(*b) + cap)) == NULL) {
		pthread_mutex_lock(&q->mtx);
		q->used_bytes -= cap;
		pthread_mutex_unlock(&q->mtx);
		return NULL;
	}
	b->next = NULL;
	b->stream_id = 0;
	b->stream_name = NULL;
	b->nrecords = 0;
	b->len = 0;
	b->cap = cap;
	return b;
}

void
queue_push(struct queue *q, struct batch *b)
{
	pthread_mutex_lock(&q->mtx);
	b->next = NULL;
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->queued_batches++;
	q->queued_bytes += b->len;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mtx);
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

int
queue_finished(struct queue *q)
{
	int	f;

	pthread_mutex_lock(&q->mtx);
	f = q->finished;
	pthread_mutex_unlock(&q->mtx);
	return f;
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

struct batch *
queue_pop(struct queue *q)
{
	struct batch	*b;

	pthread_mutex_lock(&q->mtx);
	while (q->head == NULL && !q->closed)
		pthread_cond_wait(&q->cond, &q->mtx);
	if ((b = q->head) != NULL) {
		q->head = b->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->queued_batches--;
		q->queued_bytes -= b->len;
		b->next = NULL;
	}
	pthread_mutex_unlock(&q->mtx);
	return b;
}

void
queue_batch_free(struct queue *q, struct batch *b)
{
	size_t	cap = b->cap;

	free(b);
	pthread_mutex_lock(&q->mtx);
	q->used_bytes -= cap;
	if (q->want_wake) {
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

int
queue_check(struct queue *q)
{
	struct batch	*b;
	uint64_t	 n = 0, bytes = 0, cap = 0;
	int		 rc = 0;

	pthread_mutex_lock(&q->mtx);
	for (b = q->head; b != NULL; b = b->next) {
		n++;
		bytes += b->len;
		cap += b->cap;
		if (b->len > b->cap || (b->next == NULL && b != q->tail))
			rc = -EINVAL;
	}
	if (q->used_bytes > q->max_bytes || n != q->queued_batches ||
	    bytes != q->queued_bytes || cap > q->used_bytes ||
	    q->high_water_bytes < q->used_bytes)
		rc = -EINVAL;
	pthread_mutex_unlock(&q->mtx);
	return rc;
}
