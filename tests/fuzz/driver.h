/*
 * driver.h - what every fuzz target shares.
 *
 * A target defines LLVMFuzzerTestOneInput() and checks its invariants with
 * REQUIRE(), which aborts, so libFuzzer (and ASan, in the plain build)
 * reports a broken invariant as a crash.
 *
 * Built with -DLOGD_LIBFUZZER (meson -Dfuzz=true), libFuzzer supplies main().
 * Otherwise driver.c does: "fuzz_x DIR [ITERATIONS]" replays every file in
 * the corpus directory DIR, then runs a fixed, seeded mutation loop over
 * those files, so the suite tries the same hostile inputs on every run;
 * "fuzz_x FILE..." runs just those files (to replay a crash).
 */
#ifndef LOGD_FUZZ_DRIVER_H
#define LOGD_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "FILE:LINE: what" to stderr and aborts. */
void	fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#define REQUIRE(c) do {							\
		if (!(c))						\
			fuzz_fail(__FILE__, __LINE__, #c);		\
	} while (0)

#endif
