/*
 * fuzz_forward.c - fuzz target for what a forwarder makes of a stream
 * file's line: forward_format(), text and JSON lines parsed back into
 * RFC 5424 (the files are logd's, but anything may have been written there).
 *
 * As fuzz_logline.c: a libFuzzer target, and without libFuzzer driver.c's
 * replay and mutation of corpus/forward/.
 *
 * Checked for every input: the output fits the bound the header promises
 * (3 * len + 1024 + HOSTNAME + APP-NAME), starts with its octet count, and
 * the count is the length of what follows it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "forward.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 cap = 3 * size + 1024 + 4 + 3;
	char	*out = malloc(cap), *sp;
	long	 n;
	int	 parsed;

	if (out == NULL)
		abort();
	n = forward_format((const char *)data, size, "fuzz", "host", "app", 1, out, cap, &parsed);
	REQUIRE(n > 0 && (size_t)n <= cap);
	REQUIRE((sp = memchr(out, ' ', (size_t)n)) != NULL);
	REQUIRE(strtoul(out, NULL, 10) == (unsigned long)(n - (sp + 1 - out)));
	REQUIRE(memcmp(sp + 1, "<", 1) == 0);
	/* One byte too few is refused, never overrun. */
	REQUIRE(forward_format((const char *)data, size, "fuzz", "host", "app", 1, out, cap - 1,
	    &parsed) == 0);
	free(out);
	return 0;
}
