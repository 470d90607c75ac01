/*
 * fuzz_logline.c - fuzz target for what logctl tail and show parse from the
 * files: a line (text or JSON), its message's escapes, and TIME arguments.
 *
 * As fuzz_proto.c: an LLVMFuzzerTestOneInput target for libFuzzer, and
 * built without it a deterministic mutation loop over valid seed lines, so
 * the suite runs the parsers on hostile bytes every time (also under ASan).
 *
 * Checked for every input: a parsed line's stamp and message lie inside it;
 * the unescaped message is no longer than the escaped one; a text line
 * written as JSON and any bytes as a JSON string are written at all.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"
#include "logtime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do {							\
		if (!(c)) {						\
			fprintf(stderr, "fuzz_logline: %s:%d: %s\n",	\
			    __FILE__, __LINE__, #c);			\
			abort();					\
		}							\
	} while (0)

static FILE	*sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*line = (const char *)data;
	struct logline	 l;
	char		*msg, *arg;
	int64_t		 ns;

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	if (logline_parse(line, size, &l) == 0) {
		REQUIRE(l.ts >= line && l.ts + LOGTIME_STAMP_LEN <= line + size);
		REQUIRE(l.msg_len == 0 || (l.msg >= line && l.msg + l.msg_len <= line + size));
		REQUIRE(l.priority >= 0 && l.priority <= 7);
		REQUIRE(logline_time(line, size, &ns) == 0 && ns == l.ts_ns);
		msg = malloc(l.msg_len + 1);
		REQUIRE(msg != NULL && logline_message(&l, msg) <= l.msg_len);
		free(msg);
		if (!l.json)
			logline_write_json(sink, &l, "fuzz");
	}
	logline_json_string(sink, line, size);
	/* The same bytes as a TIME argument, up to a NUL. */
	if ((arg = malloc(size + 1)) == NULL)
		abort();
	memcpy(arg, data, size);
	arg[size] = '\0';
	(void)logtime_parse(arg, 1763812800000000000LL, &ns);
	free(arg);
	return 0;
}

#ifndef LOGD_LIBFUZZER
static const char	*seeds[] = {
	"2025-11-22T12:00:00.123456Z info [1234] hello \\\\ \\n \\t \\x01 \xc3\xa9 \xff",
	"2025-11-22T12:00:00.123456Z warning [1+] part",
	"2025-11-22T12:00:00.123456Z debug [7] ",
	"{\"ts\":\"2025-11-22T12:00:00.123456Z\",\"priority\":\"err\",\"stream\":\"w\",\"pid\":1,"
	    "\"message\":\"q \\\" \\\\ \\u00ff \\u20ac \\ud83d\\ude00 \\ud800\",\"more\":true}",
	"2025-11-22T12:00:00.5+01:00", "-1h 30min", "90 min ago", "@1763812800.25", "12:00:01",
	"2025-11-22", "yesterday",
};

/* A deterministic generator: the same inputs on every run. */
static uint32_t
next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int
main(void)
{
	static const char	special[] = "\\\"ux0123456789:-.TZ[]+ {}\n\xc3\xff";
	uint8_t			buf[512];
	size_t			len, i, k, edits, s;
	uint32_t		rnd = 2463534242u;

	for (i = 0; i < 300000; i++) {
		s = i % (sizeof(seeds) / sizeof(seeds[0]));
		len = strlen(seeds[s]);
		memcpy(buf, seeds[s], len);
		for (edits = 1 + next(&rnd) % 4, k = 0; k < edits; k++) {
			size_t	at = len > 0 ? next(&rnd) % len : 0;

			switch (next(&rnd) % 4) {
			case 0:		/* a byte changed to a special one */
				if (len > 0)
					buf[at] = (uint8_t)special[next(&rnd) % (sizeof(special) - 1)];
				break;
			case 1:		/* a byte changed to any */
				if (len > 0)
					buf[at] = (uint8_t)next(&rnd);
				break;
			case 2:		/* cut short */
				len = at;
				break;
			default:	/* a special byte inserted */
				if (len < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = (uint8_t)special[next(&rnd) % (sizeof(special) - 1)];
					len++;
				}
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz_logline: 300000 inputs\n");
	return 0;
}
#endif
