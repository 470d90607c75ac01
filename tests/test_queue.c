/* test_queue.c - the batch queue and memory budgets shared by the loop and the writer. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "queue.h"
#include "unit.h"

/* A batch with no line room: for tests of the byte budgets alone. */
#define NEW(q, id, cap)	queue_batch_new((q), (id), "t", (cap), 0, 0)

static int
wake_pending(struct queue *q)
{
	struct pollfd	pfd = { .fd = queue_wake_fd(q), .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

static struct batch *
pop(struct queue *q)
{
	int	timed_out;

	return queue_pop(q, 0, &timed_out);
}

/* Appends a line "<tag> <prio>\n" at priority (or class) prio. */
static void
add(struct batch *b, unsigned prio, const char *tag)
{
	int	n = snprintf(b->data + b->len, b->cap - b->len, "%s %u\n", tag, prio);

	ck_assert_int_gt(n, 0);
	ck_assert_uint_le(b->len + (size_t)n, b->cap);
	batch_add_line(b, (size_t)n, prio);
}

START_TEST(refuses_batch_beyond_budget)
{
	struct queue	*q;
	struct batch	*a, *b;

	ck_assert_int_eq(queue_new(1000, 1000, 4, &q), 0);
	ck_assert_ptr_nonnull(a = NEW(q, 0, 600));
	ck_assert_int_eq(queue_check(q), 0);
	ck_assert_ptr_null(NEW(q, 1, 401));
	ck_assert_ptr_nonnull(b = NEW(q, 1, 400));
	ck_assert_ptr_null(NEW(q, 2, 1));
	ck_assert_int_eq(queue_check(q), 0);
	queue_batch_free(q, a);
	ck_assert_ptr_nonnull(a = NEW(q, 0, 600));
	queue_batch_free(q, a);
	queue_batch_free(q, b);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(line_room_is_charged_too)
{
	struct queue	*q;
	struct batch	*a;

	ck_assert_int_eq(queue_new(1000, 1000, 1, &q), 0);
	ck_assert_ptr_null(queue_batch_new(q, 0, "t", 900, 101, 0));
	ck_assert_ptr_nonnull(a = queue_batch_new(q, 0, "t", 900, 100, 0));
	ck_assert_uint_eq(queue_stream_used(q, 0), 1000);
	queue_batch_free(q, a);
	ck_assert_uint_eq(queue_stream_used(q, 0), 0);
	queue_free(q);
}
END_TEST

START_TEST(one_stream_cannot_take_more_than_its_share)
{
	struct queue	*q;
	struct batch	*a, *b, *c, *big;

	ck_assert_int_eq(queue_new(1000, 250, 4, &q), 0);
	ck_assert_ptr_nonnull(a = NEW(q, 0, 200));
	ck_assert_ptr_null(NEW(q, 0, 51));		/* 251 > 250 */
	ck_assert_ptr_nonnull(b = NEW(q, 0, 50));
	ck_assert_ptr_null(NEW(q, 0, 1));
	/* The other streams still have room. */
	ck_assert_ptr_nonnull(c = NEW(q, 1, 250));
	ck_assert_uint_eq(queue_stream_used(q, 0), 250);
	ck_assert_uint_eq(queue_stream_used(q, 1), 250);
	/* A stream holding nothing may take one batch bigger than its share... */
	ck_assert_ptr_nonnull(big = NEW(q, 2, 400));
	/* ...but never beyond the global budget, and then nothing more. */
	ck_assert_ptr_null(NEW(q, 2, 1));
	ck_assert_ptr_null(NEW(q, 3, 301));
	ck_assert_int_eq(queue_check(q), 0);
	queue_batch_free(q, a);
	ck_assert_ptr_nonnull(a = NEW(q, 0, 200));
	queue_batch_free(q, a);
	queue_batch_free(q, b);
	queue_batch_free(q, c);
	queue_batch_free(q, big);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(force_passes_the_budget)
{
	struct queue		*q;
	struct batch		*a, *b;
	struct queue_stats	 st;

	ck_assert_int_eq(queue_new(100, 100, 1, &q), 0);
	ck_assert_ptr_nonnull(a = NEW(q, 0, 100));
	ck_assert_ptr_null(NEW(q, 0, 10));
	ck_assert_ptr_nonnull(b = queue_batch_new(q, 0, "t", 10, 0, 1));
	queue_stats(q, &st);
	ck_assert_uint_eq(st.used_bytes, 110);
	queue_batch_free(q, a);
	queue_batch_free(q, b);
	queue_free(q);
}
END_TEST

START_TEST(pops_in_push_order_and_counts_bytes)
{
	struct queue		*q;
	struct batch		*b;
	struct queue_stats	 st;
	int			 i;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 5, &q), 0);
	for (i = 0; i < 5; i++) {
		ck_assert_ptr_nonnull(b = queue_batch_new(q, (uint32_t)i, "t", 100, 10, 0));
		add(b, (unsigned)i, "x");
		queue_push(q, b);
		ck_assert_int_eq(queue_check(q), 0);
	}
	queue_stats(q, &st);
	ck_assert_uint_eq(st.queued_batches, 5);
	ck_assert_uint_eq(st.queued_bytes, 5 * 4);
	ck_assert_uint_eq(st.used_bytes, 5 * 110);
	ck_assert_uint_eq(st.high_water_bytes, 5 * 110);
	for (i = 0; i < 5; i++) {
		ck_assert_ptr_nonnull(b = pop(q));
		ck_assert_uint_eq(b->stream_id, (uint32_t)i);
		queue_batch_free(q, b);
		ck_assert_int_eq(queue_check(q), 0);
	}
	queue_stats(q, &st);
	ck_assert_uint_eq(st.used_bytes, 0);
	ck_assert_uint_eq(st.high_water_bytes, 5 * 110);
	queue_free(q);
}
END_TEST

START_TEST(grow_keeps_lines_and_charges_the_difference)
{
	struct queue	*q;
	struct batch	*a, *g;

	ck_assert_int_eq(queue_new(1000, 1000, 1, &q), 0);
	ck_assert_ptr_nonnull(a = queue_batch_new(q, 0, "t", 100, 4, 0));
	add(a, 3, "one");
	add(a, 7, "two");
	/* Beyond the budget: refused, a untouched. */
	ck_assert_ptr_null(queue_batch_grow(q, a, 990, 20));
	ck_assert_uint_eq(queue_stream_used(q, 0), 104);
	ck_assert_ptr_nonnull(g = queue_batch_grow(q, a, 800, 20));
	ck_assert_uint_eq(queue_stream_used(q, 0), 820);
	ck_assert_uint_eq(g->cap, 800);
	ck_assert_uint_eq(g->nrecords, 2);
	ck_assert_mem_eq(g->data, "one 3\ntwo 7\n", g->len);
	ck_assert_uint_eq(g->prios[0], 3);
	ck_assert_uint_eq(g->prios[1], 7);
	add(g, 5, "three");
	queue_push(q, g);
	ck_assert_ptr_nonnull(g = pop(q));
	ck_assert_uint_eq(g->nprio[3] + g->nprio[5] + g->nprio[7], 3);
	queue_batch_free(q, g);
	ck_assert_uint_eq(queue_stream_used(q, 0), 0);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(push_shrinks_only_mostly_empty_batches)
{
	struct queue	*q;
	struct batch	*a, *b;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 2, &q), 0);
	/* Sealed early: 8 bytes of 64 KiB are charged as 8 (+1 line). */
	ck_assert_ptr_nonnull(a = queue_batch_new(q, 0, "t", 65536, 16, 0));
	add(a, 6, "early");
	queue_push(q, a);
	ck_assert_uint_eq(queue_stream_used(q, 0), 8 + 1);
	/* More than half used: kept as it is (and charged so), not copied. */
	ck_assert_ptr_nonnull(b = queue_batch_new(q, 1, "t", 65536, 16, 0));
	memset(b->data, 'x', 40000);
	batch_add_line(b, 40000, 6);
	queue_push(q, b);
	ck_assert_uint_eq(queue_stream_used(q, 1), 65536 + 16);
	ck_assert_ptr_nonnull(a = pop(q));
	ck_assert_uint_eq(a->len, 8);
	ck_assert_mem_eq(a->data, "early 6\n", 8);
	ck_assert_ptr_nonnull(b = pop(q));
	ck_assert_uint_eq(b->len, 40000);
	queue_batch_free(q, a);
	queue_batch_free(q, b);
	ck_assert_uint_eq(queue_stream_used(q, 0) + queue_stream_used(q, 1), 0);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(lowest_sees_only_queued_lines_of_the_stream)
{
	struct queue	*q;
	struct batch	*b, *c;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 2, &q), 0);
	ck_assert_int_eq(queue_lowest(q, 0), -1);
	b = queue_batch_new(q, 0, "t", 100, 10, 0);
	add(b, 3, "a");
	add(b, 6, "b");
	add(b, BATCH_KEEP, "m");
	ck_assert_int_eq(queue_lowest(q, 0), -1);	/* open: not the queue's */
	queue_push(q, b);
	ck_assert_int_eq(queue_lowest(q, 0), 6);
	ck_assert_int_eq(queue_lowest(q, 1), -1);
	c = queue_batch_new(q, 1, "t", 100, 10, 0);
	add(c, 7, "c");
	queue_push(q, c);
	ck_assert_int_eq(queue_lowest(q, 1), 7);
	queue_batch_free(q, pop(q));
	ck_assert_int_eq(queue_lowest(q, 0), -1);	/* popped: the writer's */
	ck_assert_int_eq(queue_check(q), 0);
	queue_batch_free(q, pop(q));
	queue_free(q);
}
END_TEST

START_TEST(drop_takes_out_one_priority_and_frees_its_memory)
{
	struct queue		*q;
	struct batch		*b, *c, *d;
	struct queue_stats	 st;
	uint64_t		 before;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 2, &q), 0);
	b = queue_batch_new(q, 0, "t", 1000, 50, 0);
	add(b, 7, "d1");
	add(b, 6, "i1");
	add(b, BATCH_KEEP, "marker");
	add(b, 7, "d2");
	add(b, 3, "e1");
	queue_push(q, b);
	c = queue_batch_new(q, 0, "t", 1000, 50, 0);
	add(c, 7, "d3");
	queue_push(q, c);
	d = queue_batch_new(q, 1, "t", 1000, 50, 0);
	add(d, 7, "other");
	queue_push(q, d);
	before = queue_stream_used(q, 0);

	ck_assert_uint_eq(queue_drop(q, 0, 5), 0);	/* none at 5 */
	ck_assert_uint_eq(queue_drop(q, 0, BATCH_KEEP), 0);	/* never markers */
	ck_assert_uint_eq(queue_drop(q, 0, 7), 3);
	ck_assert_int_eq(queue_check(q), 0);
	ck_assert_int_eq(queue_lowest(q, 0), 6);
	ck_assert_int_eq(queue_lowest(q, 1), 7);	/* other streams untouched */
	/* The batch left is exactly as big as its lines; the emptied one is gone. */
	ck_assert_uint_lt(queue_stream_used(q, 0), before);
	ck_assert_uint_eq(queue_stream_used(q, 0), strlen("i1 6\nmarker 8\ne1 3\n") + 3);
	queue_stats(q, &st);
	ck_assert_uint_eq(st.queued_batches, 2);

	ck_assert_ptr_nonnull(b = pop(q));
	ck_assert_uint_eq(b->stream_id, 0);
	ck_assert_uint_eq(b->nrecords, 3);
	ck_assert_mem_eq(b->data, "i1 6\nmarker 8\ne1 3\n", b->len);
	ck_assert_uint_eq(b->prios[0], 6);
	ck_assert_uint_eq(b->prios[1], BATCH_KEEP);
	ck_assert_uint_eq(b->prios[2], 3);
	queue_batch_free(q, b);
	ck_assert_ptr_nonnull(b = pop(q));
	ck_assert_uint_eq(b->stream_id, 1);
	queue_batch_free(q, b);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(wakes_loop_only_when_asked)
{
	struct queue	*q;
	struct batch	*b;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 1, &q), 0);
	b = NEW(q, 0, 10);
	queue_push(q, b);
	queue_batch_free(q, pop(q));
	ck_assert_int_eq(wake_pending(q), 0);

	b = NEW(q, 0, 10);
	queue_push(q, b);
	queue_want_wake(q);
	queue_batch_free(q, pop(q));
	ck_assert_int_eq(wake_pending(q), 1);
	queue_wake_clear(q);
	ck_assert_int_eq(wake_pending(q), 0);
	queue_free(q);
}
END_TEST

START_TEST(pop_returns_at_its_deadline)
{
	struct queue	*q;
	uint64_t	 t0 = clock_ms(CLOCK_MONOTONIC);
	int		 timed_out;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 1, &q), 0);
	ck_assert_ptr_null(queue_pop(q, t0 + 20, &timed_out));
	ck_assert_int_eq(timed_out, 1);
	ck_assert_uint_ge(clock_ms(CLOCK_MONOTONIC), t0 + 20);
	queue_push(q, NEW(q, 0, 10));
	queue_batch_free(q, queue_pop(q, t0 + 20, &timed_out));
	ck_assert_int_eq(timed_out, 0);
	queue_close(q);
	ck_assert_ptr_null(queue_pop(q, clock_ms(CLOCK_MONOTONIC) + 10000, &timed_out));
	ck_assert_int_eq(timed_out, 0);
	queue_free(q);
}
END_TEST

START_TEST(close_lets_writer_empty_queue_then_ends)
{
	struct queue	*q;
	struct batch	*b;

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 1, &q), 0);
	queue_push(q, NEW(q, 0, 10));
	queue_push(q, NEW(q, 0, 10));
	queue_close(q);
	ck_assert_ptr_nonnull(b = pop(q));
	queue_batch_free(q, b);
	ck_assert_ptr_nonnull(b = pop(q));
	queue_batch_free(q, b);
	ck_assert_ptr_null(pop(q));
	ck_assert_int_eq(queue_finished(q), 0);
	queue_finish(q);
	ck_assert_int_eq(queue_finished(q), 1);
	ck_assert_int_eq(wake_pending(q), 1);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

static void *
pop_one(void *arg)
{
	return pop(arg);
}

/* A waiting writer is woken by queue_flush(), a refused batch, or QUEUE_WAKE_BYTES queued. */
START_TEST(writer_wakes_on_flush_refusal_or_a_megabyte)
{
	struct queue	*q;
	struct batch	*b;
	void		*got;
	pthread_t	 t;

	ck_assert_int_eq(queue_new(64 << 20, 64 << 20, 1, &q), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, pop_one, q), 0);
	ck_assert_ptr_nonnull(b = queue_batch_new(q, 0, "t", 100, 4, 0));
	add(b, 6, "small");
	queue_push(q, b);
	queue_flush(q);
	ck_assert_int_eq(pthread_join(t, &got), 0);
	ck_assert_ptr_nonnull(got);
	queue_batch_free(q, got);

	/* A batch the budget refuses wakes it too: only the writer frees memory. */
	ck_assert_int_eq(pthread_create(&t, NULL, pop_one, q), 0);
	ck_assert_ptr_nonnull(b = queue_batch_new(q, 0, "t", 100, 4, 0));
	add(b, 6, "small");
	queue_push(q, b);
	ck_assert_ptr_null(NEW(q, 0, 64 << 20));
	ck_assert_int_eq(pthread_join(t, &got), 0);
	ck_assert_ptr_nonnull(got);
	queue_batch_free(q, got);

	ck_assert_int_eq(pthread_create(&t, NULL, pop_one, q), 0);
	ck_assert_ptr_nonnull(b = NEW(q, 0, QUEUE_WAKE_BYTES));
	memset(b->data, 'x', QUEUE_WAKE_BYTES);
	b->len = QUEUE_WAKE_BYTES;
	queue_push(q, b);
	ck_assert_int_eq(pthread_join(t, &got), 0);
	ck_assert_ptr_nonnull(got);
	queue_batch_free(q, got);
	ck_assert_int_eq(queue_check(q), 0);
	queue_free(q);
}
END_TEST

/* A writer thread consuming while the loop produces (and drops) at the budget's edge. */
struct consumer {
	struct queue	*q;
	uint64_t	 lines;
	uint64_t	 n;
};

static void *
consume(void *arg)
{
	struct consumer	*c = arg;
	struct batch	*b;

	while ((b = pop(c->q)) != NULL) {
		c->lines += b->nrecords;
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
	uint64_t		 i, pushed = 0, dropped = 0;
	struct pollfd		 pfd;

	ck_assert_int_eq(queue_new(4096, 2048, 2, &c.q), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, consume, &c), 0);
	pfd.fd = queue_wake_fd(c.q);
	pfd.events = POLLIN;
	for (i = 0; i < 20000; i++) {
		while ((b = queue_batch_new(c.q, (uint32_t)(i & 1), "t", 900, 100, 0)) == NULL) {
			/* Stream 1 drops its debug lines; stream 0 waits, as the loop does. */
			if ((i & 1) && (dropped += queue_drop(c.q, 1, 7)) > 0)
				continue;
			queue_want_wake(c.q);
			if ((b = queue_batch_new(c.q, (uint32_t)(i & 1), "t", 900, 100, 0)) != NULL)
				break;
			ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
			queue_wake_clear(c.q);
		}
		add(b, 6, "info");
		add(b, 7, "debug");
		pushed += 2;
		queue_push(c.q, b);
	}
	queue_close(c.q);
	pthread_join(t, NULL);
	ck_assert_uint_eq(c.lines + dropped, pushed);
	queue_stats(c.q, &st);
	ck_assert_uint_le(st.high_water_bytes, 4096);
	ck_assert_uint_eq(st.used_bytes, 0);
	ck_assert_uint_eq(queue_stream_used(c.q, 0), 0);
	ck_assert_uint_eq(queue_stream_used(c.q, 1), 0);
	ck_assert_int_eq(queue_check(c.q), 0);
	queue_free(c.q);
}
END_TEST

START_TEST(fail_frees_the_streams_queued_batches_and_counts_them)
{
	struct queue		*q;
	struct batch		*a, *b, *c;
	struct batch_loss	 gone = { 0 };
	char			 marker[] = "2025-11-22T12:00:00.123456Z warning [logd] dropped 9 "
				     "records: x\n";

	ck_assert_int_eq(queue_new(1 << 20, 1 << 20, 2, &q), 0);
	a = queue_batch_new(q, 0, "t", 1000, 50, 0);
	add(a, 6, "a");
	memcpy(batch_end(a), marker, sizeof(marker) - 1);
	batch_add_line(a, sizeof(marker) - 1, BATCH_KEEP);
	add(a, 3, "b");
	queue_push(q, a);
	b = queue_batch_new(q, 1, "u", 1000, 50, 0);
	add(b, 6, "other stream");
	queue_push(q, b);
	c = queue_batch_new(q, 0, "t", 1000, 50, 0);
	add(c, 6, "c");
	queue_push(q, c);
	ck_assert_int_eq(queue_failed(q, 0), 0);
	ck_assert_int_eq(queue_add_lost(q, 0, 5), 0);	/* not failed: nothing counted */
	queue_fail(q, 0, 2, &gone);
	ck_assert_int_eq(queue_failed(q, 0), 1);
	ck_assert_int_eq(queue_failed(q, 1), 0);
	ck_assert_uint_eq(gone.lines, 4);
	ck_assert_uint_eq(gone.records, 3);
	ck_assert_uint_eq(gone.reported, 9);
	ck_assert_uint_eq(queue_stream_used(q, 0), 0);	/* freed at once */
	ck_assert_int_eq(queue_take_news(q), 1);
	ck_assert_int_eq(queue_take_news(q), 0);
	ck_assert_int_eq(wake_pending(q), 1);
	ck_assert_int_eq(queue_check(q), 0);
	ck_assert_int_eq(queue_add_lost(q, 0, 4), 1);
	ck_assert_ptr_nonnull(b = pop(q));		/* the other stream's is still there */
	ck_assert_uint_eq(b->stream_id, 1);
	queue_batch_free(q, b);
	/* 2 held by the writer, 3 records and 9 they reported, 4 dropped by the loop. */
	ck_assert_uint_eq(queue_recover(q, 0), 2 + 3 + 9 + 4);
	ck_assert_int_eq(queue_failed(q, 0), 0);
	ck_assert_uint_eq(queue_recover(q, 0), 0);
	queue_free(q);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite	*s = suite_create("queue");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, refuses_batch_beyond_budget);
	tcase_add_test(tc, line_room_is_charged_too);
	tcase_add_test(tc, one_stream_cannot_take_more_than_its_share);
	tcase_add_test(tc, force_passes_the_budget);
	tcase_add_test(tc, pops_in_push_order_and_counts_bytes);
	tcase_add_test(tc, grow_keeps_lines_and_charges_the_difference);
	tcase_add_test(tc, push_shrinks_only_mostly_empty_batches);
	tcase_add_test(tc, lowest_sees_only_queued_lines_of_the_stream);
	tcase_add_test(tc, drop_takes_out_one_priority_and_frees_its_memory);
	tcase_add_test(tc, wakes_loop_only_when_asked);
	tcase_add_test(tc, fail_frees_the_streams_queued_batches_and_counts_them);
	tcase_add_test(tc, pop_returns_at_its_deadline);
	tcase_add_test(tc, close_lets_writer_empty_queue_then_ends);
	tcase_add_test(tc, writer_wakes_on_flush_refusal_or_a_megabyte);
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
