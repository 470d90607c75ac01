/* test_forward.c - a stream file's lines as RFC 5424 messages with octet counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "unit.h"

static char	out[8192];

/* Formats line; checks the octet count against the rest and returns the message after it. */
static const char *
fmt(const char *line, const char *app, uint32_t facility, int *parsed)
{
	long	n = forward_format(line, strlen(line), "web", "box1", app, facility, out,
		    sizeof(out) - 1, parsed);
	char	*sp;

	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert_ptr_nonnull(sp = strchr(out, ' '));
	ck_assert_uint_eq(strtoul(out, NULL, 10), (unsigned long)(n - (sp + 1 - out)));
	return sp + 1;
}

START_TEST(text_line_becomes_rfc5424_with_its_time_pid_and_priority)
{
	int	parsed;

	ck_assert_str_eq(fmt("2026-11-22T12:00:00.123456Z err [1234] disk \\\"full\\\"\\n",
	    "web", 1, &parsed), "<11>1 2026-11-22T12:00:00.123456Z box1 web 1234 - "
	    "[logd@32473 stream=\"web\"] disk \\\"full\\\"\n");
	ck_assert(parsed);
	/* logd's own line: no PROCID; a continued part and a claimed time go into the SD. */
	ck_assert_str_eq(fmt("2026-11-22T12:00:00.000001Z notice [logd] started", "a", 16,
	    &parsed), "<133>1 2026-11-22T12:00:00.000001Z box1 a - - [logd@32473 "
	    "stream=\"web\"] started");
	ck_assert_str_eq(fmt("2026-11-22T12:00:00.000001Z info [7+ @2001-01-01T00:00:00.000000Z]"
	    " part", "a", 1, &parsed), "<14>1 2026-11-22T12:00:00.000001Z box1 a 7 - "
	    "[logd@32473 stream=\"web\" more=\"1\" claimed_ts=\"2001-01-01T00:00:00.000000Z\"] "
	    "part");
}
END_TEST

START_TEST(json_line_carries_uid_gid_caller_and_fields_escaped)
{
	int	parsed;

	ck_assert_str_eq(fmt("{\"ts\":\"2026-11-22T12:00:00.123456Z\",\"priority\":\"warning\","
	    "\"stream\":\"web\",\"pid\":42,\"uid\":1000,\"gid\":100,\"message\":\"hi\","
	    "\"file\":\"a.c\",\"line\":7,\"func\":\"main\",\"fields\":{\"user\":\"a]\\\"b\\\\\"}}",
	    "web", 1, &parsed), "<12>1 2026-11-22T12:00:00.123456Z box1 web 42 - [logd@32473 "
	    "stream=\"web\" uid=\"1000\" gid=\"100\" file=\"a.c\" func=\"main\" line=\"7\" "
	    "user=\"a\\]\\\"b\\\\\"] hi");
	ck_assert(parsed);
}
END_TEST

START_TEST(bom_only_for_non_ascii_utf8)
{
	int	parsed;

	ck_assert_str_eq(fmt("2026-11-22T12:00:00.123456Z info [1] caf\xc3\xa9", "w", 1, &parsed),
	    "<14>1 2026-11-22T12:00:00.123456Z box1 w 1 - [logd@32473 stream=\"web\"] "
	    "\xef\xbb\xbf" "caf\xc3\xa9");
	/* Not UTF-8 (an escaped byte undone): sent as it is, no BOM. */
	ck_assert_str_eq(fmt("2026-11-22T12:00:00.123456Z info [1] a\\xff", "w", 1, &parsed),
	    "<14>1 2026-11-22T12:00:00.123456Z box1 w 1 - [logd@32473 stream=\"web\"] a\xff");
}
END_TEST

START_TEST(a_line_that_is_not_logds_is_sent_as_its_message)
{
	int	parsed;

	ck_assert_str_eq(fmt("garbage here", "w", 1, &parsed),
	    "<13>1 - box1 w - - [logd@32473 stream=\"web\"] garbage here");
	ck_assert(!parsed);
}
END_TEST

START_TEST(too_small_a_buffer_is_refused)
{
	int	parsed;

	ck_assert_int_eq(forward_format("x", 1, "web", "h", "a", 1, out, 100, &parsed), 0);
}
END_TEST

static Suite *
forward_suite(void)
{
	Suite	*s = suite_create("forward");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, text_line_becomes_rfc5424_with_its_time_pid_and_priority);
	tcase_add_test(tc, json_line_carries_uid_gid_caller_and_fields_escaped);
	tcase_add_test(tc, bom_only_for_non_ascii_utf8);
	tcase_add_test(tc, a_line_that_is_not_logds_is_sent_as_its_message);
	tcase_add_test(tc, too_small_a_buffer_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(forward_suite());
}
