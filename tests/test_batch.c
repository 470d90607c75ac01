/* test_batch.c - the line container: lines, classes, resizing, copies, drops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "unit.h"

/* Appends a line "<tag> <prio>\n" at priority (or class) prio. */
static void
add(struct batch *b, unsigned prio, const char *tag)
{
	int	n = snprintf(batch_end(b), batch_room(b), "%s %u\n", tag, prio);

	ck_assert_int_gt(n, 0);
	ck_assert_uint_le((size_t)n, batch_room(b));
	ck_assert_uint_gt(batch_line_room(b), 0);
	batch_add_line(b, (size_t)n, prio);
	ck_assert_int_eq(batch_check(b), 0);
}

/* A batch of lines a 5, b 7, c 5, d 2, e KEEP. */
static struct batch *
sample(void)
{
	struct batch	*b = batch_new(3, "s", 1000, 50);

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->cost, BATCH_COST(1000, 50));
	add(b, 5, "a");
	add(b, 7, "b");
	add(b, 5, "c");
	add(b, 2, "d");
	add(b, BATCH_KEEP, "e");
	return b;
}

START_TEST(counts_lines_by_class)
{
	struct batch	*b = sample();

	ck_assert_uint_eq(b->nrecords, 5);
	ck_assert_uint_eq(b->nprio[5], 2);
	ck_assert_uint_eq(b->nprio[BATCH_KEEP], 1);
	ck_assert_mem_eq(b->data, "a 5\nb 7\nc 5\nd 2\ne 8\n", b->len);
	ck_assert_str_eq(b->stream_name, "s");
	ck_assert_uint_eq(b->stream_id, 3);
	batch_flag(b, BATCH_SYNC);
	ck_assert_uint_eq(b->flags, BATCH_SYNC);
	free(b);
}
END_TEST

START_TEST(drop_compacts_in_place_and_never_takes_keep)
{
	struct batch	*b = sample();

	ck_assert_uint_eq(batch_drop(b, 6), 0);
	ck_assert_uint_eq(batch_drop(b, BATCH_KEEP), 0);
	ck_assert_uint_eq(batch_drop(b, 5), 2);
	ck_assert_int_eq(batch_check(b), 0);
	ck_assert_uint_eq(b->nrecords, 3);
	ck_assert_mem_eq(b->data, "b 7\nd 2\ne 8\n", b->len);
	ck_assert_uint_eq(b->nprio[5], 0);
	ck_assert_uint_eq(b->nprio[7], 1);
	add(b, 4, "f");		/* still usable */
	ck_assert_mem_eq(b->data, "b 7\nd 2\ne 8\nf 4\n", b->len);
	free(b);
}
END_TEST

START_TEST(resize_keeps_lines_and_classes)
{
	struct batch	*b = sample(), *g;

	ck_assert_ptr_null(batch_resize(b, 999, 50));	/* never smaller */
	ck_assert_ptr_null(batch_resize(b, 1000, 49));
	ck_assert_ptr_nonnull(g = batch_resize(b, 5000, 200));
	ck_assert_int_eq(batch_check(g), 0);
	ck_assert_uint_eq(g->cost, BATCH_COST(5000, 200));
	ck_assert_uint_eq(g->prios[1], 7);
	ck_assert_uint_eq(g->prios[4], BATCH_KEEP);
	add(g, 1, "z");
	ck_assert_mem_eq(g->data, "a 5\nb 7\nc 5\nd 2\ne 8\nz 1\n", g->len);
	free(g);
}
END_TEST

START_TEST(copies_fit_exactly)
{
	struct batch	*b = sample(), *c;

	batch_flag(b, BATCH_SYNC);
	ck_assert_ptr_nonnull(c = batch_copy_fit(b));
	ck_assert_int_eq(batch_check(c), 0);
	ck_assert_uint_eq(c->cap, b->len);
	ck_assert_uint_eq(c->max_lines, b->nrecords);
	ck_assert_mem_eq(c->data, b->data, b->len);
	ck_assert_uint_eq(c->flags, BATCH_SYNC);
	ck_assert_ptr_eq(c->stream_name, b->stream_name);
	free(c);
	ck_assert_ptr_nonnull(c = batch_copy_without(b, 5));
	ck_assert_int_eq(batch_check(c), 0);
	ck_assert_mem_eq(c->data, "b 7\nd 2\ne 8\n", c->len);
	ck_assert_uint_eq(c->cap, c->len);
	ck_assert_uint_eq(c->max_lines, 3);
	ck_assert_uint_eq(c->stream_id, 3);
	ck_assert_uint_eq(b->nrecords, 5);	/* the original is untouched */
	free(c);
	free(b);
}
END_TEST

START_TEST(check_finds_a_broken_batch)
{
	struct batch	*b = sample();

	b->nprio[7]++;
	ck_assert_int_lt(batch_check(b), 0);
	b->nprio[7]--;
	b->data[b->len - 1] = 'x';	/* the last line has no newline */
	ck_assert_int_lt(batch_check(b), 0);
	free(b);
}
END_TEST

START_TEST(loss_counts_lines_records_and_what_markers_reported)
{
	static const char	marker[] = "2025-11-22T12:00:00.123456Z warning [logd] dropped 12 "
				    "records: the queue was full\n";
	struct batch		*b = batch_new(0, "s", 4096, 50);
	struct batch_loss	 loss = { 0 };
	size_t			 second;

	add(b, 6, "a");
	second = b->len;
	memcpy(batch_end(b), marker, sizeof(marker) - 1);
	batch_add_line(b, sizeof(marker) - 1, BATCH_KEEP);
	add(b, 3, "b");
	batch_loss(b, 0, &loss);
	ck_assert_uint_eq(loss.lines, 3);
	ck_assert_uint_eq(loss.records, 2);
	ck_assert_uint_eq(loss.reported, 12);
	memset(&loss, 0, sizeof(loss));
	batch_loss(b, second + sizeof(marker) - 1, &loss);	/* from the third line on */
	ck_assert_uint_eq(loss.lines, 1);
	ck_assert_uint_eq(loss.records, 1);
	ck_assert_uint_eq(loss.reported, 0);
	free(b);
}
END_TEST

static Suite *
batch_suite(void)
{
	Suite	*s = suite_create("batch");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, counts_lines_by_class);
	tcase_add_test(tc, drop_compacts_in_place_and_never_takes_keep);
	tcase_add_test(tc, resize_keeps_lines_and_classes);
	tcase_add_test(tc, copies_fit_exactly);
	tcase_add_test(tc, check_finds_a_broken_batch);
	tcase_add_test(tc, loss_counts_lines_records_and_what_markers_reported);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(batch_suite());
}
