/*
 * fuzz_logline.c - fuzz target for what logctl tail and show parse from the
 * files: a line (text or JSON), its message's escapes, and TIME arguments.
 *
 * As fuzz_proto.c: a libFuzzer target, and without libFuzzer driver.c's
 * replay and mutation of corpus/logline/, so the suite runs the parsers on
 * hostile bytes every time (also under ASan).
 *
 * Checked for every input: a parsed line's stamp and message lie inside it;
 * the unescaped message is no longer than the escaped one; a text line
 * written as JSON and any bytes as a JSON string are written at all.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "logline.h"
#include "logtime.h"

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
