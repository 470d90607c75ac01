/*
 * test_logline.c - logd's lines parsed, unescaped and converted to JSON by
 * logctl, checked against the lines logd's own formatter (format.c) writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "logline.h"
#include "unit.h"

static struct format_cache		fc;
static const struct format_sender	who = { .pid = 4242, .uid = 1000, .gid = 100 };
static char				line[1 << 16];

/* logd's line for record r (stream "web"), without its newline. */
static size_t
logd_rec_line(enum config_format fmt, const struct proto_record *r)
{
	size_t	n;

	format_cache_init(&fc);
	n = format_line(&fc, fmt, line, r, 1763812800123456000ull, &who);
	line[--n] = '\0';
	return n;
}

/* A record with message msg (len bytes) and nothing else. */
static struct proto_record
rec_of(const void *msg, size_t len, int prio, int more)
{
	struct proto_record	r;

	memset(&r, 0, sizeof(r));
	r.priority = (uint8_t)prio;
	r.flags = more ? PROTO_REC_MORE : 0;
	r.name = "web";
	r.name_len = 3;
	r.msg = msg;
	r.msg_len = len;
	return r;
}

/* logd's line for a record with message msg (len bytes), without its newline. */
static size_t
logd_line(enum config_format fmt, const void *msg, size_t len, int prio, int more)
{
	struct proto_record	r = rec_of(msg, len, prio, more);

	return logd_rec_line(fmt, &r);
}

static struct logline
parsed(size_t len)
{
	struct logline	l;

	ck_assert_msg(logline_parse(line, len, &l) == 0, "not parsed: %s", line);
	return l;
}

/* What logline_write_json() writes for l, NUL-terminated (free it). */
static char *
as_json(const struct logline *l)
{
	char	*buf = NULL;
	size_t	 size = 0;
	FILE	*f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	logline_write_json(f, l, "web");
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(parses_a_text_line)
{
	struct logline	l = parsed(logd_line(CONFIG_FORMAT_TEXT, "hello world", 11, 3, 0));
	char		*json;

	ck_assert_int_eq(l.json, 0);
	ck_assert_int_eq(l.ts_ns, 1763812800123456000LL);
	ck_assert_ptr_eq(l.ts, line);
	ck_assert_int_eq(l.priority, 3);
	ck_assert_uint_eq(l.pid, 4242);
	ck_assert_int_eq(l.more, 0);
	ck_assert_uint_eq(l.msg_len, 11);
	ck_assert(memcmp(l.msg, "hello world", 11) == 0);
	l = parsed(logd_line(CONFIG_FORMAT_TEXT, "part", 4, 7, 1));
	ck_assert_int_eq(l.more, 1);
	ck_assert_int_eq(l.priority, 7);
	l = parsed(logd_line(CONFIG_FORMAT_TEXT, "", 0, 0, 0));
	ck_assert_uint_eq(l.msg_len, 0);
	/* Without the blank before an empty message, too. */
	strcpy(line, "2025-11-22T12:00:00.123456Z info [1]");
	ck_assert_uint_eq(parsed(strlen(line)).msg_len, 0);
	/* logd's own lines, and a claimed time that was not taken. */
	strcpy(line, "2025-11-22T12:00:00.123456Z warning [logd] dropped 3 records: x");
	l = parsed(strlen(line));
	ck_assert_int_eq(l.logd, 1);
	ck_assert_uint_eq(l.pid, 0);
	ck_assert_uint_eq(l.msg_len, 20);
	strcpy(line, "2025-11-22T12:00:00.123456Z info [12+ @1970-01-01T00:00:01.000000Z] m");
	l = parsed(strlen(line));
	ck_assert_int_eq(l.logd, 0);
	ck_assert_uint_eq(l.pid, 12);
	ck_assert_int_eq(l.more, 1);
	ck_assert_int_eq(strncmp(l.claimed, "1970-01-01T00:00:01.000000Z", 27), 0);
	ck_assert_uint_eq(l.msg_len, 1);
	json = as_json(&l);
	ck_assert_str_eq(json, "{\"ts\":\"2025-11-22T12:00:00.123456Z\",\"priority\":"
	    "\"info\",\"stream\":\"web\",\"pid\":12,\"message\":\"m\",\"more\":true,"
	    "\"claimed_ts\":\"1970-01-01T00:00:01.000000Z\"}");
	free(json);
}
END_TEST

START_TEST(parses_a_json_line)
{
	const char	 msg[] = "say \"hi\" \\ \x01 \xff";
	struct logline	 l = parsed(logd_line(CONFIG_FORMAT_JSON, msg, sizeof(msg) - 1, 4, 0));
	char		 out[64];

	ck_assert_int_eq(l.json, 1);
	ck_assert_int_eq(l.ts_ns, 1763812800123456000LL);
	ck_assert_ptr_eq(l.ts, line + 7);
	ck_assert_int_eq(l.priority, 4);
	ck_assert_uint_eq(logline_message(&l, out), sizeof(msg) - 1);
	ck_assert(memcmp(out, msg, sizeof(msg) - 1) == 0);
}
END_TEST

START_TEST(rejects_lines_that_are_not_logds)
{
	static const char	*bad[] = {
		"",
		"hello",
		"2025-11-22T12:00:00.123456Z",
		"2025-11-22T12:00:00.123456Z info",
		"2025-11-22T12:00:00.123456Z loud [1] x",
		"2025-11-22T12:00:00.123456Z info 1 x",
		"2025-11-22T12:00:00.123456Z info [] x",
		"2025-11-22T12:00:00.123456Z info [1x] x",
		"2025-11-22T12:00:00.123456Z info [1]x",
		"2025-11-22T12:00:00.123456Z info [99999999999] x",
		"2025-11-22T12:00:00.123456Z info [logd x",
		"2025-11-22T12:00:00.123456Z info [log] x",
		"2025-11-22T12:00:00.123456Z info [1 @1970-01-01T00:00:01.000000] x",
		"2025-11-22T12:00:00.123456Z info [1 @yesterday-at-noon-or-so-ok] x",
		"2025-11-22T12:00:00.123456Zinfo [1] x",
		"2025-11-22T12:00:00.123456Z info tag[1]: x",	/* a tag goes after the pid */
		"2025-11-22T12:00:00.123456Z info tag [1] x",
		"2025-11-22T12:00:00.123456Z info [1]: x",
		"{\"ts\":\"2025-11-22T12:00:00.123456Z\"}",
		"{\"ts\":\"2025-11-22T12:00:00.123456Z\",\"priority\":\"loud\"}",
		"{\"ts\":\"2025-11-22T12:00:00\",\"priority\":\"info\"}",
	};
	struct logline		 l;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(logline_parse(bad[i], strlen(bad[i]), &l) < 0, "parsed: %s", bad[i]);
}
END_TEST

START_TEST(undoes_text_escapes)
{
	const char	 msg[] = "a\\b\nc\rd\te\x01\x7f\xc3\xa9\xff";
	struct logline	 l = parsed(logd_line(CONFIG_FORMAT_TEXT, msg, sizeof(msg) - 1, 6, 0));
	char		 out[64];

	ck_assert_uint_eq(logline_message(&l, out), sizeof(msg) - 1);
	ck_assert(memcmp(out, msg, sizeof(msg) - 1) == 0);
	/* A backslash that starts no escape stands for itself. */
	strcpy(line, "2025-11-22T12:00:00.123456Z info [1] a\\qb\\x4");
	l = parsed(strlen(line));
	ck_assert_uint_eq(logline_message(&l, out), 7);
	ck_assert(memcmp(out, "a\\qb\\x4", 7) == 0);
}
END_TEST

START_TEST(undoes_json_escapes_and_code_points)
{
	struct logline	l;
	char		out[64];

	strcpy(line, "{\"ts\":\"2025-11-22T12:00:00.123456Z\",\"priority\":\"info\",\"stream\":\"w\","
	    "\"message\":\"\\/\\b\\f\\u00e9\\u20ac\\ud83d\\ude00\\ud800x\",\"more\":true}");
	l = parsed(strlen(line));
	ck_assert_uint_eq(logline_message(&l, out), 15);
	/* U+00E9 is the byte 0xe9 (logd writes invalid bytes so), the rest as UTF-8. */
	ck_assert(memcmp(out, "/\b\f\xe9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80x", 15) == 0);
}
END_TEST

/*
 * A text line converted is logd's JSON line for the same record, but for
 * uid and gid (not in a text line).
 */
static void
check_record_conversion(const struct proto_record *r)
{
	char		 want[1 << 16], *got, *uid;
	struct logline	 l;

	logd_rec_line(CONFIG_FORMAT_JSON, r);
	strcpy(want, line);
	uid = strstr(want, ",\"uid\":1000,\"gid\":100");
	ck_assert_ptr_nonnull(uid);
	memmove(uid, uid + 21, strlen(uid + 21) + 1);
	l = parsed(logd_rec_line(CONFIG_FORMAT_TEXT, r));
	got = as_json(&l);
	ck_assert_str_eq(got, want);
	free(got);
}

static void
check_conversion(const char *msg, size_t len, int more)
{
	struct proto_record	r = rec_of(msg, len, 5, more);

	check_record_conversion(&r);
}

/* n random bytes, biased to the ones that need escaping, to UTF-8 lead bytes and to "?[ :(". */
static void
random_bytes(char *bytes, size_t n, unsigned *seed)
{
	static const char	pick[] = "\\\"\n\x01\x7f\xc3\xa9\xe2\x82\xf0\x9f\xff?[ :()";
	size_t			i;

	for (i = 0; i < n; i++)
		bytes[i] = rand_r(seed) % 3 ? pick[rand_r(seed) % (sizeof(pick) - 1)] :
		    (char)rand_r(seed);
}

START_TEST(converts_text_lines_to_logds_json)
{
	static const char	msg[] = "quote \" backslash \\ nl \n cr \r tab \t nul \0 del \x7f "
	    "esc \x1b bs \b ff \f e-acute \xc3\xa9 euro \xe2\x82\xac bad \xff\xc3 (\xe0\x80)";
	char			bytes[4096], file[64], func[64];
	struct proto_record	r;
	unsigned		seed = 1;
	size_t			n;
	int			round;

	check_conversion(msg, sizeof(msg) - 1, 0);
	check_conversion("", 0, 1);
	for (round = 0; round < 4000; round++) {
		n = (size_t)(rand_r(&seed) % 64);
		random_bytes(bytes, n, &seed);
		r = rec_of(bytes, n, 5, round & 1);
		/* Half with a caller, of any bytes.  (A tag stays in the message: not here.) */
		if (round & 4) {
			r.file_len = (size_t)rand_r(&seed) % 4;
			r.func_len = (size_t)rand_r(&seed) % 4;
			random_bytes(file, r.file_len, &seed);
			random_bytes(func, r.func_len, &seed);
			r.file = file;
			r.func = func;
			r.line = round & 8 ? (uint32_t)rand_r(&seed) * 2u : 0;
		}
		check_record_conversion(&r);
	}
}
END_TEST

/* The caller is read back; a tag stays in the message, and so does a caller after it. */
START_TEST(reads_the_caller_back_and_keeps_a_tag_in_the_message)
{
	struct proto_record	r = rec_of("hello: world", 12, 6, 0);
	struct logline		l;
	char			out[64], *json;

	r.file = "src/a b.c";
	r.file_len = 9;
	r.line = 42;
	r.func = "main";
	r.func_len = 4;
	l = parsed(logd_rec_line(CONFIG_FORMAT_TEXT, &r));
	ck_assert_str_eq(line, "2025-11-22T12:00:00.123456Z info [4242] "
	    "src/a\\x20b.c:42 main(): hello: world");
	ck_assert_int_eq(l.file_len == 12 && memcmp(l.file, "src/a\\x20b.c", 12) == 0, 1);
	ck_assert_uint_eq(l.line, 42);
	ck_assert_int_eq(l.func_len == 4 && memcmp(l.func, "main", 4) == 0, 1);
	ck_assert_uint_eq(logline_message(&l, out), 12);
	ck_assert(memcmp(out, "hello: world", 12) == 0);
	json = as_json(&l);
	ck_assert_str_eq(json, "{\"ts\":\"2025-11-22T12:00:00.123456Z\",\"priority\":\"info\","
	    "\"stream\":\"web\",\"pid\":4242,\"message\":\"hello: world\","
	    "\"file\":\"src/a b.c\",\"line\":42,\"func\":\"main\"}");
	free(json);
	r.tag = "my-app";
	r.tag_len = 6;
	l = parsed(logd_rec_line(CONFIG_FORMAT_TEXT, &r));
	ck_assert_str_eq(line, "2025-11-22T12:00:00.123456Z info [4242] my-app: "
	    "src/a\\x20b.c:42 main(): hello: world");
	ck_assert_ptr_null(l.file);
	ck_assert_uint_eq(l.line, 0);
	ck_assert_uint_eq(logline_message(&l, out), 41);
	ck_assert(memcmp(out, "my-app: src/a b.c:42 main(): hello: world", 41) == 0);
	/* An empty message, the blank after the caller gone. */
	strcpy(line, "2025-11-22T12:00:00.123456Z info [1] ?:0 f():");
	l = parsed(strlen(line));
	ck_assert_int_eq(l.file_len == 0 && l.line == 0 && l.func_len == 1, 1);
	ck_assert_uint_eq(l.msg_len, 0);
}
END_TEST

/*
 * A message reads as one, whatever it looks like; one that starts as a
 * caller does, "x.c:1 f(): ", is taken for a caller (logline.h).
 */
START_TEST(a_message_that_looks_like_a_caller_is_a_message)
{
	static const char *const	plain[] = {
		"error: disk full", "sshd[12]: x", "a.c:1: f(): x", "a.c:x f(): x", ":1 f(): x",
		"a.c:1 f: x", "a.c:12345678901 f(): x", "a.c:1  f(): x",
	};
	struct logline	l;
	char		out[64];
	size_t		i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		l = parsed(logd_line(CONFIG_FORMAT_TEXT, plain[i], strlen(plain[i]), 6, 0));
		ck_assert_msg(l.file == NULL && l.func == NULL, "%s", plain[i]);
		ck_assert_uint_eq(logline_message(&l, out), strlen(plain[i]));
		ck_assert(memcmp(out, plain[i], strlen(plain[i])) == 0);
	}
	l = parsed(logd_line(CONFIG_FORMAT_TEXT, "x.c:1 f(): y", 12, 6, 0));
	ck_assert_int_eq(l.file_len == 3 && l.line == 1 && l.func_len == 1 && l.msg_len == 1, 1);
}
END_TEST

START_TEST(writes_any_bytes_as_a_json_string)
{
	char	*buf = NULL;
	size_t	 size = 0;
	FILE	*f = open_memstream(&buf, &size);

	logline_json_string(f, "a\"\\\n\x01\xc3\xa9\xff", 8);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(buf, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\\u00ff\"");
	free(buf);
}
END_TEST

static Suite *
logline_suite(void)
{
	Suite	*s = suite_create("logline");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, parses_a_text_line);
	tcase_add_test(tc, parses_a_json_line);
	tcase_add_test(tc, rejects_lines_that_are_not_logds);
	tcase_add_test(tc, undoes_text_escapes);
	tcase_add_test(tc, undoes_json_escapes_and_code_points);
	tcase_add_test(tc, converts_text_lines_to_logds_json);
	tcase_add_test(tc, reads_the_caller_back_and_keeps_a_tag_in_the_message);
	tcase_add_test(tc, a_message_that_looks_like_a_caller_is_a_message);
	tcase_add_test(tc, writes_any_bytes_as_a_json_string);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(logline_suite());
}
