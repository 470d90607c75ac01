/* test_format.c - text and JSON lines: timestamps, priorities, escaping, bounds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "format.h"
#include "unit.h"

static struct format_cache	fc;
static char			out[1 << 20];
static const struct format_sender	who = { .pid = 1234, .uid = 1000, .gid = 100 };
static const struct format_sender	self = { .pid = 99, .uid = 0, .gid = 0, .logd = 1 };

static struct proto_record
rec_of(const void *msg, size_t len)
{
	struct proto_record	r;

	memset(&r, 0, sizeof(r));
	r.priority = 6;
	r.name = "web";
	r.name_len = 3;
	r.msg = msg;
	r.msg_len = len;
	return r;
}

/* Formats r from sender s and checks the length bound; returns the NUL-terminated line. */
static const char *
fmt_from(enum config_format f, const struct proto_record *r, uint64_t ts,
    const struct format_sender *s)
{
	size_t	n = format_line(&fc, f, out, r, ts, s);

	ck_assert_uint_le(n, format_max_len(f, r));
	ck_assert_uint_le(format_max_len(f, r),
	    FORMAT_EXPANSION * (proto_head_size(r) + r->msg_len));
	out[n] = '\0';
	return out;
}

static const char *
fmt(enum config_format f, const struct proto_record *r, uint64_t ts)
{
	return fmt_from(f, r, ts, &who);
}

/* Whether the n bytes at s are valid UTF-8 throughout. */
static int
utf8_valid(const char *s, size_t n)
{
	size_t	i, k;

	for (i = 0; i < n; i += k)
		if ((k = (uint8_t)s[i] < 0x80 ? 1 : proto_utf8_len((const uint8_t *)s + i, n - i)) == 0)
			return 0;
	return 1;
}

#define TS	1763812800123456789ull	/* 2025-11-22T12:00:00.123456789Z */

START_TEST(formats_plain_text_line)
{
	struct proto_record	r = rec_of("hello world", 11);

	format_cache_init(&fc);
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] hello world\n");
}
END_TEST

START_TEST(escapes_control_bytes_and_backslash_keeps_utf8)
{
	static const char	msg[] = "a\\b\nc\rd\te\0f\x1b" "g\x7f" "h\xc3\xa9\xff";
	struct proto_record	r = rec_of(msg, sizeof(msg) - 1);

	format_cache_init(&fc);
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] a\\\\b\\nc\\rd\\te\\x00f\\x1bg\\x7fh\xc3\xa9\\xff\n");
}
END_TEST

START_TEST(marks_continued_record_with_plus)
{
	struct proto_record	r = rec_of("part", 4);

	format_cache_init(&fc);
	r.flags = PROTO_REC_MORE;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234+] part\n");
}
END_TEST

START_TEST(names_every_priority)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	struct proto_record	r = rec_of("m", 1);
	char			want[128];
	unsigned		p;

	format_cache_init(&fc);
	for (p = 0; p < 8; p++) {
		r.priority = (uint8_t)p;
		snprintf(want, sizeof(want), "2025-11-22T12:00:00.123456Z %s [1234] m\n", names[p]);
		ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS), want);
	}
}
END_TEST

START_TEST(timestamps_roll_over_seconds_and_dates)
{
	struct proto_record	r = rec_of("m", 1);

	format_cache_init(&fc);
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, 0), "1970-01-01T00:00:00.000000Z info [1234] m\n");
	/* Same second again from the cache, then the next second. */
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, 999999999),
	    "1970-01-01T00:00:00.999999Z info [1234] m\n");
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, 1000000000),
	    "1970-01-01T00:00:01.000000Z info [1234] m\n");
	/* 2024-02-29T23:59:59.000001Z, a leap day, then midnight. */
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, 1709251199000001000ull),
	    "2024-02-29T23:59:59.000001Z info [1234] m\n");
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, 1709251200000000000ull),
	    "2024-03-01T00:00:00.000000Z info [1234] m\n");
}
END_TEST

START_TEST(json_has_all_fields)
{
	struct proto_record	r = rec_of("say \"hi\"\n", 9);
	uint8_t			kv[64];
	ssize_t			a, b;

	format_cache_init(&fc);
	a = proto_encode_kv(kv, sizeof(kv), "user", 4, "ann", 3);
	b = proto_encode_kv(kv + a, sizeof(kv) - (size_t)a, "n", 1, "1", 1);
	r.kv = kv;
	r.kv_len = (size_t)(a + b);
	r.file = "x.c";
	r.file_len = 3;
	r.line = 7;
	r.func = "f";
	r.func_len = 1;
	r.dropped = 2;
	r.flags = PROTO_REC_MORE;
	r.priority = 4;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_JSON, &r, TS),
	    "{\"ts\":\"2025-11-22T12:00:00.123456Z\",\"priority\":\"warning\",\"stream\":\"web\","
	    "\"pid\":1234,\"uid\":1000,\"gid\":100,\"message\":\"say \\\"hi\\\"\\n\","
	    "\"file\":\"x.c\",\"line\":7,\"func\":\"f\",\"fields\":{\"user\":\"ann\",\"n\":\"1\"},"
	    "\"dropped\":2,\"more\":true}\n");
}
END_TEST

START_TEST(loss_markers_carry_their_count_in_both_formats)
{
	static const char	text[] = FORMAT_LOSS_PREFIX "12 records: pid 7 could not deliver them";
	struct proto_record	r;
	const char		*line;

	format_cache_init(&fc);
	format_marker(&r, "web", 3, LOG_WARNING, text, sizeof(text) - 1, 12);
	line = fmt_from(CONFIG_FORMAT_TEXT, &r, TS, &self);
	ck_assert_str_eq(line, "2025-11-22T12:00:00.123456Z warning [logd] dropped 12 records: "
	    "pid 7 could not deliver them\n");
	ck_assert_uint_eq(format_loss(line, strlen(line)), 12);
	line = fmt_from(CONFIG_FORMAT_JSON, &r, TS, &self);
	ck_assert_ptr_nonnull(strstr(line, "\"stream\":\"web\",\"logd\":true,\"pid\":99,"));
	ck_assert_ptr_nonnull(strstr(line, ",\"dropped\":12}"));
	ck_assert_uint_eq(format_loss(line, strlen(line)), 12);
	/* Other lines of logd's report no loss. */
	format_marker(&r, "web", 3, LOG_WARNING, "writing was stalled", 19, 0);
	line = fmt_from(CONFIG_FORMAT_JSON, &r, TS, &self);
	ck_assert_ptr_null(strstr(line, "dropped"));
	ck_assert_uint_eq(format_loss(line, strlen(line)), 0);
	line = "2025-11-22T12:00:00.123456Z warning [logd] dropped 99999999999999999999999 records";
	ck_assert_uint_eq(format_loss(line, strlen(line)), UINT64_MAX);
}
END_TEST

static size_t
own_text(char *text, size_t cap, uint64_t dropped, const char *fmt, ...)
{
	va_list	ap;
	size_t	n;

	va_start(ap, fmt);
	n = format_own_text(text, cap, dropped, fmt, ap);
	va_end(ap);
	return n;
}

/* "dropped 1 record", "dropped 2 records"; format_loss() reads either. */
START_TEST(loss_marker_text_says_one_record_in_the_singular)
{
	struct proto_record	r;
	char			text[128];
	const char		*line;
	size_t			len;

	format_cache_init(&fc);
	len = own_text(text, sizeof(text), 1, "pid %d could not deliver it", 7);
	ck_assert_str_eq(text, "dropped 1 record: pid 7 could not deliver it");
	format_marker(&r, "web", 3, LOG_WARNING, text, len, 1);
	line = fmt_from(CONFIG_FORMAT_TEXT, &r, TS, &self);
	ck_assert_uint_eq(format_loss(line, strlen(line)), 1);
	own_text(text, sizeof(text), 2, "why");
	ck_assert_str_eq(text, "dropped 2 records: why");
	own_text(text, sizeof(text), 0, "no loss");
	ck_assert_str_eq(text, "no loss");
	ck_assert_str_eq(format_s(1), "");
	ck_assert_str_eq(format_s(0), "s");
	ck_assert_str_eq(format_s(11), "s");
}
END_TEST

/* A sender's line cannot pass for one of logd's, whatever its message or fields say. */
START_TEST(a_sender_cannot_write_a_line_of_logds)
{
	static const char	forged[] = "dropped 1000 records: x\n2025-11-22T12:00:00.123456Z "
				    "warning [logd] dropped 5 records: y\r\x1b[2K\",\"logd\":true,"
				    "\"dropped\":7";
	static const char	kv[] = "dropped=9\0logd=true";
	struct proto_record	r = rec_of(forged, sizeof(forged) - 1);
	const char		*line;
	int			f;

	format_cache_init(&fc);
	r.kv = (const uint8_t *)kv;
	r.kv_len = sizeof(kv);
	for (f = 0; f < 2; f++) {
		line = fmt(f ? CONFIG_FORMAT_JSON : CONFIG_FORMAT_TEXT, &r, TS);
		ck_assert_uint_eq(format_loss(line, strlen(line)), 0);
		ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
		ck_assert_ptr_null(strchr(line, '\r'));
		ck_assert_ptr_null(strchr(line, 0x1b));
		if (f == 0)	/* the sender's pid where logd's lines have "[logd]" */
			ck_assert_int_eq(strncmp(line + 28, "info [1234] ", 12), 0);
		else
			ck_assert_ptr_null(strstr(line, "\"logd\":true"));
	}
}
END_TEST

/* A claimed time that is not the line's is shown beside it, in both formats. */
START_TEST(a_claimed_time_other_than_the_lines_is_kept)
{
	struct proto_record	r = rec_of("m", 1);

	format_cache_init(&fc);
	r.ts_ns = 1000000000ull;	/* 1970-01-01T00:00:01Z */
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234 @1970-01-01T00:00:01.000000Z] m\n");
	r.flags = PROTO_REC_MORE;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234+ @1970-01-01T00:00:01.000000Z] m\n");
	ck_assert_ptr_nonnull(strstr(fmt(CONFIG_FORMAT_JSON, &r, TS),
	    ",\"more\":true,\"claimed_ts\":\"1970-01-01T00:00:01.000000Z\"}"));
	/* The line's own time right after: the cache was not disturbed. */
	r.flags = 0;
	r.ts_ns = TS;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] m\n");
	ck_assert_ptr_null(strstr(fmt(CONFIG_FORMAT_JSON, &r, TS), "claimed_ts"));
}
END_TEST

/*
 * A tag (a syslog ident, logctl -t): at the message's start in text,
 * "[1234] sshd: " (escaped, and one word: a blank and '[' as \xNN), its own
 * key in JSON.
 */
START_TEST(a_tag_goes_before_the_message)
{
	struct proto_record	r = rec_of("Accepted", 8);

	format_cache_init(&fc);
	r.tag = "sshd";
	r.tag_len = 4;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] sshd: Accepted\n");
	ck_assert_uint_le(strlen(out), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
	r.flags = PROTO_REC_MORE;
	r.ts_ns = 1000000000ull;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS), "2025-11-22T12:00:00.123456Z info "
	    "[1234+ @1970-01-01T00:00:01.000000Z] sshd: Accepted\n");
	r = rec_of("m", 1);
	r.tag = "s s[\n\xff?";	/* an RFC 5424 APP-NAME may have any of these */
	r.tag_len = 7;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] s\\x20s\\x5b\\n\\xff?: m\n");
	ck_assert_uint_le(strlen(out), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
	ck_assert_ptr_nonnull(strstr(fmt(CONFIG_FORMAT_JSON, &r, TS),
	    ",\"gid\":100,\"ident\":\"s s[\\n\\u00ff?\",\"message\":\"m\""));
}
END_TEST

/* The caller (LOGD_INFO): "app.c:10 main(): " before the message in text; '?': not given. */
START_TEST(the_caller_goes_before_the_message)
{
	struct proto_record	r = rec_of("started", 7);

	format_cache_init(&fc);
	r.file = "app.c";
	r.file_len = 5;
	r.line = 10;
	r.func = "main";
	r.func_len = 4;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] app.c:10 main(): started\n");
	ck_assert_uint_le(strlen(out), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
	ck_assert_ptr_nonnull(strstr(fmt(CONFIG_FORMAT_JSON, &r, TS),
	    ",\"message\":\"started\",\"file\":\"app.c\",\"line\":10,\"func\":\"main\""));
	r.tag = "app";
	r.tag_len = 3;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] app: app.c:10 main(): started\n");
	r.tag_len = 0;
	r.file = "my dir/a.c";
	r.file_len = 10;
	r.func = NULL;
	r.func_len = 0;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] my\\x20dir/a.c:10 ?(): started\n");
	ck_assert_uint_le(strlen(out), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
	r.file_len = 0;
	r.line = 0;
	r.func = "?";
	r.func_len = 1;
	ck_assert_str_eq(fmt(CONFIG_FORMAT_TEXT, &r, TS),
	    "2025-11-22T12:00:00.123456Z info [1234] ?:0 \\x3f(): started\n");
	ck_assert_uint_le(strlen(out), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
}
END_TEST

/* Text lines are UTF-8 for grep: valid characters as they are, every other byte \xNN. */
START_TEST(text_escapes_invalid_utf8_bytes)
{
	static const char	msg[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xff|\xe2\x82|\xc0\xaf|"
				    "\xed\xa0\x80|\xf4\x90\x80\x80";
	struct proto_record	r = rec_of(msg, sizeof(msg) - 1);
	const char		*line;

	format_cache_init(&fc);
	line = fmt(CONFIG_FORMAT_TEXT, &r, TS);
	ck_assert_str_eq(strstr(line, "] ") + 2, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\xff|"
	    "\\xe2\\x82|\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80\n");
	ck_assert_uint_le(strlen(line), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
}
END_TEST

START_TEST(json_escapes_invalid_utf8_bytes_reversibly)
{
	/* valid é, €, 😀; then lone ff, truncated e2 82, overlong c0 af, surrogate ed a0 80 */
	static const char	msg[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xff|\xe2\x82|\xc0\xaf|"
				    "\xed\xa0\x80|\x01\x08\x0c\\";
	struct proto_record	r = rec_of(msg, sizeof(msg) - 1);
	const char		*line;

	format_cache_init(&fc);
	line = fmt(CONFIG_FORMAT_JSON, &r, TS);
	ck_assert_ptr_nonnull(strstr(line, "\"message\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
	    "\\u00ff|\\u00e2\\u0082|\\u00c0\\u00af|\\u00ed\\u00a0\\u0080|\\u0001\\b\\f\\\\\""));
}
END_TEST

/* One byte to escape at every position of a clean message, past the 128-, 64-, 16- and 8-byte scans. */
START_TEST(escapes_a_byte_anywhere_in_a_long_clean_message)
{
	static const uint8_t	special[] = { 0x00, 0x0a, 0x1f, 0x7f, '\\', 0x80, 0xff, ' ' };
	static const char	*want[] = { "\\x00", "\\n", "\\x1f", "\\x7f", "\\\\", "\\x80",
				    "\\xff", " " };
	struct proto_record	 r;
	uint8_t			 msg[299];
	char			 expect[400], a[sizeof(msg)];
	const char		*line, *body;
	size_t			 pos, k;

	format_cache_init(&fc);
	memset(a, 'a', sizeof(a));
	for (k = 0; k < sizeof(special); k++) {
		for (pos = 0; pos < sizeof(msg); pos++) {
			memset(msg, 'a', sizeof(msg));
			msg[pos] = special[k];
			r = rec_of(msg, sizeof(msg));
			line = fmt(CONFIG_FORMAT_TEXT, &r, 0);
			body = strstr(line, "] ") + 2;
			snprintf(expect, sizeof(expect), "%.*s%s%.*s\n", (int)pos, a, want[k],
			    (int)(sizeof(msg) - pos - 1), a);
			ck_assert_str_eq(body, expect);
			ck_assert_uint_le(strlen(line), format_len(CONFIG_FORMAT_TEXT, &r, NULL));
		}
	}
}
END_TEST

/* Property: random records stay within the bounds, are one line, and JSON has no raw controls. */
START_TEST(random_records_stay_within_bounds)
{
	static uint8_t		msg[70000];
	static char		again[sizeof(out)];
	struct proto_record	r;
	const struct format_sender *from;
	enum config_format	cf;
	const char		*line;
	size_t			i, n, clean;
	uint64_t		ts;
	int			iter, f;

	format_cache_init(&fc);
	srand(42);
	for (iter = 0; iter < 2000; iter++) {
		n = (size_t)rand() % (iter % 50 == 0 ? sizeof(msg) : 300);
		for (i = 0; i < n; i++)		/* a third of them plain text, but for one byte */
			msg[i] = iter % 3 ? (uint8_t)rand() : (uint8_t)(' ' + rand() % 95);
		if (iter % 3 == 0 && n > 0 && rand() % 2)
			msg[(size_t)rand() % n] = (uint8_t)rand();
		r = rec_of(msg, n);
		r.priority = (uint8_t)(rand() % 8);
		r.flags = rand() % 2 ? PROTO_REC_MORE : 0;
		r.dropped = rand() % 3 == 0 ? (uint64_t)rand() * (uint64_t)rand() : 0;
		if (rand() % 2) {
			r.file = (const char *)msg;
			r.file_len = n < 255 ? n : 255;
			r.func = (const char *)msg;
			r.func_len = n < 100 ? n : 100;
			r.line = (uint32_t)rand();
		}
		r.ts_ns = rand() % 2 ? (uint64_t)rand() * 1000000000ull : 0;
		for (f = 0; f < 2; f++) {
			cf = f ? CONFIG_FORMAT_JSON : CONFIG_FORMAT_TEXT;
			ts = (uint64_t)rand() * 1000000000ull;
			from = rand() % 2 ? &self : &who;
			line = fmt_from(cf, &r, ts, from);
			n = strlen(line);
			ck_assert(utf8_valid(line, n));
			ck_assert_ptr_eq(memchr(line, '\n', n), line + n - 1);
			ck_assert_uint_le(n, format_len(cf, &r, &clean));
			ck_assert_uint_le(format_len(cf, &r, NULL), format_max_len(cf, &r));
			/* What format_len() found clean is copied unscanned, to the same line. */
			ck_assert_uint_le(clean, r.msg_len);
			ck_assert_uint_eq(format_line_clean(&fc, cf, again, &r, ts, from, clean), n);
			ck_assert(memcmp(again, line, n) == 0);
			for (i = 0; i < n - 1; i++)
				if ((uint8_t)line[i] < 0x20 || line[i] == 0x7f)
					break;
			ck_assert_msg(i == n - 1, "raw control byte %#x at %zu",
			    (uint8_t)line[i], i);
		}
	}
}
END_TEST

static Suite *
format_suite(void)
{
	Suite	*s = suite_create("format");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, formats_plain_text_line);
	tcase_add_test(tc, escapes_control_bytes_and_backslash_keeps_utf8);
	tcase_add_test(tc, marks_continued_record_with_plus);
	tcase_add_test(tc, names_every_priority);
	tcase_add_test(tc, timestamps_roll_over_seconds_and_dates);
	tcase_add_test(tc, json_has_all_fields);
	tcase_add_test(tc, json_escapes_invalid_utf8_bytes_reversibly);
	tcase_add_test(tc, loss_markers_carry_their_count_in_both_formats);
	tcase_add_test(tc, loss_marker_text_says_one_record_in_the_singular);
	tcase_add_test(tc, a_sender_cannot_write_a_line_of_logds);
	tcase_add_test(tc, a_claimed_time_other_than_the_lines_is_kept);
	tcase_add_test(tc, text_escapes_invalid_utf8_bytes);
	tcase_add_test(tc, a_tag_goes_before_the_message);
	tcase_add_test(tc, the_caller_goes_before_the_message);
	tcase_add_test(tc, escapes_a_byte_anywhere_in_a_long_clean_message);
	tcase_add_test(tc, random_records_stay_within_bounds);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(format_suite());
}
