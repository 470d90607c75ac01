/* test_queue.c - the batch queue and memory budget shared by the loop and the writer. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "queue.h"
#include "unit.h"

static int
wake_pending(struct queue *q)
{
	struct pollfd	pfd = { .fd = queue_wake_fd(q), .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

START_TEST(refuses_batch_beyond_budget)
{
	struct queue	*q;
	struct batch	*a, *b;

	ck_assert_int_eq(queue_new(1000, &q), 0);
	ck_assert_ptr_nonnull(a = queue_batch_new(q, 600));
	ck_assert_int_eq(queue_check(q), 0);
	ck_assert_ptr_null(queue_batch_new(q, 401));
	ck_assert_ptr_nonnull(b = queue_batch_new(q, 400));
	ck_assert_ptr_null(queue_batch_new(q, 1));
	ck_assert_int_eq(queue_check(q), 0);
	queue_batch_free(q, a);
	ck_assert_ptr_nonnull(a = queue_batch_new(q, 600));
	queue_batch_free(q, a);
	queue_batch_free(q, b);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(pops_in_push_order_and_counts_bytes)
{
	struct queue		*q;
	struct batch		*b;
	struct queue_stats	 st;
	int			 i;

	ck_assert_int_eq(queue_new(1 << 20, &q), 0);
	for (i = 0; i < 5; i++) {
		ck_assert_ptr_nonnull(b = queue_batch_new(q, 100));
		b->stream_id = (uint32_t)i;
		b->len = (size_t)(10 + i);
		queue_push(q, b);
		ck_assert_int_eq(queue_check(q), 0);
	}
	queue_stats(q, &st);
	ck_assert_uint_eq(st.queued_batches, 5);
	ck_assert_uint_eq(st.queued_bytes, 10 + 11 + 12 + 13 + 14);
	ck_assert_uint_eq(st.used_bytes, 500);
	ck_assert_uint_eq(st.high_water_bytes, 500);
	for (i = 0; i < 5; i++) {
		ck_assert_ptr_nonnull(b = queue_pop(q));
		ck_assert_uint_eq(b->stream_id, (uint32_t)i);
		queue_batch_free(q, b);
		ck_assert_int_eq(queue_check(q), 0);
	}
	queue_stats(q, &st);
	ck_assert_uint_eq(st.used_bytes, 0);
	ck_assert_uint_eq(st.high_water_bytes, 500);
	queue_free(q);
}
END_TEST

START_TEST(wakes_loop_only_when_asked)
{
	struct queue	*q;
	struct batch	*b;

	ck_assert_int_eq(queue_new(1 << 20, &q), 0);
	b = queue_batch_new(q, 10);
	queue_push(q, b);
	queue_batch_free(q, queue_pop(q));
	ck_assert_int_eq(wake_pending(q), 0);

	b = queue_batch_new(q, 10);
	queue_push(q, b);
	queue_want_wake(q);
	queue_batch_free(q, queue_pop(q));
	ck_assert_int_eq(wake_pending(q), 1);
	queue_wake_clear(q);
	ck_assert_int_eq(wake_pending(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(close_lets_writer_empty_queue_then_ends)
{
	struct queue	*q;
	struct batch	*b;

	ck_assert_int_eq(queue_new(1 << 20, &q), 0);
	queue_push(q, queue_batch_new(q, 10));
	queue_push(q, queue_batch_new(q, 10));
	queue_close(q);
	ck_assert_ptr_nonnull(b = queue_pop(q));
	queue_batch_free(q, b);
	ck_assert_ptr_nonnull(b = queue_pop(q));
	queue_batch_free(q, b);
	ck_assert_ptr_null(queue_pop(q));
	ck_assert_int_eq(queue_finished(q), 0);
	queue_finish(q);
	ck_assert_int_eq(queue_finished(q), 1);
	ck_assert_int_eq(wake_pending(q), 1);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

/* A writer thread consuming while the loop produces at the budget's edge. */
struct consumer {
	struct queue	*q;
	uint64_t	 sum;
	uint64_t	 n;
};

static void *
consume(void *arg)
{
	struct consumer	*c = arg;
	struct batch	*b;

	while ((b = queue_pop(c->q)) != NULL) {
		c->sum += b->stream_id;
		c->n++;
		queue_batch_free(c->q, b);
	}
	queue_finish(c->q);
	return NULL;
}

START_TEST(producer_and_consumer_threads_never_exceed_budget)
{
	struct consumer		 c = { 0 };
	struct queue_stats	 st;
	struct batch		*b;
	pthread_t		 t;
	uint64_t		 i, want = 0;
	struct pollfd		 pfd;

	ck_assert_int_eq(queue_new(4096, &c.q), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, consume, &c), 0);
	pfd.fd = queue_wake_fd(c.q);
	pfd.events = POLLIN;
	for (i = 0; i < 20000; i++) {
		while ((b = queue_batch_new(c.q, 1000)) == NULL) {
			/* As the loop does: ask for a wake, look again, then sleep on the eventfd. */
			queue_want_wake(c.q);
			if ((b = queue_batch_new(c.q, 1000)) != NULL)
				break;
			ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
			queue_wake_clear(c.q);
		}
		b->stream_id = (uint32_t)i;
		want += i;
		queue_push(c.q, b);
	}
	queue_close(c.q);
	pthread_join(t, NULL);
	ck_assert_uint_eq(c.n, 20000);
	ck_assert_uint_eq(c.sum, want);
	queue_stats(c.q, &st);
	ck_assert_uint_le(st.high_water_bytes, 4096);
	ck_assert_uint_eq(st.used_bytes, 0);
	ck_assert_int_eq(queue_check(c.q), 0);
	queue_free(c.q);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite	*s = suite_create("queue");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, refuses_batch_beyond_budget);
	tcase_add_test(tc, pops_in_push_order_and_counts_bytes);
	tcase_add_test(tc, wakes_loop_only_when_asked);
	tcase_add_test(tc, close_lets_writer_empty_queue_then_ends);
	tcase_add_test(tc, producer_and_consumer_threads_never_exceed_budget);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(queue_suite());
}
