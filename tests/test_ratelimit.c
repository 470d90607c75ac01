/* test_ratelimit.c - the per-sender rate limit: burst, windows, messages, forgetting. */
#include <errno.h>
#include <stdint.h>

#include "ratelimit.h"
#include "unit.h"

struct got {
	uint64_t	n;		/* records reported */
	uint64_t	senders;	/* forgotten senders reported */
	int		calls;
	int		refuse;		/* report() says there is no room */
};

static int
report(void *arg, pid_t pid, uint64_t n, uint64_t senders)
{
	struct got	*g = arg;

	if (g->refuse)
		return -ENOBUFS;
	g->n += n;
	g->senders += senders;
	g->calls++;
	return 0;
}

START_TEST(lets_the_burst_through_then_suppresses_until_the_window_ends)
{
	struct ratelimit	*rl;
	struct got		 g = { 0 };
	uint64_t		 due = 0;
	int			 i, passed = 0;

	ck_assert_int_eq(ratelimit_new(&rl), 0);
	for (i = 0; i < 25; i++)
		passed += ratelimit_take(rl, 42, 1000, 500, 10, 0, &due);
	ck_assert_int_eq(passed, 10);
	ck_assert_uint_eq(due, 1500);
	ck_assert_uint_eq(ratelimit_pending(rl), 15);
	ck_assert_uint_eq(ratelimit_report(rl, 1499, 0, report, &g), 1500);	/* not yet */
	ck_assert_int_eq(g.calls, 0);
	ck_assert_uint_eq(ratelimit_report(rl, 1500, 0, report, &g), 0);
	ck_assert_uint_eq(g.n, 15);
	ck_assert_int_eq(ratelimit_take(rl, 42, 1500, 500, 10, 0, &due), 1);	/* a new window */
	ck_assert_int_eq(ratelimit_check(rl), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(a_report_without_room_stays_due)
{
	struct ratelimit	*rl;
	struct got		 g = { .refuse = 1 };
	uint64_t		 due;

	ck_assert_int_eq(ratelimit_new(&rl), 0);
	ck_assert_int_eq(ratelimit_take(rl, 1, 0, 100, 1, 0, &due), 1);
	ck_assert_int_eq(ratelimit_take(rl, 1, 0, 100, 1, 0, &due), 0);
	ck_assert_uint_eq(ratelimit_report(rl, 200, 0, report, &g), 100);
	g.refuse = 0;
	ck_assert_uint_eq(ratelimit_report(rl, 0, 1, report, &g), 0);	/* force: due or not */
	ck_assert_uint_eq(g.n, 1);
	ratelimit_free(rl);
}
END_TEST

START_TEST(parts_of_a_message_share_its_fate)
{
	struct ratelimit	*rl;
	uint64_t		 due;

	ck_assert_int_eq(ratelimit_new(&rl), 0);
	/* A message in three parts counts once: the burst of 1 lets all of it through. */
	ck_assert_int_eq(ratelimit_take(rl, 7, 0, 1000, 1, 1, &due), 1);
	ck_assert_int_eq(ratelimit_take(rl, 7, 0, 1000, 1, 1, &due), 1);
	ck_assert_int_eq(ratelimit_take(rl, 7, 0, 1000, 1, 0, &due), 1);
	/* The next message is over the burst: every part of it is suppressed. */
	ck_assert_int_eq(ratelimit_take(rl, 7, 0, 1000, 1, 1, &due), 0);
	ck_assert_int_eq(ratelimit_take(rl, 7, 0, 1000, 1, 0, &due), 0);
	ck_assert_uint_eq(ratelimit_pending(rl), 2);
	ck_assert_int_eq(ratelimit_check(rl), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(untake_gives_the_record_back)
{
	struct ratelimit	*rl;
	uint64_t		 due;

	ck_assert_int_eq(ratelimit_new(&rl), 0);
	ck_assert_int_eq(ratelimit_take(rl, 3, 0, 1000, 1, 0, &due), 1);
	ratelimit_untake(rl);	/* it could not be appended: it comes again */
	ck_assert_int_eq(ratelimit_take(rl, 3, 0, 1000, 1, 0, &due), 1);
	ck_assert_int_eq(ratelimit_take(rl, 3, 0, 1000, 1, 0, &due), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(many_senders_cost_a_fixed_table_and_lose_no_count)
{
	struct ratelimit	*rl;
	struct got		 g = { 0 };
	uint64_t		 due;
	pid_t			 pid;
	int			 passed = 0;

	ck_assert_int_eq(ratelimit_new(&rl), 0);
	for (pid = 1; pid <= 10 * RATELIMIT_SENDERS; pid++) {
		passed += ratelimit_take(rl, pid, (uint64_t)pid, 60000, 1, 0, &due);
		passed += ratelimit_take(rl, pid, (uint64_t)pid, 60000, 1, 0, &due);
		ck_assert_int_eq(ratelimit_check(rl), 0);
	}
	ck_assert_int_eq(passed, 10 * RATELIMIT_SENDERS);
	ck_assert_uint_eq(ratelimit_pending(rl), 10 * RATELIMIT_SENDERS);
	ck_assert_uint_eq(ratelimit_report(rl, 0, 1, report, &g), 0);
	ck_assert_uint_eq(g.n, 10 * RATELIMIT_SENDERS);
	ck_assert_uint_eq(g.senders, 9 * RATELIMIT_SENDERS);	/* forgotten, summed */
	ck_assert_uint_eq(ratelimit_pending(rl), 0);
	ratelimit_free(rl);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ratelimit");
	TCase	*tc = tcase_create("ratelimit");

	tcase_add_test(tc, lets_the_burst_through_then_suppresses_until_the_window_ends);
	tcase_add_test(tc, a_report_without_room_stays_due);
	tcase_add_test(tc, parts_of_a_message_share_its_fate);
	tcase_add_test(tc, untake_gives_the_record_back);
	tcase_add_test(tc, many_senders_cost_a_fixed_table_and_lose_no_count);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
