/*
 * clock.h - the one clock helper of logd, liblogd and logctl.
 *
 * Not part of the wire format: it sits in proto/ because proto/ is what
 * both sides build with, and it is a header only, so the proto library
 * itself stays pure.  CLOCK_MONOTONIC measures intervals and deadlines (the
 * wall clock may jump); CLOCK_REALTIME is the time records and archives
 * are stamped with.
 */
#ifndef LOGD_CLOCK_H
#define LOGD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The clock id (CLOCK_MONOTONIC, CLOCK_REALTIME) in nanoseconds. */
static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The same in milliseconds. */
static inline uint64_t
clock_ms(clockid_t id)
{
	return clock_ns(id) / 1000000;
}

#endif
