/*
 * test_syslog.c - syslog datagrams as real senders write them (glibc's syslog(3),
 * util-linux logger 2.38 in both formats, Python's SysLogHandler), RFC 5424's
 * structured data, and what is not syslog at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syslog_msg.h"
#include "unit.h"

/* Parses the C string s (its NULs counted by len) into *m. */
static void
parse(const char *s, size_t len, struct syslog_msg *m)
{
	syslog_parse((const uint8_t *)s, len, m);
}

#define PARSE(lit, m) parse(lit, sizeof(lit) - 1, m)

/* The span (p, len) is the string want. */
static void
is(const void *p, size_t len, const char *want)
{
	ck_assert_uint_eq(len, strlen(want));
	if (len > 0)
		ck_assert_int_eq(memcmp(p, want, len), 0);
}

/* The fields RFC 5424 only has are absent. */
static void
no_5424(const struct syslog_msg *m)
{
	ck_assert_uint_eq(m->rfc5424, 0);
	ck_assert_uint_eq(m->msgid_len, 0);
	ck_assert_uint_eq(m->sd_len, 0);
}

START_TEST(glibc_syslog_with_log_pid_has_no_hostname)
{
	struct syslog_msg	m;

	/* openlog("myprog", LOG_PID, LOG_DAEMON); syslog(LOG_ERR, ...) */
	PARSE("<27>Dec  1 16:40:25 myprog[4242]: glibc with pid 1", &m);
	ck_assert_uint_eq(m.has_pri, 1);
	ck_assert_uint_eq(m.facility, 3);
	ck_assert_uint_eq(m.severity, 3);
	ck_assert_uint_eq(m.ts_ns, 0);
	ck_assert_uint_eq(m.host_len, 0);
	is(m.ident, m.ident_len, "myprog");
	ck_assert_uint_eq(syslog_pid(&m), 4242);
	is(m.msg, m.msg_len, "glibc with pid 1");
	no_5424(&m);
}
END_TEST

START_TEST(glibc_syslog_without_log_pid)
{
	struct syslog_msg	m;

	PARSE("<14>Dec 11 06:02:03 myprog: glibc no pid", &m);
	ck_assert_uint_eq(m.facility, 1);
	ck_assert_uint_eq(m.severity, 6);
	ck_assert_uint_eq(m.host_len, 0);
	is(m.ident, m.ident_len, "myprog");
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	is(m.msg, m.msg_len, "glibc no pid");
}
END_TEST

START_TEST(logger_rfc3164_sends_a_hostname)
{
	struct syslog_msg	m;

	/* logger -u SOCK --rfc3164 -t myprog -i -p user.notice "hi there" (util-linux 2.38.1) */
	PARSE("<13>Dec  1 16:40:25 vm myprog[744]: hi there", &m);
	is(m.host, m.host_len, "vm");
	is(m.ident, m.ident_len, "myprog");
	ck_assert_uint_eq(syslog_pid(&m), 744);
	is(m.msg, m.msg_len, "hi there");
	PARSE("<13>Dec  1 16:40:25 vm myprog: no pid", &m);
	is(m.host, m.host_len, "vm");
	is(m.ident, m.ident_len, "myprog");
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	is(m.msg, m.msg_len, "no pid");
	no_5424(&m);
}
END_TEST

START_TEST(logger_rfc5424_with_structured_data_and_msgid)
{
	struct syslog_msg	m;
	const char		*id, *name, *val;
	size_t			 off = 0, il, nl, vl;
	char			 buf[64];

	/* logger --rfc5424 --sd-id exampleSDID@32473 --sd-param 'iut="3"'
	 * --sd-param 'eventSource="App \"lic\""' --msgid ID47 -t myapp -p local4.warning */
	PARSE("<164>1 2026-12-01T16:40:25.877911+00:00 vm myapp - ID47 [timeQuality tzKnown=\"1\" "
	      "isSynced=\"0\"][exampleSDID@32473 iut=\"3\" eventSource=\"App \\\"lic\\\"\"] "
	      "hello world", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	ck_assert_uint_eq(m.facility, 20);
	ck_assert_uint_eq(m.severity, 4);
	ck_assert_uint_eq(m.ts_ns, 1796143225877911000ull);
	is(m.host, m.host_len, "vm");
	is(m.ident, m.ident_len, "myapp");
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	is(m.msgid, m.msgid_len, "ID47");
	is(m.sd, m.sd_len, "[timeQuality tzKnown=\"1\" isSynced=\"0\"][exampleSDID@32473 "
	    "iut=\"3\" eventSource=\"App \\\"lic\\\"\"]");
	is(m.msg, m.msg_len, "hello world");

	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 1);
	is(id, il, "timeQuality");
	is(name, nl, "tzKnown");
	is(val, vl, "1");
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 1);
	is(id, il, "timeQuality");
	is(name, nl, "isSynced");
	is(val, vl, "0");
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 1);
	is(id, il, "exampleSDID@32473");
	is(name, nl, "iut");
	is(val, vl, "3");
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 1);
	is(id, il, "exampleSDID@32473");
	is(name, nl, "eventSource");
	is(val, vl, "App \\\"lic\\\"");
	is(buf, syslog_sd_unescape(val, vl, buf), "App \"lic\"");
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 0);
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 0);
}
END_TEST

START_TEST(logger_rfc5424_with_pid_and_nilvalues)
{
	struct syslog_msg	m;

	PARSE("<13>1 2026-12-01T16:40:25.880718+00:00 vm myapp 742 - [timeQuality tzKnown=\"1\" "
	      "isSynced=\"0\"] plain 5424", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	ck_assert_uint_eq(syslog_pid(&m), 742);
	ck_assert_uint_eq(m.msgid_len, 0);
	is(m.msg, m.msg_len, "plain 5424");
	/* logger --rfc5424=notq,notime */
	PARSE("<13>1 - vm myapp - - - notq", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	ck_assert_uint_eq(m.ts_ns, 0);
	is(m.host, m.host_len, "vm");
	is(m.ident, m.ident_len, "myapp");
	ck_assert_uint_eq(m.sd_len, 0);
	is(m.msg, m.msg_len, "notq");
	PARSE("<13>1 - - - - - -", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	ck_assert_uint_eq(m.host_len + m.ident_len + m.msgid_len + m.sd_len + m.msg_len, 0);
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	PARSE("<13>1 - - - - - - ", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	ck_assert_uint_eq(m.msg_len, 0);
}
END_TEST

START_TEST(rfc5424_bom_is_removed_from_the_message)
{
	struct syslog_msg	m;

	/* RFC 5424's example 1 */
	PARSE("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	      "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	ck_assert_uint_eq(m.facility, 4);
	ck_assert_uint_eq(m.severity, 2);
	ck_assert_uint_eq(m.ts_ns, 1065910455003000000ull);
	is(m.host, m.host_len, "mymachine.example.com");
	is(m.ident, m.ident_len, "su");
	is(m.msgid, m.msgid_len, "ID47");
	is(m.msg, m.msg_len, "'su root' failed for lonvick on /dev/pts/8");
}
END_TEST

START_TEST(rfc5424_sd_elements_with_escapes_and_spaces)
{
	struct syslog_msg	m;
	const char		*id, *name, *val;
	size_t			 off = 0, il, nl, vl, n = 0;
	char			 buf[64];

	/* RFC 5424's example 4, and an element with \\ \] and spaces, one without params */
	PARSE("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
	      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
	      "[examplePriority@32473 class=\"high\"][empty][x@1 p=\"a\\\\b \\] c\" q=\"\"] "
	      "\xef\xbb\xbf" "An application event log entry...", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	is(m.msg, m.msg_len, "An application event log entry...");
	while (syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl) == 1) {
		n++;
		if (n == 5) {
			is(id, il, "x@1");
			is(name, nl, "p");
			is(val, vl, "a\\\\b \\] c");
			is(buf, syslog_sd_unescape(val, vl, buf), "a\\b ] c");
		} else if (n == 6) {
			is(name, nl, "q");
			ck_assert_uint_eq(vl, 0);
		} else if (n == 4) {
			is(id, il, "examplePriority@32473");
			is(val, vl, "high");
		}
	}
	ck_assert_uint_eq(n, 6);
	/* an unknown escape stays as sent */
	is(buf, syslog_sd_unescape("a\\nb\\", 5, buf), "a\\nb\\");
}
END_TEST

START_TEST(malformed_sd_stays_as_text_or_makes_the_rest_the_message)
{
	struct syslog_msg	m;
	const char		*id, *name, *val;
	size_t			 off = 0, il, nl, vl;

	/* closed, but an unquoted value: sd as text, the walk stops there */
	PARSE("<13>1 - h a - - [ok k=\"v\"][bad k=v] msg", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	is(m.sd, m.sd_len, "[ok k=\"v\"][bad k=v]");
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 1);
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 0);
	ck_assert_int_eq(syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl), 0);
	/* never closed: not RFC 5424 after all, all after the PRI is the message */
	PARSE("<13>1 - h a - - [x k=\"v]\" msg", &m);
	ck_assert_uint_eq(m.rfc5424, 0);
	ck_assert_uint_eq(m.has_pri, 1);
	is(m.msg, m.msg_len, "1 - h a - - [x k=\"v]\" msg");
	ck_assert_uint_eq(m.host_len + m.ident_len + m.sd_len, 0);
	/* SD followed by something other than a space */
	PARSE("<13>1 - h a - - -msg", &m);
	ck_assert_uint_eq(m.rfc5424, 0);
	is(m.msg, m.msg_len, "1 - h a - - -msg");
}
END_TEST

START_TEST(malformed_rfc5424_header_keeps_all_after_the_pri)
{
	static const char *const bad[] = {
		"<13>1 ",
		"<13>1 - h a p",				/* no MSGID, no SD */
		"<13>1 - h a p m",				/* no SD */
		"<13>1 -  h a p m - x",				/* two spaces */
		/* APP-NAME of 49 bytes */
		"<13>1 - h 0123456789012345678901234567890123456789012345678 - - - x",
		"<13>1 - h a - 012345678901234567890123456789012 - x",	/* MSGID 33 */
		"<13>1 - h\xc3\xa9 a - - - x",			/* not ASCII */
	};
	struct syslog_msg	m;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], strlen(bad[i]), &m);
		ck_assert_uint_eq(m.rfc5424, 0);
		ck_assert_uint_eq(m.has_pri, 1);
		is(m.msg, m.msg_len, bad[i] + 4);
		ck_assert_uint_eq(m.ts_ns, 0);
	}
}
END_TEST

START_TEST(python_sysloghandler_default_and_with_a_name)
{
	struct syslog_msg	m;

	/* logging.handlers.SysLogHandler: "<PRI>message\0" */
	PARSE("<12>py default\x00", &m);
	ck_assert_uint_eq(m.facility, 1);
	ck_assert_uint_eq(m.severity, 4);
	ck_assert_uint_eq(m.ident_len, 0);
	ck_assert_uint_eq(m.host_len, 0);
	is(m.msg, m.msg_len, "py default");
	/* Formatter("%(name)s: %(message)s") */
	PARSE("<12>app: py fmt\x00", &m);
	is(m.ident, m.ident_len, "app");
	ck_assert_uint_eq(m.host_len, 0);
	is(m.msg, m.msg_len, "py fmt");
	/* no timestamp: a first word is never taken for a hostname */
	PARSE("<12>hello world: x", &m);
	ck_assert_uint_eq(m.ident_len, 0);
	ck_assert_uint_eq(m.host_len, 0);
	is(m.msg, m.msg_len, "hello world: x");
}
END_TEST

START_TEST(bad_pri_is_no_pri)
{
	static const char *const bad[] = {
		"<192>x", "<01>x", "<>x", "<1234>x", "<13", "<13x>y", "<-1>x", "<000>x", "<",
	};
	struct syslog_msg	m;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], strlen(bad[i]), &m);
		ck_assert_uint_eq(m.has_pri, 0);
		ck_assert_uint_eq(m.facility, 1);
		ck_assert_uint_eq(m.severity, 5);
		is(m.msg, m.msg_len, bad[i]);
	}
	PARSE("<0>x", &m);
	ck_assert_uint_eq(m.has_pri, 1);
	ck_assert_uint_eq(m.facility + m.severity, 0);
	PARSE("<191>x", &m);
	ck_assert_uint_eq(m.facility, 23);
	ck_assert_uint_eq(m.severity, 7);
	is(m.msg, m.msg_len, "x");
}
END_TEST

START_TEST(no_pri_and_empty_datagrams)
{
	struct syslog_msg	m;

	syslog_parse(NULL, 0, &m);
	ck_assert_uint_eq(m.msg_len, 0);
	ck_assert_uint_eq(m.has_pri, 0);
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	PARSE("\n\0\n", &m);
	ck_assert_uint_eq(m.msg_len, 0);
	PARSE("<13>", &m);
	ck_assert_uint_eq(m.has_pri, 1);
	ck_assert_uint_eq(m.msg_len, 0);
	PARSE("just text", &m);
	ck_assert_uint_eq(m.has_pri, 0);
	is(m.msg, m.msg_len, "just text");
	PARSE("1 - h a - - - x", &m);		/* RFC 5424 needs its PRI */
	ck_assert_uint_eq(m.rfc5424, 0);
	is(m.msg, m.msg_len, "1 - h a - - - x");
	PARSE("cron[1]: job done", &m);
	is(m.ident, m.ident_len, "cron");
	ck_assert_uint_eq(syslog_pid(&m), 1);
	is(m.msg, m.msg_len, "job done");
}
END_TEST

START_TEST(trailing_newlines_and_nuls_are_trimmed)
{
	struct syslog_msg	m;

	PARSE("<13>Dec  1 16:40:25 vm myprog: line\n\n\0\0\n\0", &m);
	is(m.msg, m.msg_len, "line");
	PARSE("<13>1 - - - - - - five\n\0", &m);
	ck_assert_uint_eq(m.rfc5424, 1);
	is(m.msg, m.msg_len, "five");
	PARSE("<13>mid\0dle\n", &m);
	ck_assert_uint_eq(m.msg_len, 7);
	ck_assert_int_eq(memcmp(m.msg, "mid\0dle", 7), 0);
}
END_TEST

START_TEST(rfc3164_timestamp_variants)
{
	struct syslog_msg	m;

	PARSE("<13>Dec 1 16:40:25 p: unpadded day", &m);
	is(m.ident, m.ident_len, "p");
	is(m.msg, m.msg_len, "unpadded day");
	PARSE("<13>Dec 01 16:40:25 h p: zero-padded", &m);
	is(m.host, m.host_len, "h");
	is(m.msg, m.msg_len, "zero-padded");
	PARSE("<13>dec 31 23:59:60 p: lower case, leap second", &m);
	is(m.ident, m.ident_len, "p");
	/* an RFC 3339 timestamp in its place: it counts */
	PARSE("<13>2026-12-01T16:40:25.5-01:30 host p[9]: m", &m);
	ck_assert_uint_eq(m.ts_ns, 1796143225500000000ull + 5400ull * 1000000000ull);
	is(m.host, m.host_len, "host");
	is(m.ident, m.ident_len, "p");
	ck_assert_uint_eq(syslog_pid(&m), 9);
	ck_assert_uint_eq(m.rfc5424, 0);
	/* not a timestamp: then no hostname either, and no tag here */
	PARSE("<13>Dex  1 16:40:25 vm p: x", &m);
	ck_assert_uint_eq(m.ident_len + m.host_len, 0);
	is(m.msg, m.msg_len, "Dex  1 16:40:25 vm p: x");
	PARSE("<13>Dec 32 16:40:25 p: x", &m);
	ck_assert_uint_eq(m.ident_len, 0);
	PARSE("<13>Dec  1 16:40:25", &m);
	ck_assert_uint_eq(m.msg_len, 0);
	PARSE("<13>Dec  1 16:40:2", &m);
	is(m.msg, m.msg_len, "Dec  1 16:40:2");
}
END_TEST

/*
 * Every month, in any case, is a timestamp.  Three letters that are no month
 * are not, those whose letters add up to a month's mod 21 (where the parser
 * looks months up) among them.
 */
START_TEST(every_month_and_no_other_word)
{
	static const char *const	months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
		"JAN", "fEB", "mar", "aPR", "MAY", "jun", "JUL", "auG", "SEP", "oct", "NOV", "dEc",
	};
	static const char *const	others[] = {
		"Jvn", "few", "mad", "Oxt", "noa", "Dex", "Dzc", "Xyz", "@an", "J@n", "123", "D\x7f" "c",
	};
	struct syslog_msg	m;
	char			buf[64];
	size_t			i;

	for (i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
		snprintf(buf, sizeof(buf), "<13>%s  1 16:40:25 p: x", months[i]);
		parse(buf, strlen(buf), &m);
		is(m.ident, m.ident_len, "p");
		is(m.msg, m.msg_len, "x");
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(buf, sizeof(buf), "<13>%s  1 16:40:25 p: x", others[i]);
		parse(buf, strlen(buf), &m);
		ck_assert_uint_eq(m.ident_len, 0);
	}
}
END_TEST

START_TEST(rfc3339_timestamps_and_offsets_are_exact)
{
	static const struct {
		const char	*ts;
		uint64_t	 ns;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1970-01-01T00:00:01.000000001Z", 1000000001ull },
		{ "2003-10-11T22:14:15.003Z", 1065910455003000000ull },
		{ "2003-08-24T05:14:15.000003-07:00", 1061727255000003000ull },
		{ "2003-08-24T12:14:15.000003+00:00", 1061727255000003000ull },
		{ "2003-08-24T17:44:15.0000031234+05:30", 1061727255000003123ull },
		{ "2024-02-29T00:00:00z", 1709164800000000000ull },
		{ "2554-07-21T23:34:33.709551615Z", 18446744073709551615ull },
		{ "2554-07-21T23:34:33.709551616Z", 0 },	/* past what u64 ns holds */
		{ "1969-12-31T23:59:59Z", 0 },
		{ "1970-01-01T00:30:00+01:00", 0 },		/* 1969 in UTC */
		{ "2023-02-29T00:00:00Z", 0 },
		{ "2003-10-11T22:14:15.Z", 0 },
		{ "2003-10-11T22:14:15", 0 },
		{ "2003-10-11X22:14:15Z", 0 },
		{ "2003-10-11T24:00:00Z", 0 },
		{ "2003-10-11T22:14:15+0100", 0 },
		{ "2003-10-11T22:14:15+24:00", 0 },
		{ "2003-10-11T22:14:15ZZ", 0 },
	};
	struct syslog_msg	m;
	char			dg[128];
	size_t			i;
	int			n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(dg, sizeof(dg), "<13>1 %s h a - - - x", cases[i].ts);
		ck_assert(n > 0 && (size_t)n < sizeof(dg));
		parse(dg, (size_t)n, &m);
		/* a bad TIMESTAMP is none, not a bad header */
		ck_assert_uint_eq(m.rfc5424, 1);
		ck_assert_msg(m.ts_ns == cases[i].ns, "%s: %llu", cases[i].ts,
		    (unsigned long long)m.ts_ns);
		is(m.msg, m.msg_len, "x");
	}
}
END_TEST

START_TEST(long_or_invalid_tags_stay_in_the_message)
{
	struct syslog_msg	m;

	/* 48 bytes is a tag, 49 is not */
	PARSE("<13>Dec  1 16:40:25 012345678901234567890123456789012345678901234567: x", &m);
	ck_assert_uint_eq(m.ident_len, 48);
	is(m.msg, m.msg_len, "x");
	PARSE("<13>Dec  1 16:40:25 0123456789012345678901234567890123456789012345678: x", &m);
	ck_assert_uint_eq(m.ident_len, 0);
	is(m.msg, m.msg_len, "0123456789012345678901234567890123456789012345678: x");
	/* no ':' after "[pid]", an unclosed "[", a tag of one byte that is not printable */
	PARSE("<13>Dec  1 16:40:25 prog[12] x", &m);
	ck_assert_uint_eq(m.ident_len, 0);
	is(m.msg, m.msg_len, "prog[12] x");
	PARSE("<13>Dec  1 16:40:25 prog[12", &m);
	ck_assert_uint_eq(m.ident_len, 0);
	PARSE("<13>Dec  1 16:40:25 \x01: x", &m);
	ck_assert_uint_eq(m.ident_len, 0);
	/* a hostname only when a tag follows it */
	PARSE("<13>Dec  1 16:40:25 vm just words", &m);
	ck_assert_uint_eq(m.host_len + m.ident_len, 0);
	is(m.msg, m.msg_len, "vm just words");
	/* "[pid]" that is not a number, or too big, is no pid but still ends the tag */
	PARSE("<13>Dec  1 16:40:25 p[abc]: x", &m);
	is(m.ident, m.ident_len, "p");
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	PARSE("<13>Dec  1 16:40:25 p[4294967295]: x", &m);
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	PARSE("<13>Dec  1 16:40:25 p[4294967294]: x", &m);
	ck_assert_uint_eq(syslog_pid(&m), 4294967294u);
	PARSE("<13>Dec  1 16:40:25 p[99999999999999999999999]: x", &m);
	ck_assert_uint_eq(syslog_pid(&m), SYSLOG_NO_PID);
	/* ':' with no space after it */
	PARSE("<13>Dec  1 16:40:25 p:x", &m);
	is(m.ident, m.ident_len, "p");
	is(m.msg, m.msg_len, "x");
}
END_TEST

START_TEST(facility_names_both_ways)
{
	unsigned	f;
	const char	*name;

	ck_assert_str_eq(syslog_facility_name(0), "kern");
	ck_assert_str_eq(syslog_facility_name(10), "authpriv");
	ck_assert_str_eq(syslog_facility_name(15), "solaris-cron");
	ck_assert_str_eq(syslog_facility_name(23), "local7");
	ck_assert_ptr_null(syslog_facility_name(24));
	for (f = 0; f < 24; f++) {
		name = syslog_facility_name(f);
		ck_assert_int_eq(syslog_facility(name, strlen(name)), (int)f);
	}
	ck_assert_int_eq(syslog_facility("local", 5), -1);
	ck_assert_int_eq(syslog_facility("local77", 7), -1);
	ck_assert_int_eq(syslog_facility("user", 3), -1);
	ck_assert_int_eq(syslog_facility("", 0), -1);
	ck_assert_int_eq(syslog_facility("LOCAL0", 6), 16);
	ck_assert_int_eq(syslog_facility("Daemon", 6), 3);
	ck_assert_int_eq(syslog_facility("local0.x", 6), 16);	/* len bytes only */
}
END_TEST

static int
inside(const void *p, size_t len, const uint8_t *b, size_t n)
{
	const uint8_t	*q = p;

	return len == 0 || (q >= b && q <= b + n && len <= (size_t)(b + n - q));
}

START_TEST(random_bytes_never_crash_and_spans_stay_inside)
{
	static const char	alphabet[] = "<>1 -[]\"\\=:0123456789TZ.+\n\0abDec";
	struct syslog_msg	m;
	const char		*id, *name, *val;
	size_t			 len, i, off, il, nl, vl, steps;
	char			 out[256];
	uint8_t			*b;
	unsigned		 seed = 14;
	int			 round;

	for (round = 0; round < 200000; round++) {
		len = (size_t)rand_r(&seed) % 200;
		ck_assert_ptr_nonnull(b = malloc(len > 0 ? len : 1));
		for (i = 0; i < len; i++)
			b[i] = rand_r(&seed) % 2 ? alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]
						 : (uint8_t)rand_r(&seed);
		if (len > 6 && round % 3 == 0)
			memcpy(b, round % 2 ? "<13>1 " : "<13>De", 6);
		syslog_parse(b, len, &m);
		ck_assert(m.facility < 24 && m.severity < 8);
		ck_assert(inside(m.msg, m.msg_len, b, len));
		ck_assert(inside(m.host, m.host_len, b, len));
		ck_assert(inside(m.ident, m.ident_len, b, len));
		ck_assert(inside(m.msgid, m.msgid_len, b, len));
		ck_assert(inside(m.sd, m.sd_len, b, len));
		off = 0;
		steps = 0;
		while (syslog_sd_next(&m, &off, &id, &il, &name, &nl, &val, &vl) == 1) {
			steps++;
			ck_assert(steps < len);
			ck_assert(inside(val, vl, (const uint8_t *)m.sd, m.sd_len));
			ck_assert(syslog_sd_unescape(val, vl, out) <= vl);
		}
		free(b);
	}
}
END_TEST

static Suite *
syslog_suite(void)
{
	Suite	*s = suite_create("syslog");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, glibc_syslog_with_log_pid_has_no_hostname);
	tcase_add_test(tc, every_month_and_no_other_word);
	tcase_add_test(tc, glibc_syslog_without_log_pid);
	tcase_add_test(tc, logger_rfc3164_sends_a_hostname);
	tcase_add_test(tc, logger_rfc5424_with_structured_data_and_msgid);
	tcase_add_test(tc, logger_rfc5424_with_pid_and_nilvalues);
	tcase_add_test(tc, rfc5424_bom_is_removed_from_the_message);
	tcase_add_test(tc, rfc5424_sd_elements_with_escapes_and_spaces);
	tcase_add_test(tc, malformed_sd_stays_as_text_or_makes_the_rest_the_message);
	tcase_add_test(tc, malformed_rfc5424_header_keeps_all_after_the_pri);
	tcase_add_test(tc, python_sysloghandler_default_and_with_a_name);
	tcase_add_test(tc, bad_pri_is_no_pri);
	tcase_add_test(tc, no_pri_and_empty_datagrams);
	tcase_add_test(tc, trailing_newlines_and_nuls_are_trimmed);
	tcase_add_test(tc, rfc3164_timestamp_variants);
	tcase_add_test(tc, rfc3339_timestamps_and_offsets_are_exact);
	tcase_add_test(tc, long_or_invalid_tags_stay_in_the_message);
	tcase_add_test(tc, facility_names_both_ways);
	tcase_add_test(tc, random_bytes_never_crash_and_spans_stay_inside);
	tcase_set_timeout(tc, 60);	/* the random rounds take seconds under ASan on a busy machine */
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(syslog_suite());
}
