/* test_logtime.c - logd's line stamps and logctl's TIME arguments. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logtime.h"
#include "unit.h"

#define S	1000000000LL

/* 2025-11-22T12:00:00Z, a Saturday; in Berlin (CET, UTC+1) 13:00. */
static const int64_t	noon = 1763812800LL * S;

static int64_t
stamp(const char *s)
{
	int64_t	ns = -42;

	ck_assert_msg(logtime_stamp(s, strlen(s), &ns) == 0, "stamp %s", s);
	return ns;
}

static int64_t
parse(const char *arg)
{
	int64_t	ns = -42;
	int	rc = logtime_parse(arg, noon + 34 * 60 * S, &ns);	/* now: 12:34 UTC */

	ck_assert_msg(rc == 0, "%s: %d", arg, rc);
	return ns;
}

static void
berlin(void)
{
	/* A POSIX TZ rule: no time zone database needed. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
}

START_TEST(parses_logd_stamps)
{
	ck_assert_int_eq(stamp("2025-11-22T12:00:00.123456Z"), noon + 123456000);
	ck_assert_int_eq(stamp("1970-01-01T00:00:00.000000Z"), 0);
	ck_assert_int_eq(stamp("1969-12-31T23:59:59.999999Z"), -1000);
	ck_assert_int_eq(stamp("2024-02-29T00:00:00.000000Z trailing text"), 1709164800LL * S);
	ck_assert_int_eq(stamp("2000-03-01T00:00:00.000001Z"), 951868800LL * S + 1000);
	/* Past what int64_t nanoseconds hold (a sender's u64 time can be): the latest time. */
	ck_assert_int_eq(stamp("2600-01-01T00:00:00.000000Z"), INT64_MAX);
}
END_TEST

START_TEST(rejects_what_is_not_a_stamp)
{
	static const char	*bad[] = {
		"2025-11-22T12:00:00.123456",	/* too short: no Z */
		"2025-11-22 12:00:00.123456Z",
		"2025-11-22T12:00:00,123456Z",
		"2025-13-22T12:00:00.123456Z",
		"2025-02-29T12:00:00.123456Z",	/* not a leap year */
		"2025-11-31T12:00:00.123456Z",
		"2025-11-22T24:00:00.123456Z",
		"2025-11-22T12:60:00.123456Z",
		"2025-11-22T12:00:61.123456Z",
		"2025-11-22T12:00:00.12345xZ",
		"+025-11-22T12:00:00.123456Z",
		"{\"ts\":\"2025-11-22T12:00:00.123456Z\"",
	};
	size_t			 i;
	int64_t			 ns;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(logtime_stamp(bad[i], strlen(bad[i]), &ns) == -EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(parses_rfc3339_with_and_without_fraction_and_offset)
{
	ck_assert_int_eq(parse("2025-11-22T12:00:00Z"), noon);
	ck_assert_int_eq(parse("2025-11-22t12:00:00z"), noon);
	ck_assert_int_eq(parse("2025-11-22 12:00:00 UTC"), noon);
	ck_assert_int_eq(parse("2025-11-22T12:00:00.5Z"), noon + S / 2);
	ck_assert_int_eq(parse("2025-11-22T12:00:00.123456789Z"), noon + 123456789);
	ck_assert_int_eq(parse("2025-11-22T12:00:00.123456Z"), stamp("2025-11-22T12:00:00.123456Z"));
	ck_assert_int_eq(parse("2025-11-22T13:30:00+01:30"), noon);
	ck_assert_int_eq(parse("2025-11-22T10:30:00-0130"), noon);
	ck_assert_int_eq(parse("2025-11-22T14:00:00+02"), noon);
	ck_assert_int_eq(parse("2025-11-22T12:00Z"), noon);
}
END_TEST

START_TEST(takes_a_time_without_offset_as_local)
{
	berlin();
	ck_assert_int_eq(parse("2025-11-22T13:00:00"), noon);
	ck_assert_int_eq(parse("2025-11-22 13:00"), noon);
	ck_assert_int_eq(parse("2025-11-22"), noon - 13 * 3600 * S);
	/* Summer time: UTC+2. */
	ck_assert_int_eq(parse("2025-07-01T02:00:00"), parse("2025-07-01T00:00:00Z"));
	ck_assert_int_eq(parse("13:00"), noon);
	ck_assert_int_eq(parse("13:00:01.25"), noon + S + S / 4);
}
END_TEST

START_TEST(parses_words_relative_to_now)
{
	int64_t	now = noon + 34 * 60 * S;

	berlin();
	ck_assert_int_eq(parse("now"), now);
	ck_assert_int_eq(parse("today"), noon - 13 * 3600 * S);
	ck_assert_int_eq(parse("yesterday"), noon - 37 * 3600 * S);
	ck_assert_int_eq(parse("tomorrow"), noon + 11 * 3600 * S);
	ck_assert_int_eq(parse("-1h"), now - 3600 * S);
	ck_assert_int_eq(parse("+30min"), now + 1800 * S);
	ck_assert_int_eq(parse("-1h30min"), now - 5400 * S);
	ck_assert_int_eq(parse("-1h 30m 15s"), now - 5415 * S);
	ck_assert_int_eq(parse("-30"), now - 30 * S);
	ck_assert_int_eq(parse("-250ms"), now - S / 4);
	ck_assert_int_eq(parse("-2w"), now - 14 * 86400 * S);
	ck_assert_int_eq(parse("1 hour ago"), now - 3600 * S);
	ck_assert_int_eq(parse("2 days ago"), now - 2 * 86400 * S);
	ck_assert_int_eq(parse("90 min ago"), now - 90 * 60 * S);
	ck_assert_int_eq(parse("@1763812800"), noon);
	ck_assert_int_eq(parse("@1763812800.25"), noon + S / 4);
	ck_assert_int_eq(parse("@-1"), -S);
}
END_TEST

START_TEST(rejects_bad_times_and_says_which_are_out_of_range)
{
	static const char	*bad[] = {
		"", "bogus", "-", "+", "1h", "ago", " ago", "-1 fortnight", "-1hh", "-h",
		"2025-13-01", "2025-02-29", "2025-11-22T", "2025-11-22T25:00", "2025-11-22T12:61",
		"2025-11-22T12:00:00+25:00", "2025-11-22T12:00:00 CET", "2025-11-22T12:00:00.Z",
		"2025-11-22T12:00:00.1234567890Z", "2025-11-22X12:00", "@", "@1.", "@x", "25:00",
		"12:00 tomorrow", "Now", "1 hour",
	};
	static const char	*range[] = {
		"-99999999999999999999h", "-300000w", "+300000w", "9999-01-01T00:00:00Z",
		"@99999999999",
	};
	size_t			 i;
	int64_t			 ns;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(logtime_parse(bad[i], noon, &ns) == -EINVAL, "%s: not -EINVAL",
		    bad[i]);
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		ck_assert_msg(logtime_parse(range[i], noon, &ns) == -ERANGE, "%s: not -ERANGE",
		    range[i]);
}
END_TEST

static Suite *
logtime_suite(void)
{
	Suite	*s = suite_create("logtime");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, parses_logd_stamps);
	tcase_add_test(tc, rejects_what_is_not_a_stamp);
	tcase_add_test(tc, parses_rfc3339_with_and_without_fraction_and_offset);
	tcase_add_test(tc, takes_a_time_without_offset_as_local);
	tcase_add_test(tc, parses_words_relative_to_now);
	tcase_add_test(tc, rejects_bad_times_and_says_which_are_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(logtime_suite());
}
